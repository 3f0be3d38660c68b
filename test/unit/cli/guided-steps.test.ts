// Each guided step of the compromise runbook through the scripted prompter (the interactive path without a
// terminal): instructions shown, evidence validated and recorded, skip with a reason, "later" left pending;
// then `vonage-ir report <run-id>` rebuilds the report from the journal.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import {
  compromiseConfig,
  removeTempDirs,
  runMain,
  simEnv,
  tempDir,
  writeConfig,
} from "../../helpers/cli-io.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await removeTempDirs();
});

describe("guided steps through the scripted prompter", () => {
  it("shows each step's instructions, records evidence and attestations, and leaves 'later' pending (exit 3)", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      ...compromiseConfig(sim),
      users: { expected: ["oncall@example.com"] },
      mfa: { expectedPhone: "+44 7700 900123", expectedEmail: "oncall@example.com" },
      ipAllowlist: ["198.51.100.10"],
    });
    const prompter = new ScriptedPrompter([
      { match: "Start:", answer: true },
      { match: 'of "Rotate the API secret(s)"', answer: true },
      { match: "secrets.revoke (", answer: "immediately" },
      { match: "applications.strategy", answer: "rekey" },
      { match: 'of "Replace every application', answer: true },
      { match: 'of "Suspend unknown subaccounts"', answer: true },
      { match: "Switch auto-reload off in the dashboard: is it done?", answer: "skip" },
      { match: "Why is it skipped?", answer: "finance owns billing; they switch it off at 9:00" },
      { match: "Remove unknown dashboard users: is it done?", answer: "done" },
      { match: "Users removed", answer: "intruder@example.net" },
      { match: "Your name or email", answer: "dana@example.com" },
      { match: "Verify the MFA (two-factor) contacts: is it done?", answer: "done" },
      { match: "MFA phone", answer: "0123" },
      { match: "MFA email", answer: "oncall@example.com" },
      { match: "Do both match", answer: "no, phone changed: escalated to support" },
      { match: "Set a new signature secret in the dashboard: is it done?", answer: "done" },
      { match: "Change the dashboard password of every user: is it done?", answer: "done" },
      { match: "Whose passwords", answer: "all" },
      { match: "Send the IP allow-listing request to Vonage support: is it done?", answer: "done" },
      { match: "Support ticket number for the allow-listing request", answer: "CS-1" },
      { match: "Enable Fraud Defender protections: is it done?", answer: "later" },
      { match: "Open a support ticket with Vonage: is it done?", answer: "done" },
      { match: "Support ticket number", answer: "CS-2" },
    ]);
    const out = join(dir, "runs");
    const result = await runMain(["run", "compromise", "--config", config, "--out", out], {
      env: simEnv(sim),
      cwd: dir,
      prompter,
    });
    expect(result.stderr()).toMatch(/Run \S+: pending \(exit 3\)/);
    expect(result.code).toBe(3);
    expect(prompter.unused()).toEqual([]);

    const said = prompter.said.join("\n");
    expect(said).toMatch(/What will change:/);
    expect(said).toMatch(/Billing & payments → Auto reload/);
    expect(said).toMatch(/Compare the list with the expected users:\n\s+oncall@example.com/);
    expect(said).toMatch(/The MFA phone must be \+44 7700 900123 and the email oncall@example.com/);
    expect(said).toMatch(/Candidate: .*signature-secret-candidate \(sha256:[0-9a-f]{16}\)/);
    expect(said).toMatch(/Request text: .*ip-allowlist-request\.txt/);
    expect(said).toMatch(/Ticket draft: .*support-ticket\.md/);

    const runId = (await readdir(out)).find((name) => /^\d{8}-/.test(name))!;
    const runDir = join(out, runId);
    const journal = await readFile(join(runDir, "journal.jsonl"), "utf8");
    expect(journal).toMatch(
      /"changeId":"users.review:manual".*"by":"dana@example.com".*"removed":"intruder@example.net"/,
    );
    expect(journal).toMatch(
      /"t":"skipped","changeId":"autoreload:switch-off","reason":"finance owns billing/,
    );
    expect(journal).toMatch(
      /"t":"pending","changeId":"fraud-defender.enable:manual","reason":"left for later by the operator"/,
    );
    expect(await readFile(join(runDir, "ip-allowlist-request.txt"), "utf8")).toMatch(/- 198\.51\.100\.10/);
    const ticket = await readFile(join(runDir, "support-ticket.md"), "utf8");
    expect(ticket).toMatch(/API key [0-9a-f]{8}/);
    for (const secret of sim
      .dumpState()
      .primary.secrets.map((s) => s.value)
      .concat(sim.primary.apiSecret)) {
      expect(ticket.includes(secret)).toBe(false);
    }
    const candidate = await readFile(join(runDir, "secrets", "signature-secret-candidate"), "utf8");
    expect(candidate).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(journal.includes(candidate)).toBe(false);
    expect(said.includes(candidate)).toBe(false);

    const report = await runMain(["report", runId, "--out", out], { cwd: dir });
    expect(report.code).toBe(0);
    expect(report.stdout()).toMatch(/## Pending\n\n- \*\*fraud-defender\.enable\*\*/);
    expect(report.stdout()).toMatch(/↷ skipped: manual: switch auto-reload off/);
    const json = await runMain(["report", runId, "--out", out, "--json"], { cwd: dir });
    const parsed = JSON.parse(json.stdout()) as { runId: string; pending: { step: string }[] };
    expect(parsed.runId).toBe(runId);
    expect(parsed.pending.map((p) => p.step)).toEqual(["fraud-defender.enable"]);
  });

  it("does not ask about a step the config attests, even in a terminal, and records the attestation", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      ...compromiseConfig(sim),
      attest: {
        "users.review": {
          by: "erin@example.com",
          at: "2026-11-20T09:30:00Z",
          note: "reviewed before the run",
          evidence: { removed: "none" },
        },
      },
    });
    const later = Array.from({ length: 7 }, () => ({ match: "is it done?", answer: "later" }));
    const prompter = new ScriptedPrompter([
      { match: "Start:", answer: true },
      { match: "Your name or email", answer: "erin@example.com" },
      { match: 'of "Rotate the API secret(s)"', answer: true },
      { match: "secrets.revoke (", answer: "immediately" },
      { match: "applications.strategy", answer: "rekey" },
      { match: 'of "Replace every application', answer: true },
      { match: 'of "Suspend unknown subaccounts"', answer: true },
      ...later,
    ]);
    const out = join(dir, "runs");
    const result = await runMain(["run", "compromise", "--config", config, "--out", out], {
      env: simEnv(sim),
      cwd: dir,
      prompter,
    });
    expect(result.code).toBe(3);
    expect(prompter.unused()).toEqual([]);
    expect(prompter.asked.some((q) => q.includes("Remove unknown dashboard users"))).toBe(false);
    expect(prompter.said.join("\n")).toMatch(
      /✔ Remove unknown dashboard users: attested in the config by erin@example.com at 2026-11-20T09:30:00Z/,
    );
    const runId = (await readdir(out)).find((name) => /^\d{8}-/.test(name))!;
    const journal = await readFile(join(out, runId, "journal.jsonl"), "utf8");
    expect(journal).toMatch(/"changeId":"users.review:manual".*"by":"erin@example.com".*"source":"config"/);
    expect(result.stderr()).toMatch(/✔ subaccounts\s+done/);
  });

  it("report with an unknown run id says which runs exist (exit 2)", async () => {
    const dir = await tempDir();
    const result = await runMain(["report", "20990101-000000-abcdef", "--out", dir], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr()).toMatch(/unknown run id 20990101-000000-abcdef/);
  });
});
