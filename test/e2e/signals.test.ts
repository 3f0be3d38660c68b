// SIGINT and SIGTERM mid-run: the first signal lets the change in flight finish, then the run stops with exit
// 130, its journal consistent (no open intent) and resumable; `run --resume` finishes with the correct end state.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJournal } from "../../src/engine/journal.js";
import { finalChecks } from "../chaos/helpers/chaos.js";
import { endStateInvariants, primaryApplications } from "./helpers/end-state.js";
import { startE2eRun, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests, type RequestInfo } from "./helpers/e2e-simulator.js";

let current: E2eRun | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

type When = (count: number, info: RequestInfo) => boolean;
const appCreate: When = (_n, r) => r.method === "POST" && r.path === "/v2/applications";
const relink: When = (_n, r) => r.method === "POST" && r.path === "/number/update";
const secretCreate: When = (_n, r) => r.method === "POST" && /^\/accounts\/[^/]+\/secrets$/.test(r.path);

const cases: [NodeJS.Signals, string, When, ("recreate" | "rekey")?][] = [
  ["SIGINT", "creating a replacement application", appCreate, "recreate"],
  ["SIGINT", "relinking a number", relink, "recreate"],
  ["SIGTERM", "creating the new secret", secretCreate],
];

async function resumeToDone(e: E2eRun, runId: string): Promise<void> {
  const runDir = e.runDir(runId);
  const resumed = await e.resume(runId);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(await finalChecks(e, runId, primaryApplications(e))).toEqual([]);
  expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, runDir)).toEqual([]);
  expect(await e.scan()).toEqual([]);
}

describe("a signal mid-run leaves a resumable run", () => {
  it.each(cases)(
    "%s while %s: exit 130, journal consistent, resume finishes",
    async (signal, _what, when, strategy) => {
      const e = (current = await startE2eRun(
        { scenario: "compromised" },
        strategy ? { values: { "applications.strategy": strategy } } : {},
      ));
      await e.sim.setAutoReload(false);
      const stopped = await e.run([], { kill: { sim: e.sim, when, signal } });
      expect(stopped.killed).toBe(true);
      expect(stopped.code, stopped.stderr).toBe(130);
      expect(stopped.stderr).toContain(`${signal}: finishing the change in flight, then stopping`);
      const [runId] = await e.runIds();
      expect(runId).toBeDefined();
      const journal = await readJournal(join(e.runDir(runId ?? ""), "journal.jsonl"));
      // the change in flight was finished and recorded: nothing is left between intent and done
      expect([...journal.openIntents.keys()]).toEqual([]);
      expect(journal.ended?.status).toBe("aborted");
      expect(journal.ended?.exitCode).toBe(130);
      expect(stopped.stderr).toContain(`/bin/vonage-ir.js run --resume ${runId ?? ""} --config`);
      expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, e.runDir(runId ?? ""))).toEqual([]);
      await resumeToDone(e, runId ?? "");
    },
  );

  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s while planning (before the journal exists): exit 130, nothing written, a new run finishes",
    async (signal) => {
      const e = (current = await startE2eRun({ scenario: "compromised" }));
      await e.sim.setAutoReload(false);
      const stopped = await e.run([], { kill: { sim: e.sim, when: 3, signal } });
      expect(stopped.killed).toBe(true);
      expect(stopped.code, stopped.stderr).toBe(130);
      expect(stopped.stderr).toContain("aborted by the operator while planning: nothing was changed");
      expect(writeRequests(e.sim)).toEqual([]);
      // Stopped before the plan was complete: no run directory, so nothing to resume.
      expect(await e.runIds()).toEqual([]);
      const again = await e.run();
      expect(again.code, again.stderr).toBe(0);
      const runIds = await e.runIds();
      expect(runIds).toHaveLength(1);
      const runId = runIds[0] ?? "";
      expect(await finalChecks(e, runId, primaryApplications(e))).toEqual([]);
      expect(await e.scan()).toEqual([]);
    },
  );

  it("a second SIGINT stops at once (exit 130); the resume reconciles what was in flight", async () => {
    // recreate: a create is followed by more work in its step for the second signal to interrupt
    const e = (current = await startE2eRun(
      { scenario: "compromised" },
      { values: { "applications.strategy": "recreate" } },
    ));
    await e.sim.setAutoReload(false);
    let second = false;
    // the harness sends the first SIGINT; the CLI's pid is in its lock file, so the second follows 20 ms later
    const unhook = e.sim.onRequest((n, r) => {
      if (second || !appCreate(n, r)) return;
      second = true;
      const holder = JSON.parse(readFileSync(join(e.out, `.lock-${e.sim.primary.apiKey}`), "utf8")) as {
        pid: number;
      };
      setTimeout(() => {
        try {
          process.kill(holder.pid, "SIGINT");
        } catch {
          // already gone: the journal check below fails with a clear message
        }
      }, 20);
    });
    const stopped = await e.run([], { kill: { sim: e.sim, when: appCreate, signal: "SIGINT" } });
    unhook();
    expect(second).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    const [runId] = await e.runIds();
    const journal = await readJournal(join(e.runDir(runId ?? ""), "journal.jsonl"));
    // stopped at once: no end record (the first signal alone would have written one)
    expect(journal.ended, "the run ended before the second signal").toBeUndefined();
    expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, e.runDir(runId ?? ""))).toEqual([]);
    await resumeToDone(e, runId ?? "");
  });
});
