// Manual steps through main(): non-interactive runs leave unattested ones pending (exit 3, listed), config
// attestations complete them, an interactive run is driven by a ScriptedPrompter, and a resume refuses a
// changed runbook or config.
import { existsSync } from "node:fs";
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { offlineEnv, removeTempDirs, runMain, tempDir, writeConfig } from "../../helpers/cli-io.js";

const FIXTURE = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");

afterEach(removeTempDirs);

async function setup() {
  const dir = await tempDir();
  const runbook = join(dir, "manual-only.yaml");
  await copyFile(FIXTURE, runbook);
  return { dir, runbook, out: join(dir, "runs") };
}

async function onlyRun(out: string): Promise<string> {
  const runs = (await readdir(out)).filter((name) => !name.startsWith("."));
  expect(runs).toHaveLength(1);
  return runs[0] ?? "";
}

const attestUsers = {
  attest: {
    "users.review": {
      by: "alice@example.com",
      at: "2026-11-20T09:00:00Z",
      note: "checked with the team",
      evidence: { removed: "none" },
    },
  },
};

describe("a non-interactive run with manual steps", () => {
  it("shows an attestation dated before the run, accepted for its note, as attested before the run", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const result = await runMain(["run", runbook, "--yes", "--config", config, "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(3);
    const report = await readFile(join(out, await onlyRun(out), "report.md"), "utf8");
    expect(report).toContain("attested by alice@example.com, attested before the run: checked with the team");
  });

  it("exits 3 and lists the unattested manual steps on stderr", async () => {
    const { dir, runbook, out } = await setup();
    const result = await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env: offlineEnv });
    expect(result.code).toBe(3);
    const stderr = result.stderr();
    expect(stderr).toContain("Pending (needs a person):");
    expect(stderr).toContain("… users.review: manual: Remove unknown dashboard users");
    expect(stderr).toContain("… support.ticket: manual: Open a support ticket");
    expect(stderr).toMatch(/Resume with: node \S+\/bin\/vonage-ir\.js run --resume /);
  });

  it("lists them in run.finished.pending under --json", async () => {
    const { dir, runbook, out } = await setup();
    const result = await runMain(["run", runbook, "--yes", "--json", "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(3);
    const finished = result.jsonLines().find((event) => event.kind === "run.finished");
    expect(finished).toMatchObject({
      status: "pending",
      exitCode: 3,
      pending: [
        { stepId: "users.review", changeId: "users.review:manual" },
        { stepId: "support.ticket", changeId: "support.ticket:manual" },
      ],
    });
  });

  it("counts a step attested in the config as done and leaves only the others pending", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const result = await runMain(["run", runbook, "--yes", "--json", "--config", config, "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(3);
    const finished = result.jsonLines().find((event) => event.kind === "run.finished");
    expect(finished?.pending).toEqual([expect.objectContaining({ stepId: "support.ticket" }) as unknown]);
  });
});

describe("an interactive run driven through a ScriptedPrompter", () => {
  it("asks to start, shows the instructions, records the evidence and the operator (asked once), exits 0", async () => {
    const { dir, runbook, out } = await setup();
    const prompter = new ScriptedPrompter([
      { match: /^Start: 2 change\(s\) on account abcd1234/, answer: true },
      { match: "Remove unknown dashboard users: is it done?", answer: "done" },
      { match: "Users removed", answer: "mallory@example.net" },
      { match: "Your name or email", answer: "bob@example.com" },
      { match: "Open a support ticket: is it done?", answer: "done" },
      { match: "Ticket number", answer: "INC-4711" },
    ]);
    const result = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(result.stderr()).toContain("(interactive)");
    expect(result.code).toBe(0);
    expect(prompter.unused()).toEqual([]);
    expect(prompter.said.join("\n")).toContain("Open a ticket with the prefix INC.");

    const runId = await onlyRun(out);
    const journal = await readFile(join(out, runId, "journal.jsonl"), "utf8");
    expect(journal).toContain('"removed":"mallory@example.net"');
    expect(journal).toContain('"by":"bob@example.com"');
  });

  it("records a skip with its reason and leaves a step for later pending (exit 3)", async () => {
    const { dir, runbook, out } = await setup();
    const prompter = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: "Remove unknown dashboard users: is it done?", answer: "skip" },
      { match: "Why is it skipped?", answer: "the account has a single user" },
      { match: "Open a support ticket: is it done?", answer: "later" },
      { match: "Your name or email", answer: "alice@example.com" },
    ]);
    const result = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(result.code).toBe(3);
    expect(prompter.unused()).toEqual([]);
    const journal = await readFile(join(out, await onlyRun(out), "journal.jsonl"), "utf8");
    expect(journal).toContain('"reason":"the account has a single user"');
  });

  it("declining the plan is not an error: nothing done, no run directory left or named (exit 0)", async () => {
    const { dir, runbook, out } = await setup();
    const prompter = new ScriptedPrompter([{ match: "Proceed?", answer: false }]);
    const result = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(result.code).toBe(0);
    expect(result.stderr()).toContain("Declined: nothing was done");
    expect(result.stderr()).not.toMatch(/error:|--resume/);
    expect(result.stderr()).not.toContain(out);
    expect((await readdir(out).catch(() => [])).filter((e) => /^\d{8}-/.test(e))).toEqual([]);
  });
});

describe("run --resume", () => {
  it("refuses when the runbook changed since the run started (exit 2)", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const argv = ["--yes", "--config", config, "--out", out];
    expect((await runMain(["run", runbook, ...argv], { cwd: dir, env: offlineEnv })).code).toBe(3);
    const runId = await onlyRun(out);
    await writeFile(runbook, `${await readFile(runbook, "utf8")}# edited\n`);
    const result = await runMain(["run", "--resume", runId, ...argv], { cwd: dir, env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`the runbook ${runbook} changed since run ${runId} started`);
  });

  it("refuses a resume whose config changed an input since the run started, naming it (exit 2)", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const argv = ["--yes", "--config", config, "--out", out];
    expect((await runMain(["run", runbook, ...argv], { cwd: dir, env: offlineEnv })).code).toBe(3);
    const runId = await onlyRun(out);
    await writeConfig(dir, { ...attestUsers, ticketPrefix: "SEC" });
    const result = await runMain(["run", "--resume", runId, ...argv], { cwd: dir, env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`input ticketPrefix (added) in ${config} differ`);
    expect(result.stderr()).toContain(`run ${runId} was planned with`);
  });

  it("an unattended resume closes a pending manual step attested in the config after exit 3", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const argv = ["--yes", "--config", config, "--out", out];
    const first = await runMain(["run", runbook, ...argv], { cwd: dir, env: offlineEnv });
    expect(first.code).toBe(3);
    expect(first.stderr()).toMatch(
      /attest:\n {2}support\.ticket:\n {4}by: .*\n {4}at: .*\n {4}evidence:\n {6}ticket: ""/,
    );
    const runId = await onlyRun(out);
    // Done by a person after the run stopped: dated after its start, so no note is needed.
    await writeConfig(dir, {
      attest: {
        ...attestUsers.attest,
        "support.ticket": {
          by: "bob@example.com",
          at: new Date().toISOString(),
          evidence: { ticket: "INC-7" },
        },
      },
    });
    const result = await runMain(["run", "--resume", runId, ...argv], { cwd: dir, env: offlineEnv });
    expect(result.code, result.stderr()).toBe(0);
  });

  it("an interactive resume finishes the pending manual steps without asking for the done ones", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const argv = ["--config", config, "--out", out];
    expect((await runMain(["run", runbook, "--yes", ...argv], { cwd: dir, env: offlineEnv })).code).toBe(3);
    const runId = await onlyRun(out);
    const prompter = new ScriptedPrompter([
      { match: /^Continue: 1 change\(s\)/, answer: true },
      { match: "Open a support ticket: is it done?", answer: "done" },
      { match: "Ticket number", answer: "INC-1" },
      { match: "Your name or email", answer: "alice@example.com" },
    ]);
    const result = await runMain(["run", "--resume", runId, ...argv], {
      cwd: dir,
      env: offlineEnv,
      prompter,
    });
    expect(result.code).toBe(0);
    expect(prompter.unused()).toEqual([]);
    expect(prompter.asked.join("\n")).not.toContain("Remove unknown dashboard users");
  });

  it("declining to continue a resume does nothing and leaves the run pending with its resume command (exit 3)", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, attestUsers);
    const argv = ["--config", config, "--out", out];
    expect((await runMain(["run", runbook, "--yes", ...argv], { cwd: dir, env: offlineEnv })).code).toBe(3);
    const runId = await onlyRun(out);
    const before = await readFile(join(out, runId, "journal.jsonl"), "utf8");
    const prompter = new ScriptedPrompter([
      { match: /^Continue: 1 change\(s\)/, answer: false },
      { match: "Your name or email", answer: "alice@example.com" },
    ]);
    const result = await runMain(["run", "--resume", runId, ...argv], {
      cwd: dir,
      env: offlineEnv,
      prompter,
    });
    expect(result.code).toBe(3);
    expect(result.stderr()).toContain("Declined: nothing more was done");
    expect(result.stderr()).not.toMatch(/error:/);
    // The printed command runs this copy (`node <path>/bin/vonage-ir.js` when vonage-ir on PATH is not it).
    expect(result.stderr()).toMatch(
      new RegExp(`Resume with: node \\S+/bin/vonage-ir\\.js run --resume ${runId} `),
    );
    const after = await readFile(join(out, runId, "journal.jsonl"), "utf8");
    expect(after.slice(before.length)).not.toMatch(/"t":"(intent|done|skipped)"/);
  });

  it("an unknown run id exits 2", async () => {
    const { dir, out } = await setup();
    const result = await runMain(["run", "--resume", "20261122-000000-abcdef", "--yes", "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`unknown run id 20261122-000000-abcdef in ${out}`);
  });

  it("an empty run id exits 2 instead of starting a new run", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(dir, { runbook, ...attestUsers });
    const result = await runMain(["run", "--resume", "", "--yes", "--config", config, "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("--resume needs a run id");
    expect(existsSync(out)).toBe(false);
  });

  it("something that is not a run id exits 2", async () => {
    const { dir, out } = await setup();
    const result = await runMain(["run", "--resume", "../../etc", "--yes", "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('"../../etc" is not a run id');
  });
});

describe("run --resume and the config", () => {
  it("finds the run in the out directory the config names", async () => {
    const { dir, runbook } = await setup();
    const config = await writeConfig(dir, { ...attestUsers, out: "config-runs" });
    const first = await runMain(["run", runbook, "--yes", "--config", config], { cwd: dir, env: offlineEnv });
    expect(first.code).toBe(3);
    const runId = await onlyRun(join(dir, "config-runs"));
    const result = await runMain(["run", "--resume", runId, "--yes", "--config", config], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.stderr()).toContain(`Resuming manual-only`);
    expect(result.code).toBe(3);
  });

  it("refuses to resume a run with the credentials of another account (exit 2)", async () => {
    const { dir, runbook, out } = await setup();
    expect((await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env: offlineEnv })).code).toBe(
      3,
    );
    const runId = await onlyRun(out);
    const result = await runMain(["run", "--resume", runId, "--yes", "--out", out], {
      cwd: dir,
      env: { ...offlineEnv, VONAGE_API_KEY: "ffff0000" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`run ${runId} is for account abcd1234, but VONAGE_API_KEY is ffff0000`);
  });
});

describe("attestations in the config", () => {
  it("an attested evidence value that does not match the field's pattern is a config error (exit 2)", async () => {
    const { dir, runbook, out } = await setup();
    const config = await writeConfig(
      dir,
      [
        "attest:",
        "  support.ticket:",
        "    by: alice@example.com",
        "    at: 2026-11-20T09:00:00Z",
        "    evidence:",
        "      ticket: see email",
        "",
      ].join("\n"),
    );
    const result = await runMain(["run", runbook, "--yes", "--config", config, "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(
      `${config}:6:15 attest.support.ticket.evidence.ticket: must match ^INC-[0-9]+$`,
    );
  });
});

describe("plan --save", () => {
  it("a plan file that cannot be written is a usage error (exit 2), not a bug", async () => {
    const { dir, runbook } = await setup();
    const result = await runMain(["plan", runbook, "--save", join(dir, "missing", "plan.json")], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`cannot write the plan to ${join(dir, "missing", "plan.json")}`);
  });
});

describe("aborting at a manual step", () => {
  it("exits 130 with the journal consistent, and a resume asks only for what is left", async () => {
    const { dir, runbook, out } = await setup();
    const prompter = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: "Remove unknown dashboard users: is it done?", answer: "done" },
      { match: "Users removed", answer: "none" },
      { match: "Your name or email", answer: "alice@example.com" },
      { match: "Open a support ticket: is it done?", answer: "abort" },
    ]);
    const first = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(first.code).toBe(130);
    expect(prompter.unused()).toEqual([]);
    const runId = await onlyRun(out);
    const records = (await readFile(join(out, runId, "journal.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { t: string; changeId?: string });
    const intents = records.filter((r) => r.t === "intent").map((r) => r.changeId);
    const closed = records
      .filter((r) => ["done", "pending", "skipped", "failed"].includes(r.t))
      .map((r) => r.changeId);
    expect(intents.every((id) => closed.includes(id))).toBe(true);
    expect(records.at(-1)).toMatchObject({ t: "end", exitCode: 130 });

    const again = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: "Open a support ticket: is it done?", answer: "done" },
      { match: "Ticket number", answer: "INC-7" },
      { match: "Your name or email", answer: "alice@example.com" },
    ]);
    const resumed = await runMain(["run", "--resume", runId, "--out", out], {
      cwd: dir,
      env: offlineEnv,
      prompter: again,
    });
    expect(resumed.code).toBe(0);
    expect(again.unused()).toEqual([]);
  });
});

describe("--break-lock", () => {
  it("takes over a lock held by a live process, with a warning naming the holder", async () => {
    const { dir, runbook, out } = await setup();
    const { mkdir } = await import("node:fs/promises");
    const { hostname } = await import("node:os");
    await mkdir(out, { recursive: true });
    const holder = { runId: "20261122-100000-abcdef", pid: process.pid, host: hostname(), startedAt: "x" };
    await writeFile(join(out, ".lock-abcd1234"), JSON.stringify(holder));
    const refused = await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env: offlineEnv });
    expect(refused.code).toBe(4);
    expect(refused.stderr()).toContain("account abcd1234 is locked by run 20261122-100000-abcdef");
    const result = await runMain(["run", runbook, "--yes", "--break-lock", "--out", out], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(3);
    expect(result.stderr()).toContain("taking over the lock of run 20261122-100000-abcdef");
  });
});

describe("required inputs the config does not give", () => {
  async function requiredSetup() {
    const s = await setup();
    const text = (await readFile(s.runbook, "utf8")).replace(
      "    type: string\n    default: INC",
      "    type: string\n    required: true\n    description: the prefix of your ticket numbers",
    );
    await writeFile(s.runbook, text);
    return s;
  }

  it("a non-interactive run fails before anything runs, naming the input to set (exit 2)", async () => {
    const { dir, runbook, out } = await requiredSetup();
    const result = await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(
      "(no --config) ticketPrefix: required input is not set (the prefix of your ticket numbers)",
    );
    expect(result.stderr()).toContain("set ticketPrefix in the config file");
  });

  it("an interactive run asks for it and uses the answer", async () => {
    const { dir, runbook, out } = await requiredSetup();
    const prompter = new ScriptedPrompter([
      { match: "ticketPrefix (the prefix of your ticket numbers)", answer: "SEC" },
      { match: "Proceed?", answer: true },
      { match: "Your name or email", answer: "alice@example.com" },
      { match: "Remove unknown dashboard users: is it done?", answer: "later" },
      { match: "Open a support ticket: is it done?", answer: "later" },
    ]);
    const result = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(result.code).toBe(3);
    expect(prompter.unused()).toEqual([]);
    expect(prompter.said.join("\n")).toContain("Open a ticket with the prefix SEC.");
  });

  it("a resume reuses the answer given when the run started, and does not ask again", async () => {
    const { dir, runbook, out } = await requiredSetup();
    const prompter = new ScriptedPrompter([
      { match: "ticketPrefix", answer: "SEC" },
      { match: "Proceed?", answer: true },
      { match: "Remove unknown dashboard users: is it done?", answer: "abort" },
      { match: "Your name or email", answer: "alice@example.com" },
    ]);
    const first = await runMain(["run", runbook, "--out", out], { cwd: dir, env: offlineEnv, prompter });
    expect(first.code).toBe(130);
    const runId = await onlyRun(out);
    const again = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: "Remove unknown dashboard users: is it done?", answer: "later" },
      { match: "Your name or email", answer: "alice@example.com" },
      { match: "Open a support ticket: is it done?", answer: "later" },
    ]);
    const resumed = await runMain(["run", "--resume", runId, "--out", out], {
      cwd: dir,
      env: offlineEnv,
      prompter: again,
    });
    expect(resumed.stderr()).not.toContain("no answer for question");
    expect(resumed.code).toBe(3);
    expect(again.said.join("\n")).toContain("Open a ticket with the prefix SEC.");
  });

  it("apply by the user who saved the plan uses the answers it was made with, without them in the config", async () => {
    const { dir, runbook, out } = await requiredSetup();
    const prompter = new ScriptedPrompter([{ match: "ticketPrefix", answer: "SEC" }]);
    // One user: the same state directory, which holds the key that seals saved plans.
    const env = { ...offlineEnv, VONAGE_IR_STATE_DIR: join(dir, "state") };
    const planned = await runMain(["plan", runbook, "--save", "plan.json"], { cwd: dir, env, prompter });
    expect(planned.code).toBe(0);
    const applied = await runMain(["apply", "plan.json", "--yes", "--json", "--out", out], { cwd: dir, env });
    expect(applied.stderr()).not.toContain("required input is not set");
    expect(applied.code).toBe(3);
  });

  it("apply of a plan another user saved does not take its typed answers: the config must give them", async () => {
    const { dir, runbook, out } = await requiredSetup();
    const prompter = new ScriptedPrompter([{ match: "ticketPrefix", answer: "SEC" }]);
    const planned = await runMain(["plan", runbook, "--save", "plan.json"], {
      cwd: dir,
      env: { ...offlineEnv, VONAGE_IR_STATE_DIR: join(dir, "alice") },
      prompter,
    });
    expect(planned.code).toBe(0);
    const applied = await runMain(["apply", "plan.json", "--yes", "--json", "--out", out], {
      cwd: dir,
      env: { ...offlineEnv, VONAGE_IR_STATE_DIR: join(dir, "mallory") },
    });
    expect(applied.stderr()).toContain("ticketPrefix: required input is not set");
    expect(applied.code).toBe(2);
  });
});
