// The attacker window end to end: the journal marks every change that kills a compromised credential, and the
// report and the end screen say how long the old credentials lived (or which still do). Speed is the bench's
// business: these only check that N is a plausible wall-clock figure.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const start = e2eRunStarter();

interface PlannedChange {
  id: string;
  action: string;
  kind: string;
  killsCredential?: string;
}

async function journalOf(runDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(runDir, "journal.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function plannedChanges(records: Record<string, unknown>[]): PlannedChange[] {
  const plan = records.find((r) => r.t === "plan")?.plan as { steps: { changes: PlannedChange[] }[] };
  return plan.steps.flatMap((s) => s.changes);
}

/** Per strategy: its config values, its step, and the change that kills an application's old key. */
const STRATEGIES = [
  {
    strategy: "rekey (the default)",
    values: {},
    stepId: "applications.rekey",
    kills: (c: PlannedChange) => c.action === "applications.rekey" && c.kind === "update",
    credential: /^application key \S+$/,
  },
  {
    strategy: "recreate",
    values: { "applications.strategy": "recreate" },
    stepId: "applications",
    kills: (c: PlannedChange) => c.action === "applications.recreate" && c.kind === "delete",
    credential: /^key of application \S+ /,
  },
];

const DEAD =
  /old credentials dead after (\d+(?:\.\d+)?) s \(from the run's start to the last one killed: ([^)]+)\)/;

describe.concurrent("attacker window", () => {
  it.each(STRATEGIES)(
    "$strategy: journals killsCredential on every revoke and application key change, and reports when the last one died",
    async ({ values, kills, credential }) => {
      const e = await start({ scenario: "compromised" }, { values });
      await e.sim.setAutoReload(false);
      const began = performance.now();
      const result = await e.run();
      const tookSeconds = (performance.now() - began) / 1000;
      expect(result.code, result.stderr).toBe(0);
      const [runId] = await e.runIds();
      const runDir = e.runDir(runId ?? "");

      const records = await journalOf(runDir);
      const changes = plannedChanges(records);
      const killing = changes.filter((c) => c.killsCredential !== undefined);
      const revokes = changes.filter((c) => c.action === "secrets.rotate" && c.kind === "delete");
      const keys = changes.filter(kills);
      expect(revokes.length).toBeGreaterThanOrEqual(2);
      // one per application: every old key dies in this run
      expect(keys).toHaveLength(e.sim.initialState.applications.length);
      expect(killing.map((c) => c.id).sort()).toEqual([...revokes, ...keys].map((c) => c.id).sort());
      for (const c of revokes) expect(c.killsCredential).toMatch(/^API secret \S+ of \S+$/);
      for (const c of keys) expect(c.killsCredential).toMatch(credential);

      const report = await readFile(join(runDir, "report.md"), "utf8");
      const match = DEAD.exec(report);
      expect(match, report.slice(0, 1500)).not.toBeNull();
      const seconds = Number(match?.[1]);
      // Plausible: after the run's start, within the time the CLI ran.
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(tookSeconds);
      // The last credential named is one a change killed, and it died at that change's done record.
      const last = killing.find((c) => c.killsCredential === match?.[2]?.trim());
      expect(last, match?.[2]).toBeDefined();
      // the applications step runs after the secrets step: an application's key is the last to die
      expect(keys).toContain(last);
      const json = JSON.parse(await readFile(join(runDir, "report.json"), "utf8")) as {
        attackerWindow: { from: string; to: string; alive: unknown[] };
      };
      expect(json.attackerWindow.alive).toEqual([]);
      const done = records.find((r) => r.t === "done" && r.changeId === last?.id);
      expect(json.attackerWindow.to).toBe(done?.ts);
      expect(json.attackerWindow.from).toBe(records[0]?.startedAt);
      // One line of the end screen.
      expect(result.stderr).toMatch(/^Attacker window: old credentials dead after \d+(\.\d+)? s /m);
    },
  );

  it.each(STRATEGIES)(
    "$strategy, after a resume: counted from the first attempt's start to a kill of the resumed attempt, re-planned steps keeping killsCredential",
    async ({ values, stepId, kills, credential }) => {
      const e = await start({ scenario: "compromised" }, { values });
      await e.sim.setAutoReload(false);
      // Killed at the new secret's creation: the applications step has not started, so the resume re-plans it.
      const first = await e.run([], {
        kill: { sim: e.sim, when: (_n, r) => r.method === "POST" && /\/secrets$/.test(r.path) },
      });
      expect(first.killed).toBe(true);
      const [runId] = await e.runIds();
      const second = await e.resume(runId ?? "");
      expect(second.code, second.stderr).toBe(0);
      const runDir = e.runDir(runId ?? "");
      const records = await journalOf(runDir);
      const resumedAt = Date.parse(String(records.find((r) => r.t === "resume")?.ts));
      const replanned = records.find((r) => r.t === "replan" && r.stepId === stepId)?.plan as
        { changes: PlannedChange[] } | undefined;
      const keys = (replanned?.changes ?? []).filter(kills);
      expect(keys.length).toBeGreaterThan(0);
      for (const c of keys) expect(c.killsCredential).toMatch(credential);
      const json = JSON.parse(await readFile(join(runDir, "report.json"), "utf8")) as {
        attackerWindow: { from: string; to: string; seconds: number; attempts: number };
      };
      expect(json.attackerWindow.from).toBe(records[0]?.startedAt);
      expect(json.attackerWindow.attempts).toBe(2);
      expect(Date.parse(json.attackerWindow.to)).toBeGreaterThan(resumedAt);
      expect(json.attackerWindow.seconds * 1000).toBeGreaterThan(
        resumedAt - Date.parse(json.attackerWindow.from),
      );
      expect(await readFile(join(runDir, "report.md"), "utf8")).toMatch(
        /dead after [\d.]+ s .*over 2 attempts\)/,
      );
    },
  );

  it("recreate, an application that cannot be replaced: the report and the end screen say its key is still alive", async () => {
    const e = await start({ scenario: "compromised" }, { values: { "applications.strategy": "recreate" } });
    await e.sim.setAutoReload(false);
    // A linked number whose SMS webhook does not answer: Vonage refuses to move it, so its application stays.
    const state = await e.sim.fetchState();
    const number = state.numbers.find((n) => n.appId !== undefined);
    if (!number?.appId) throw new Error("no linked number");
    number.moHttpUrl = "https://sms-hooks.example.com/inbound";
    const loaded = await fetch(`${e.sim.url}/_sim/state`, {
      method: "PUT",
      headers: { authorization: `Bearer ${e.sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(state),
    });
    expect(loaded.status).toBe(200);
    const result = await e.run();
    expect(result.code).not.toBe(0);
    const [runId] = await e.runIds();
    const report = await readFile(join(e.runDir(runId ?? ""), "report.md"), "utf8");
    const line = report.split("\n").find((l) => l.startsWith("- Attacker window: "));
    expect(line).toMatch(/old credentials STILL ALIVE: \d+ of \d+: /);
    expect(line).toContain(`key of application ${number.appId}`);
    expect(line).not.toMatch(/^- Attacker window: old credentials dead after/);
    expect(result.stderr).toMatch(/^Attacker window: old credentials STILL ALIVE: /m);
  });
});
