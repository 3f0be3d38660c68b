// The interactive walkthrough in a real pseudo-terminal, typed as a person would, and the scripted handoff:
// an unattended run stops at the manual steps (exit 3), a person resumes it in a terminal and finishes it.
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/engine/lock.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { CLI, KEY, PtySession, REPO_ROOT } from "./helpers/pty-session.js";
import { MANUAL_STEP_IDS } from "./helpers/write-config.js";

const run = promisify(execFile);

let dir: string;
let sim: RunningSimulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vonage-ir-walkthrough-"));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await rm(dir, { recursive: true, force: true });
});

function simEnv(s: RunningSimulator): Record<string, string> {
  return {
    VONAGE_API_KEY: s.primary.apiKey,
    VONAGE_API_SECRET: s.primary.apiSecret,
    VONAGE_API_HOST: s.url,
    VONAGE_REST_HOST: s.url,
  };
}

async function switchAutoreloadOff(s: RunningSimulator, afterMs = 0): Promise<void> {
  const response = await fetch(`${s.url}/_sim/dashboard/autoreload`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ enabled: false, ...(afterMs ? { afterMs } : {}) }),
  });
  expect(response.ok).toBe(true);
}

/** Answers one manual step: "Done", then each evidence prompt (its label) with a value. */
async function answerManual(
  pty: PtySession,
  title: RegExp,
  evidence: [label: string, value: string][],
): Promise<void> {
  await pty.waitFor(title);
  pty.type(KEY.enter);
  for (const [label, value] of evidence) {
    await pty.waitFor(label);
    pty.line(value);
    await pty.waitFor(`✔ ${label}`);
  }
}

describe("the walkthrough in a terminal", () => {
  it("drill: a person goes through the whole compromise runbook and ends with a summary", async () => {
    const pty = new PtySession(["drill", "--out", join(dir, "drills")], { cwd: dir, env: {} });
    await pty.waitFor("Nothing here touches a real account");
    // secrets.revoke is asked first, each value explained: "immediately" says what breaks, and the slower
    // after-confirmation is offered beside it; the default (immediately) under the cursor.
    await pty.waitFor(
      /immediately: revoked as soon as the new secret works: production still using the old one fails/,
    );
    await pty.waitFor(/after-confirmation: kept until you confirm the new secret is deployed/);
    await pty.waitFor(/❯ immediately \(default\)/);
    pty.type(KEY.enter);
    // The choice of strategy, explained in two lines, the default (rekey) under the cursor. The person picks
    // recreate: a rekey keeps webhooks as they are and never asks, a recreate asks about each suspect it would copy.
    const choice = await pty.waitFor(/applications\.strategy \(how each application gets its new key\)/);
    expect(choice).toMatch(/rekey: a new key in place \(one request each\); ids, numbers and channels stay/);
    expect(choice).toMatch(/recreate: Vonage's advice: new applications, numbers moved, old ids deleted/);
    await pty.waitFor(/❯ rekey \(default\)/);
    pty.type(`${KEY.down}${KEY.enter}`);
    await pty.waitFor("Which one should be revoked first?");
    // the attacker's secret (created after compromisedSince) is the first choice, under the cursor
    await pty.waitFor(/❯ [0-9a-f-]{36} {2}created \S+ {2}\(suspect\)/);
    pty.type(KEY.enter);
    // The fraud's destinations, from the records: each with its records and cost, the suspects preselected.
    const destinations = await pty.waitFor(
      /Which destinations should Fraud Defender block\?[\s\S]*88213[^\n]*/,
    );
    expect(destinations).toMatch(
      /◉ \+88213 \(XS, sms and voice\): \d+ records, [\d.]+ EUR since the compromise - stands out/,
    );
    pty.type(KEY.enter);
    // The attacker's collector on ivr-legacy: asked about per URL before anything is copied.
    await pty.waitFor(
      /Suspect webhook: http:\/\/collector\.example\.net\/ivr\/answer on application "ivr-legacy"/,
    );
    pty.type(KEY.enter); // clear (the first choice)
    await pty.waitFor(
      /Suspect webhook: http:\/\/collector\.example\.net\/ivr\/event on application "ivr-legacy"/,
    );
    pty.type(`${KEY.down}${KEY.enter}`); // replace
    await pty.waitFor("Replacement for");
    pty.line("http://hooks.example.com/ivr/event");
    await pty.waitFor("the replacement must be an https:// URL");
    pty.type("\u0015"); // Ctrl-U: clear the line
    pty.line("https://hooks.example.com/ivr/event");
    await pty.waitFor("Which subaccounts should be suspended?");
    const checkbox = await pty.waitFor(/svc-backup[^\n]*/);
    expect(checkbox).toMatch(/◯ eu-sales/);
    pty.type(KEY.enter); // keep the preselected suspect
    const start = await pty.waitFor("Proceed?");
    expect(start).toMatch(/What will change:/);
    expect(start).toMatch(
      /Read this first:\s+!! traffic since the compromise: \d+ records[^\n]*\s+!! suspect webhook http:\/\/collector\.example\.net[\s\S]*What will change:/,
    );
    expect(start).toMatch(/secrets\s+2 delete, 1 create, 3 verify/);
    // Asked before the run directory exists: the question names none.
    expect(start).not.toMatch(/run directory \//);
    // Destructive confirms default to No: each takes a typed yes.
    expect(await pty.waitFor("(y/N)")).toBe(" (y/N)"); // right after "Proceed?"
    pty.line("y");
    // Who is at the terminal: asked once, on every record of the run (and signing each attestation).
    await pty.waitFor("Your name or email (recorded with every step of this run)");
    pty.line("Alice Oncall");
    const secrets = await pty.waitFor(/Apply 6 change\(s\) of "Rotate the API secret\(s\)"\?/);
    expect(secrets).toMatch(/why: a leaked API secret/);
    expect(secrets).toMatch(/\+ new API secret/);
    pty.line("y");
    await pty.waitFor(/Apply \d+ change\(s\) of "Recreate every application/);
    pty.line("y");
    await pty.waitFor(/Apply 1 change\(s\) of "Suspend unknown subaccounts"\?/);
    pty.line("y");

    await pty.waitFor("Switch auto-reload off in the dashboard: is it done?");
    pty.type(KEY.enter);
    await pty.waitFor(/verified: autoReload is false/);

    await answerManual(pty, /Remove unknown dashboard users: is it done\?/, [
      ["Users removed", "intruder@example.net"],
    ]);
    await answerManual(pty, /Verify the MFA \(two-factor\) contacts: is it done\?/, [
      ["MFA phone", "0123"],
      ["MFA email", "oncall@example.com"],
      ["Do both match", "yes"],
    ]);
    await pty.waitFor(/Candidate: [^\n]*signature-secret-candidate \(sha256:[0-9a-f]{16}\)/);
    await answerManual(pty, /Set a new signature secret in the dashboard: is it done\?/, []);
    await answerManual(pty, /Change the dashboard password of every user: is it done\?/, [
      ["Whose passwords", "all"],
    ]);

    // An empty ticket number is refused at the prompt, then a real one is accepted.
    await pty.waitFor(/Send the IP allow-listing request to Vonage support: is it done\?/);
    pty.type(KEY.enter);
    await pty.waitFor("Support ticket number for the allow-listing request");
    pty.line("");
    await pty.waitFor("required");
    pty.line("CS-1001");

    // Skip, with a reason.
    await pty.waitFor(/Enable Fraud Defender protections: is it done\?/);
    pty.type(`${KEY.down}${KEY.enter}`);
    await pty.waitFor("Why is it skipped?");
    pty.line("our tier has no Fraud Defender; ticket asks to enable it");

    await answerManual(pty, /Open a support ticket with Vonage: is it done\?/, [
      ["Support ticket number", "CS-1002"],
    ]);
    const end = await pty.waitFor("What a real run would have done:");
    expect(end).toMatch(/17 done · 2 skipped · 0 pending · 0 failed/);
    await pty.waitFor(
      /replaced 5 application\(s\) with new keys and moved \d+ linked number\(s\) \(applications\.strategy recreate/,
    );
    await pty.waitFor(/traffic stopped: no fraudulent record in the 10 s after containment/);
    // The 10 s watch counts down on the step's progress line: a spinner of its own inside the progress display
    // printed a line per frame (about 100 lines).
    expect(pty.raw).toMatch(/watching the traffic \(\d+ s left\)/);
    expect(pty.raw).not.toMatch(/watching the traffic for 10 s \(\d+s\)/);
    expect(end).toMatch(/Report: .*report\.md/);
    expect(await pty.exited).toBe(0);
    const runs = await readdir(join(dir, "drills"));
    const report = await readFile(
      join(
        dir,
        "drills",
        runs.find((r) => /^\d/.test(r))!,
        "report.md",
      ),
      "utf8",
    );
    expect(report).toMatch(
      /skipped: manual: Enable Fraud Defender protections \(our tier has no Fraud Defender/,
    );
    expect(report).toMatch(/"by":"Alice Oncall"/);
    expect(report).toMatch(
      /ivr\/answer of application "ivr-legacy" .*answer_url: cleared \(decided by the operator\)/,
    );
    expect(report).toMatch(
      /ivr\/event of application "ivr-legacy" .*event_url: replaced by https:\/\/hooks\.example\.com\/ivr\/event \(decided by the operator\)/,
    );
  });

  it("asks the planning questions one at a time, in the runbook's order (two secrets, then the subaccounts)", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const config = join(dir, "vonage-ir.yaml");
    // Neither secrets.revokeFirst nor subaccounts.allow, and a compromise start after both secrets were created
    // (so neither is the obvious suspect): both steps must ask while planning.
    await writeFile(config, `compromisedSince: "${new Date(Date.now() - 60_000).toISOString()}"\n`);
    const pty = new PtySession(
      ["run", "compromise", "--dry-run", "--config", config, "--out", join(dir, "runs")],
      {
        cwd: dir,
        env: simEnv(sim),
      },
    );
    await pty.waitFor(/❯ immediately \(default\)/); // secrets.revoke, asked first
    pty.type(KEY.enter);
    // The config leaves the strategy open: asked next; the operator picks recreate (one down from rekey).
    await pty.waitFor(/❯ rekey \(default\)/);
    pty.type(`${KEY.down}${KEY.enter}`);
    await pty.waitFor(/Which one should be revoked first\?[\s\S]*select/);
    // The subaccounts step's reads take a few round trips: were its plan running beside this question, its
    // checkbox would be on the screen within this second. It must wait for the answer instead.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(pty.raw).not.toMatch(/Which subaccounts should be suspended/);
    pty.type(KEY.enter);
    // traffic.block asks only when the records show a destination that stands out (the last minute's, here).
    const next = await pty.waitFor(
      /Which (destinations should Fraud Defender block|subaccounts should be suspended)\?/,
    );
    if (next.includes("destinations")) {
      pty.type(KEY.enter);
      await pty.waitFor("Which subaccounts should be suspended?");
    }
    pty.type(KEY.enter);
    const plan = await pty.waitFor(/Dry run: nothing was changed/);
    expect(plan).toMatch(/is revoked first \(chosen by the operator\)/);
    expect(plan).toMatch(/- revoke secret/);
    expect(plan).toMatch(/\+ application "shop-voice" \(replaces/);
    expect(plan).toMatch(/when applications\.strategy = "rekey" is false/);
    expect(await pty.exited).toBe(0);
  });

  it("uses no colours with NO_COLOR set, and colours without it", async () => {
    // eslint-disable-next-line no-control-regex -- SGR colour sequences
    const colour = /\u001b\[(3|9)[0-9]m/;
    for (const noColor of [true, false]) {
      const pty = new PtySession(["drill", "--out", join(dir, `drills-${noColor}`)], {
        cwd: dir,
        env: noColor ? { NO_COLOR: "1" } : {},
      });
      await pty.waitFor(/❯ immediately \(default\)/); // secrets.revoke, asked first
      pty.type(KEY.enter);
      await pty.waitFor("applications.strategy");
      pty.type(KEY.enter); // rekey: it asks nothing about webhooks
      await pty.waitFor("Which one should be revoked first?");
      pty.type(KEY.enter);
      await pty.waitFor("Which destinations should Fraud Defender block?");
      pty.type(KEY.enter);
      await pty.waitFor("Which subaccounts should be suspended?");
      pty.type(KEY.enter);
      await pty.waitFor("Proceed?");
      expect(colour.test(pty.raw)).toBe(!noColor);
      pty.type(KEY.ctrlC);
      expect(await pty.exited).toBe(130);
      // Declined before a run existed: nothing to resume, and the tool says so.
      expect(pty.raw).not.toMatch(/--resume <run-id>/);
    }
  });

  it("drill without a terminal answers from the scenario's drill config and exits 0 (while a run holds its account key's lock)", async () => {
    // A drill's account lives in its own process: the per-user lock of the same key (another drill, a test suite,
    // a run against a simulator seeded alike) must not refuse it.
    const stateDir = join(dir, "state");
    const seeded = await startSimulator({ scenario: "compromised" });
    const held = await acquireLock(stateDir, seeded.primary.apiKey, "20261202-000000-abcdef");
    await seeded.close();
    const { stdout, stderr } = await run("node", [CLI, "drill", "--out", join(dir, "drills")], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", VONAGE_IR_STATE_DIR: stateDir },
    }).finally(() => held.release());
    expect(stdout).toBe("");
    expect(stderr).toMatch(/No terminal: the scenario's drill config answers for you/);
    expect(stderr).toMatch(/18 done · 1 skipped · 0 pending · 0 failed/);
    // The spend stops: the attacker's traffic before containment, none in the watch after it.
    expect(stderr).toMatch(/blocked \d+ destination prefix\(es\) with Fraud Defender BLOCK rules/);
    expect(stderr).toMatch(/spend before containment: [1-9][\d.]* EUR since the compromise/);
    expect(stderr).toMatch(/spend after containment: 0\.00 EUR \(0 fraudulent records from/);
    expect(stderr).toMatch(/traffic stopped: no fraudulent record in the 10 s after containment/);
    // The drill config clears the attacker's collector; the summary names it and the decision.
    expect(stderr).toMatch(
      /found suspect webhook http:\/\/collector\.example\.net\/ivr\/answer on application "ivr-legacy"/,
    );
    expect(stderr).toMatch(
      /ivr\/event of application "ivr-legacy" .*: cleared \(decided by webhooks\.decisions\)/,
    );
    // No terminal, no question: the default strategy, said in the summary.
    expect(stderr).toMatch(/gave 5 application\(s\) a new key in place \(applications\.strategy rekey/);
    expect(stderr).not.toMatch(/applications\.strategy \(how each/);
  });
});

describe("the example config, copied as the README says", () => {
  it("attests nothing: the walkthrough stops at the first manual step and asks, none is done without an answer", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
    const copy = /^cp (examples\/\S+\.yaml) (\S+\.yaml)/m.exec(readme);
    expect(copy).not.toBeNull();
    const config = join(dir, copy![2]!);
    await copyFile(join(REPO_ROOT, copy![1]!), config);
    // No attestation and no `attest:` key: every line of the format is commented out.
    expect(await readFile(config, "utf8")).not.toMatch(/^attest:/m);
    const checked = await run("node", [CLI, "validate", "--config", config], { cwd: dir });
    expect(checked.stdout).toMatch(/: \d+ input\(s\), 0 attestation\(s\)/);

    const pty = new PtySession(["run", "compromise", "--config", config], { cwd: dir, env: simEnv(sim) });
    await pty.waitFor(/❯ immediately \(default\)/); // secrets.revoke, asked first
    pty.type(KEY.enter);
    // The example config leaves the strategy to the person: the default, rekey.
    await pty.waitFor(/❯ rekey \(default\)/);
    pty.type(KEY.enter);
    await pty.waitFor("Which one should be revoked first?");
    pty.type(KEY.enter);
    await pty.waitFor("Which destinations should Fraud Defender block?");
    pty.type(KEY.enter);
    await pty.waitFor("Which subaccounts should be suspended?");
    pty.type(KEY.enter);
    await pty.waitFor("Proceed?");
    pty.line("y");
    await pty.waitFor("Your name or email");
    pty.line("Erin");
    await pty.waitFor(/Apply \d+ change\(s\) of "Rotate the API secret\(s\)"\?/);
    pty.line("y");
    // A key replaced in place kills the old one like a revoke: Enter alone must not do it.
    await pty.waitFor(/Apply \d+ change\(s\) of "Replace every application's key in place[^"]*"\? \(y\/N\)/);
    pty.line("y");
    await pty.waitFor(/Apply \d+ change\(s\) of "Suspend unknown subaccounts"\?/);
    pty.line("y");
    const asking = await pty.waitFor("Switch auto-reload off in the dashboard: is it done?", 60_000);
    expect(asking).not.toMatch(/attested in the config/);

    // The run stops there, asking: its journal records no manual step as done.
    const out = join(dir, "vonage-ir-runs");
    const [runId] = (await readdir(out)).filter((r) => /^\d/.test(r));
    const journal = await readFile(join(out, runId!, "journal.jsonl"), "utf8");
    const done = journal
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { t: string; changeId?: string })
      .filter((r) => r.t === "done")
      .map((r) => r.changeId?.split(":")[0]);
    expect(done.length).toBeGreaterThan(0);
    expect(
      done.filter((step) => (MANUAL_STEP_IDS as readonly (string | undefined)[]).includes(step)),
    ).toEqual([]);
    pty.type(KEY.ctrlC);
    expect(await pty.exited).toBe(130);
  });
});

describe("the scripted handoff", () => {
  it("an unattended run stops at the manual steps (exit 3); a person resumes it in a terminal, Ctrl-C included, and finishes", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const config = join(dir, "vonage-ir.yaml");
    await writeFile(
      config,
      [
        `compromisedSince: "${sim.meta.compromisedSince}"`,
        `secrets:`,
        `  revokeFirst: ${sim.meta.attackerSecretIds[0]}`,
        `subaccounts:`,
        `  allow: [${sim.meta.legitimateSubaccountKeys.join(", ")}]`,
        `webhooks:`,
        `  decisions: ["collector.example.net keep"]`,
        `users:`,
        `  expected: [oncall@example.com]`,
        `attest:`,
        `  password.rotate: { by: bob@example.com, at: "2026-11-20T10:00:00Z", note: changed before the run, evidence: { users: all } }`,
        "",
      ].join("\n"),
    );
    const out = join(dir, "runs");
    const first = await run("node", [CLI, "run", "compromise", "--config", config, "--out", out], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", CI: "true", ...simEnv(sim) },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/Pending \(needs a person\):/);
    expect(first.stderr).toMatch(/… users\.review: manual: Remove unknown dashboard users/);
    expect(first.stderr).not.toMatch(/… password\.rotate/); // attested in the config
    const runId = /Resume with: \S+ \S+ run --resume (\S+)/.exec(first.stderr)?.[1];
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    const journal = await readFile(join(out, runId!, "journal.jsonl"), "utf8");
    expect(journal).toMatch(/"t":"done","changeId":"password.rotate:manual".*"by":"bob@example.com"/);

    // The new secret is what authenticates now: a resume reads it from the sink, not from the env.
    const resumeArgs = ["run", "--resume", runId!, "--config", config, "--out", out];
    const pty = new PtySession(resumeArgs, { cwd: dir, env: simEnv(sim) });
    // Whoever takes over is asked who they are before anything of theirs is journaled.
    await pty.waitFor("Your name or email");
    pty.line("dave@example.com");
    const start = await pty.waitFor("Proceed?");
    expect(start).toMatch(/Resuming compromise/);
    expect(start).toMatch(/secrets\s+nothing left to do/);
    expect(start).toMatch(/users\.review\s+1 manual/);
    pty.type(KEY.enter);
    await pty.waitFor("Switch auto-reload off in the dashboard: is it done?");
    pty.type(KEY.ctrlC);
    const aborted = await pty.waitFor(/Resume with: \S+ \S+ run --resume \S+/);
    expect(aborted).toMatch(/aborted \(exit 130\)/);
    expect(await pty.exited).toBe(130);
    // One resume hint on the screen: the summary's exact command, not a second, vaguer one after the error.
    expect(pty.raw.match(/resume with:/gi)).toHaveLength(1);
    expect(pty.raw).not.toContain("<run-id>");

    await switchAutoreloadOff(sim);
    const again = new PtySession(resumeArgs, { cwd: dir, env: simEnv(sim) });
    await again.waitFor("Your name or email");
    again.line("carol@example.com");
    await again.waitFor("Proceed?");
    again.type(KEY.enter);
    await again.waitFor("Switch auto-reload off in the dashboard: is it done?");
    again.type(KEY.enter);
    await again.waitFor(/verified: autoReload is false/);
    await answerManual(again, /Remove unknown dashboard users: is it done\?/, [["Users removed", "none"]]);
    await answerManual(again, /Verify the MFA \(two-factor\) contacts: is it done\?/, [
      ["MFA phone", "0123"],
      ["MFA email", "oncall@example.com"],
      ["Do both match", "yes"],
    ]);
    await answerManual(again, /Set a new signature secret in the dashboard: is it done\?/, []);
    await answerManual(again, /Send the IP allow-listing request to Vonage support: is it done\?/, [
      ["Support ticket number for the allow-listing request", "CS-1"],
    ]);
    await answerManual(again, /Enable Fraud Defender protections: is it done\?/, [
      ["Protections enabled", "alerts"],
    ]);
    await answerManual(again, /Open a support ticket with Vonage: is it done\?/, [
      ["Support ticket number", "CS-2"],
    ]);
    const end = await again.waitFor(/Run \S+: done \(exit 0\)/);
    expect(end).not.toMatch(/Check the credentials and what the account can use \[/); // done steps are not run again
    expect(await again.exited).toBe(0);

    // The timeline says who did what: the unattended start (no name given: the OS user and host), then each
    // person who took over, by the name they gave.
    const timeline = await readFile(join(out, runId!, "report.md"), "utf8");
    expect(timeline).toMatch(/run started for account \S+ \(by [^()\s]+@[^()\s]+\)/);
    expect(timeline).toMatch(/run resumed \(interactive\) \(by dave@example\.com \([^()\s]+@[^()\s]+\)\)/);
    expect(timeline).toMatch(/done: manual: open a Vonage support ticket .*\(by carol@example\.com \(/);

    // The support ticket draft and everything else hold no secret.
    const runDir = join(out, runId!);
    const sink = join(runDir, "secrets");
    const secrets = [
      ...sim.dumpState().primary.secrets.map((s) => s.value),
      sim.primary.apiSecret,
      ...(await Promise.all(
        (await readdir(sink)).filter((f) => f !== "README.txt").map((f) => readFile(join(sink, f), "utf8")),
      )),
    ];
    const ticket = await readFile(join(runDir, "support-ticket.md"), "utf8");
    expect(ticket).toMatch(/What we did:/);
    const outputs = [
      ticket,
      first.stderr,
      again.screen,
      pty.screen,
      journal,
      await readFile(join(runDir, "report.md"), "utf8"),
    ];
    for (const secret of secrets) {
      const probe = secret.includes("PRIVATE KEY") ? (secret.split("\n")[1] ?? secret) : secret;
      for (const text of outputs) expect(text.includes(probe)).toBe(false);
    }
  });
});
