// A crash right after each kind of `intent`: the CLI is SIGKILLed when the simulator receives the request
// the intent announced (before the simulator processes it, so the request is still applied), then
// `run --resume` finishes the run: the same end state, no duplicate secret or application.
import { describe, expect, it, vi } from "vitest";
import {
  compromiseEndState,
  endStateInvariants,
  primaryApplications,
  reportAgrees,
} from "./helpers/end-state.js";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests, type RequestInfo } from "./helpers/e2e-simulator.js";
import type { CliResult } from "./helpers/run-cli.js";
import { readJournal } from "../../src/engine/journal.js";
import { join } from "node:path";

// Tests run concurrently (each has its own simulator and directory; the CLI mostly waits on I/O).
const start = e2eRunStarter();

type Trigger = (e: E2eRun) => (count: number, info: RequestInfo) => boolean;

const secretsPath = (e: E2eRun) => `/accounts/${e.sim.primary.apiKey}/secrets`;

/** The config of the runs whose crash is in applications.recreate's changes (rekey is the default). */
const RECREATE = { values: { "applications.strategy": "recreate" } };

// [what, the request to kill at, the change whose intent must be open after the kill, the config's strategy]
const crashes: [string, Trigger, RegExp, ("recreate" | "rekey")?][] = [
  [
    "revoking the attacker's secret first",
    (e) => (_n, r) =>
      r.method === "DELETE" && r.path === `${secretsPath(e)}/${e.sim.meta.attackerSecretIds[0] ?? ""}`,
    /^secrets:[^/]+\/revoke-first\//,
  ],
  [
    "creating the new secret",
    (e) => (_n, r) => r.method === "POST" && r.path === secretsPath(e),
    /^secrets:[^/]+\/create$/,
  ],
  [
    "revoking the old secret",
    (e) => (_n, r) =>
      r.method === "DELETE" && r.path === `${secretsPath(e)}/${e.sim.meta.legitimateSecretIds[0] ?? ""}`,
    /^secrets:[^/]+\/revoke\//,
  ],
  [
    "creating a replacement application",
    () => (_n, r) => r.method === "POST" && r.path === "/v2/applications",
    /^applications:[^/]+\/create$/,
    "recreate",
  ],
  [
    "relinking a number",
    () => (_n, r) => r.method === "POST" && r.path === "/number/update",
    /^applications:[^/]+\/relink$/,
    "recreate",
  ],
  [
    "deleting an old application",
    () => (_n, r) => r.method === "DELETE" && r.path.startsWith("/v2/applications/"),
    /^applications:[^/]+\/delete$/,
    "recreate",
  ],
  [
    "replacing an application's key in place",
    () => (_n, r) => r.method === "PUT" && r.path.startsWith("/v2/applications/"),
    /^applications\.rekey:[^/]+\/rekey$/,
    "rekey",
  ],
  [
    "suspending a subaccount",
    () => (_n, r) => r.method === "PATCH" && r.path.includes("/subaccounts/"),
    /^subaccounts:suspend\//,
  ],
];

describe.concurrent("a crash between intent and done resumes to the same end state", () => {
  it.each(crashes)("SIGKILL while %s", async (_what, trigger, openIntent, strategy) => {
    const e = await start({ scenario: "compromised" }, strategy === "recreate" ? RECREATE : {});
    await e.sim.setAutoReload(false);
    const killed = await e.run([], { kill: { sim: e.sim, when: trigger(e) } });
    expect(killed.killed, killed.stderr).toBe(true);
    expect(killed.signal).toBe("SIGKILL");
    // the killed request was still applied: the crash is between the request and the journal's `done`
    const seq = killed.killedAt?.count;
    await vi.waitFor(() => {
      const status = e.sim.requests().find((r) => r.seq === seq)?.status ?? 0;
      expect(status >= 200 && status < 300, `request #${String(seq)}: ${status}`).toBe(true);
    });
    const [runId, ...others] = await e.runIds();
    expect(others).toEqual([]);
    const runDir = e.runDir(runId ?? "");
    const journal = await readJournal(join(runDir, "journal.jsonl"));
    // applications are replaced concurrently: several relinks (or deletes) may be in flight at the kill
    expect([...journal.openIntents.keys()].filter((id) => openIntent.test(id)).length).toBeGreaterThan(0);
    expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, runDir)).toEqual([]);

    const attempts: CliResult[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await e.resume(runId ?? "");
      attempts.push(r);
      expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, runDir)).toEqual([]);
      if (r.code === 0) break;
    }
    expect(
      attempts.map((a) => a.code),
      attempts.map((a) => a.stderr).join("\n---\n"),
    ).toContain(0);

    const state = await e.sim.fetchState();
    const { violations, idMap } = await compromiseEndState(state, runDir, {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    expect(idMap.size).toBe(primaryApplications(e));
    expect(await reportAgrees(runDir, idMap)).toEqual([]);
    expect(state.primary.secrets).toHaveLength(1);
    expect(new Set(state.applications.map((a) => a.name)).size).toBe(state.applications.length);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("repeated crashes", () => {
  it("a run killed at every third write, and each resume killed again, still ends in the same state", async () => {
    const e = await start({ scenario: "compromised", deleteAppWithNumbers: "refuse" }, RECREATE);
    await e.sim.setAutoReload(false);
    const isWrite = (r: RequestInfo) => r.method !== "GET" && r.path !== "/account/settings";
    // kill at the 3rd write request of each attempt, counted per attempt
    const killAtThirdWrite = () => {
      let writes = 0;
      return (_n: number, r: RequestInfo) => isWrite(r) && ++writes === 3;
    };
    const { runDir, kills } = await e.untilDone({
      kill: () => killAtThirdWrite(),
      afterKill: async (dir) => {
        expect(await endStateInvariants(e.sim.dumpState(), e.sim.primary, dir)).toEqual([]);
      },
    });
    expect(kills).toBeGreaterThan(3);
    const state = await e.sim.fetchState();
    const { violations, idMap } = await compromiseEndState(state, runDir, {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    expect(await reportAgrees(runDir, idMap)).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("a crash while planning", () => {
  it("leaves nothing behind (no run directory, no write) and a new run finishes", async () => {
    const e = await start({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    // planning reads the account before anything is journaled: kill at the first applications page
    const killed = await e.run([], {
      kill: { sim: e.sim, when: (_n, r) => r.method === "GET" && r.path === "/v2/applications" },
    });
    expect(killed.killed).toBe(true);
    expect(await e.runIds()).toEqual([]);
    expect(writeRequests(e.sim)).toEqual([]);
    const fresh = await e.run();
    expect(fresh.code, fresh.stderr).toBe(0);
    const ids = await e.runIds();
    expect(ids).toHaveLength(1);
    const state = await e.sim.fetchState();
    const { violations } = await compromiseEndState(state, e.runDir(ids[0] ?? ""), {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });
});
