// Decisions that read at a glance, in a real terminal and without one: destructive confirms default to No (and a
// No is "declined", not an error), the plan's legend once, colour only on a terminal without NO_COLOR, warnings
// under their change, drill --dry-run, and --secret-stdin typed in a terminal.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startE2eSimulator, writeRequests, type E2eSimulator } from "./helpers/e2e-simulator.js";
import { CLI, KEY, PtySession, REPO_ROOT } from "./helpers/pty-session.js";

const run = promisify(execFile);
// eslint-disable-next-line no-control-regex -- the SGR sequence that turns text red
const RED = /\u001b\[31m/;
// eslint-disable-next-line no-control-regex -- any escape sequence
const ESCAPE = /\u001b\[/;
const ONE_STEP_RUNBOOK = join(REPO_ROOT, "test/fixtures/runbooks/rotate-secrets-confirmed.yaml");

let dir: string;
let sim: E2eSimulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vonage-ir-decisions-"));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await rm(dir, { recursive: true, force: true });
});

/**
 * A config with every decision of the compromised scenario, so that planning asks nothing; `compromise` false: only
 * the inputs of the one-step secrets runbook (the config may name no input its runbook lacks).
 */
async function decidedConfig(s: E2eSimulator, compromise = true): Promise<string> {
  const config = join(dir, "vonage-ir.yaml");
  await writeFile(
    config,
    [
      `compromisedSince: "${s.meta.compromisedSince}"`,
      `secrets:`,
      // The one-step runbook has no secrets.revoke input (an unknown config key is refused).
      ...(compromise ? [`  revoke: immediately`] : []),
      `  revokeFirst: ${s.meta.attackerSecretIds[0]}`,
      ...(compromise
        ? [
            `applications:`,
            `  strategy: rekey`,
            `subaccounts:`,
            `  allow: [${s.meta.legitimateSubaccountKeys.join(", ")}]`,
            `traffic:`,
            `  block: []`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  return config;
}

async function runDirectories(out: string): Promise<string[]> {
  return readdir(out).then(
    (entries) => entries.filter((e) => /^\d{8}-\d{6}-[0-9a-f]{6}$/.test(e)),
    () => [],
  );
}

describe("destructive confirms", () => {
  it("Enter at a destructive step's confirm declines it: nothing revoked, 'declined', exit 0", async () => {
    sim = await startE2eSimulator({ scenario: "compromised" });
    const config = await decidedConfig(sim, false);
    const secretsBefore = sim.dumpState().primary.secrets.map((s) => s.id);
    const pty = new PtySession(["run", ONE_STEP_RUNBOOK, "--config", config, "--out", join(dir, "runs")], {
      cwd: dir,
      env: sim.env(),
    });
    const start = await pty.waitFor(/Proceed\? \(y\/N\)/);
    expect(start).toMatch(/secrets\s+2 delete, 1 create, 3 verify/);
    pty.line("y");
    await pty.waitFor("Your name or email");
    pty.line("Frank");
    const confirm = await pty.waitFor(/Apply 6 change\(s\) of "Rotate the API secret\(s\)"\? \(y\/N\)/);
    expect(confirm).toMatch(/- revoke secret/);
    pty.type(KEY.enter);
    const end = await pty.waitFor(/Run \S+: \w+ \(exit \d+\)/);
    expect(end).toMatch(/secrets: skipped \(declined by the operator\)/);
    expect(end).toMatch(/: done \(exit 0\)/);
    expect(await pty.exited).toBe(0);
    expect(pty.screen).not.toMatch(/error:/);
    expect(sim.dumpState().primary.secrets.map((s) => s.id)).toEqual(secretsBefore);
    expect(writeRequests(sim)).toEqual([]);
    // Each decline says who declined.
    const [runId = ""] = await runDirectories(join(dir, "runs"));
    const journal = await readFile(join(dir, "runs", runId, "journal.jsonl"), "utf8");
    const declined = journal
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { t: string; reason?: string; actor?: { operator?: string } })
      .filter((r) => r.t === "skipped" && r.reason === "declined by the operator");
    expect(declined).toHaveLength(6);
    for (const record of declined) expect(record.actor?.operator).toBe("Frank");
  });

  it("Enter at the start screen of a destructive plan declines it: nothing done, no run directory named or left", async () => {
    sim = await startE2eSimulator({ scenario: "compromised" });
    const config = await decidedConfig(sim);
    const out = join(dir, "runs");
    const pty = new PtySession(["run", "compromise", "--config", config, "--out", out], {
      cwd: dir,
      env: sim.env(),
    });
    await pty.waitFor(/Proceed\? \(y\/N\)/);
    pty.type(KEY.enter);
    await pty.waitFor("Declined: nothing was done");
    expect(await pty.exited).toBe(0);
    expect(pty.screen).not.toMatch(/error:|--resume|run directory \//);
    expect(pty.screen).not.toContain(out);
    expect(await runDirectories(out)).toEqual([]);
    expect(writeRequests(sim)).toEqual([]);
  });
});

describe("the plan at a glance", () => {
  it("the start screen: the legend once, warnings under their change, destructive counts red on a terminal", async () => {
    sim = await startE2eSimulator({ scenario: "compromised" });
    const config = await decidedConfig(sim);
    for (const noColor of [false, true]) {
      const pty = new PtySession(["run", "compromise", "--config", config, "--out", join(dir, "runs")], {
        cwd: dir,
        env: { ...sim.env(), ...(noColor ? { NO_COLOR: "1" } : {}) },
      });
      const start = await pty.waitFor(/Proceed\?/);
      pty.type(KEY.enter);
      expect(await pty.exited).toBe(0);
      expect(start.match(/Legend:/g)).toHaveLength(1);
      expect(start).not.toMatch(/warning\(s\): see --dry-run/);
      // the warning right under the change it concerns
      expect(start).toMatch(
        /- revoke secret [^\n]*\(old\)[^\n]*\n\s+! revoked as soon as the new secret works: production still using/,
      );
      const raw = pty.raw.slice(0, pty.raw.indexOf("Proceed?"));
      expect(RED.test(raw)).toBe(!noColor);
      if (!noColor) expect(raw).toContain("\u001b[31m2 delete\u001b[39m");
    }
  });

  it("a dry run without a terminal: no escape sequence, one mark per meaning, each with the legend once", async () => {
    sim = await startE2eSimulator({ scenario: "compromised" });
    const config = await decidedConfig(sim);
    // FORCE_COLOR is not a terminal: no colour in a log file.
    const { stderr } = await run(
      "node",
      [CLI, "run", "compromise", "--dry-run", "--full", "--config", config, "--out", join(dir, "runs")],
      { cwd: dir, env: { PATH: process.env.PATH ?? "", FORCE_COLOR: "1", ...sim.env() } },
    );
    expect(ESCAPE.test(stderr)).toBe(false);
    expect(stderr.match(/^Legend:/gm)).toHaveLength(1);
    expect(stderr).toMatch(/^ {4}= prove the new secret/m);
    expect(stderr).toMatch(/^ {4}- revoke secret/m);
    expect(stderr).toMatch(/^ {4}- suspend subaccount/m);
    expect(stderr).toMatch(/^ {4}\* manual: Remove unknown dashboard users/m);
    expect(stderr).not.toMatch(/^ {4}[?!] /m);
    // one mark per line: describe() texts carry none of their own
    expect(stderr).not.toMatch(/^ {4}\S [-+~!?>=*] /m);
    expect(stderr).not.toMatch(/… and \d+ more/);
  });
});

describe("drill --dry-run", () => {
  it("prints the drill's plan against a fresh simulator and sends no mutating request", async () => {
    const out = join(dir, "drills");
    const { stdout, stderr } = await run("node", [CLI, "drill", "--dry-run", "--out", out], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(stdout).toBe("");
    expect(stderr).toMatch(/Planning \(dry run, nothing will change\) compromise/);
    expect(stderr).toMatch(/- revoke secret/);
    expect(stderr).toMatch(/… and \d+ more: add --full to list every one/);
    expect(stderr).toMatch(/The simulated account received 0 mutating request\(s\)\./);
    expect(stderr).not.toMatch(/What a real run would have done|--resume/);
    expect(await runDirectories(out)).toEqual([]);
  });
});

describe("--secret-stdin in a terminal", () => {
  it("explains that the walkthrough needs stdin and how to proceed, exit 2, before anything else", async () => {
    sim = await startE2eSimulator({ scenario: "compromised" });
    const { VONAGE_API_SECRET: _secret, ...env } = sim.env();
    const pty = new PtySession(["run", "compromise", "--secret-stdin", "--out", join(dir, "runs")], {
      cwd: dir,
      env: env as Record<string, string>,
    });
    expect(await pty.exited).toBe(2);
    const screen = pty.screen;
    expect(screen).toMatch(/stdin is this terminal, which the walkthrough needs for its questions/);
    expect(screen).toMatch(/read -rs VONAGE_API_SECRET && export VONAGE_API_SECRET/);
    expect(screen).toMatch(/--secret-stdin < secret\.txt/);
    expect(screen).toMatch(/--yes and a --config/);
    expect(screen).not.toMatch(/Reading account/);
    expect(sim.requestCount()).toBe(0);
  });
});
