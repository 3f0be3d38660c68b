// The compromise runbook end to end: the built CLI, unattended, against the simulator's `compromised`
// scenario; the end state read from the simulator, every output scanned for secrets.
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compromiseEndState,
  endStateInvariants,
  primaryApplications,
  reportAgrees,
} from "./helpers/end-state.js";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests } from "./helpers/e2e-simulator.js";
import { REPO_ROOT } from "./helpers/pty-session.js";

// Tests run concurrently (each has its own simulator and directory; the CLI mostly waits on I/O).
const start = e2eRunStarter();

/** The config of the tests about applications.recreate (rekey is the default: test/e2e/rekey.test.ts). */
const RECREATE = { values: { "applications.strategy": "recreate" } };

/** Asserts the compromise end state and the always-true invariants for the workspace's only run. */
async function expectEndState(e: E2eRun, apps: number): Promise<string> {
  const [runId, ...others] = await e.runIds();
  expect(others).toEqual([]);
  const runDir = e.runDir(runId ?? "");
  const state = await e.sim.fetchState();
  const { violations, idMap } = await compromiseEndState(state, runDir, {
    initial: e.sim.initialState,
    allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
  });
  expect(violations).toEqual([]);
  expect(idMap.size).toBe(apps);
  expect(await reportAgrees(runDir, idMap)).toEqual([]);
  expect(await endStateInvariants(state, e.sim.primary, runDir)).toEqual([]);
  expect(await e.scan()).toEqual([]);
  return runDir;
}

/** The secret ids in the DELETE /accounts/{key}/secrets/{id} requests, in order, and the create's index. */
function secretRequests(e: E2eRun): { revoked: string[]; createdAfter: number } {
  const writes = writeRequests(e.sim);
  const revoked = writes
    .filter((w) => w.method === "DELETE" && w.path.startsWith("/accounts/"))
    .map((w) => w.path.split("/").at(-1) ?? "");
  const firstCreate = writes.findIndex((w) => w.method === "POST" && /\/secrets$/.test(w.path));
  const revokesBefore = writes
    .slice(0, firstCreate)
    .filter((w) => w.method === "DELETE" && w.path.startsWith("/accounts/")).length;
  return { revoked, createdAfter: revokesBefore };
}

describe.concurrent("compromise runbook, unattended, on the compromised scenario", () => {
  it("reaches the end state with a complete config and exits 0 once auto-reload is off (recreate)", async () => {
    const e = await start({ scenario: "compromised", deleteAppWithNumbers: "orphan" }, RECREATE);
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const runDir = await expectEndState(e, primaryApplications(e));
    // 2 secrets: the one named by secrets.revokeFirst (the attacker's) is revoked before the new one is created
    expect(result.stderr).toContain("named by secrets.revokeFirst");
    // No deliver: configured: the end screen says where to read how a run can deliver the new credentials itself.
    // An absolute path to the package's own copy: it opens from wherever the operator ran the command.
    const doc = join(REPO_ROOT, "docs", "delivery.md");
    expect(existsSync(doc)).toBe(true);
    expect(result.stderr).toContain(`see ${doc} (deliver: and verify: in the config)`);
    const { revoked, createdAfter } = secretRequests(e);
    expect(revoked[0]).toBe(e.sim.meta.attackerSecretIds[0]);
    expect(createdAfter).toBe(1);
    // orphan mode (the default): each old application deleted once, after its numbers moved
    // (a 429 from the simulator's Vonage-like rate limit deleted nothing and was retried: a loaded CI machine can
    // bunch the paced requests; what counts is one successful delete per application)
    const deletes = e.sim
      .requests()
      .filter((r) => r.method === "DELETE" && r.path.startsWith("/v2/") && r.status !== 429);
    expect(deletes.map((d) => d.status)).toEqual(Array(primaryApplications(e)).fill(204));
    expect(new Set(deletes.map((d) => d.path)).size).toBe(deletes.length);
    const state = e.sim.dumpState();
    expect(state.primary.autoReload).toBe(false);
    // the legitimate subaccounts stay active, the attacker's is suspended
    for (const key of e.sim.meta.attackerSubaccountKeys)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(true);
    // the sink: 0700, its files 0600; the run directory ignores itself in git
    const sinkDir = join(runDir, "secrets");
    expect((await stat(sinkDir)).mode & 0o777).toBe(0o700);
    const files = await readdir(sinkDir);
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect((await stat(join(sinkDir, f))).mode & 0o777, f).toBe(0o600);
    expect(await readFile(join(runDir, ".gitignore"), "utf8")).toMatch(/^\*$/m);
  });

  it("exits 3 while auto-reload is on, and a resume after switching it off in the dashboard exits 0", async () => {
    const e = await start({ scenario: "compromised" });
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(/auto-reload/i);
    const [runId] = await e.runIds();
    expect(runId).toBeDefined();
    expect(e.sim.dumpState().primary.autoReload).toBe(true);
    await e.sim.setAutoReload(false);
    const second = await e.resume(runId ?? "");
    expect(second.code, second.stderr).toBe(0);
    await expectEndState(e, primaryApplications(e));
  });

  it("run --dry-run (and plan --save) prints the plan and sends no mutating request", async () => {
    const e = await start({ scenario: "compromised" });
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/\+ new API secret for/);
    expect(output).toMatch(/"shop-voice": new key pair in place/);
    expect(output).toMatch(/suspend subaccount/);
    expect(output).toMatch(/nothing was changed/i);
    expect(e.sim.requests().length).toBeGreaterThan(0);
    expect(writeRequests(e.sim)).toEqual([]);
    // the only POST is the settings read, with no form fields (so nothing to change)
    const state = e.sim.dumpState();
    expect(state.primary).toEqual(e.sim.initialState.primary);
    expect(state.applications).toEqual(e.sim.initialState.applications);
    expect(state.numbers).toEqual(e.sim.initialState.numbers);
    expect(state.subaccounts).toEqual(e.sim.initialState.subaccounts);
    expect(await e.runIds()).toEqual([]);
    // `plan --save` reads the same way
    const saved = await e.cli([
      "plan",
      "compromise",
      "--config",
      e.config,
      "--save",
      join(e.dir, "plan.json"),
    ]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(writeRequests(e.sim)).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("the 2-secret case (an attacker added a second primary secret)", () => {
  it("without secrets.revokeFirst and a terminal: exit 2 at plan time naming it, nothing written", async () => {
    const e = await start(
      { scenario: "compromised" },
      // an unattended run never guesses, whatever compromisedSince says (test/e2e/lockout.test.ts)
      { values: { "secrets.revokeFirst": undefined, compromisedSince: "2020-01-01T00:00:00Z" } },
    );
    const secrets = e.sim.initialState.primary.secrets;
    expect(secrets).toHaveLength(2);
    expect(secrets.every((s) => Date.parse(s.createdAt) > Date.parse("2020-01-01T00:00:00Z"))).toBe(true);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("secrets.revokeFirst");
    for (const s of secrets) expect(result.stderr).toContain(s.id);
    expect(writeRequests(e.sim)).toEqual([]);
    expect(e.sim.dumpState().primary.secrets).toEqual(secrets);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("deleting an application that still has numbers", () => {
  // `orphan` (the default) is the first test above
  it.each(["refuse"] as const)("with deleteAppWithNumbers=%s reaches the same end state", async (mode) => {
    const e = await start({ scenario: "compromised", deleteAppWithNumbers: mode }, RECREATE);
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    await expectEndState(e, primaryApplications(e));
    // every old application was deleted once, after its numbers had moved (no 409 under `refuse`; a 429 from the
    // rate limit deleted nothing and was retried, as in the first test)
    const deletes = e.sim
      .requests()
      .filter((r) => r.method === "DELETE" && r.path.startsWith("/v2/") && r.status !== 429);
    expect(deletes.map((d) => d.status)).toEqual(Array(primaryApplications(e)).fill(204));
  });
});

describe.concurrent("--json", () => {
  it("with the secret on stdin: JSON lines on stdout, the end state, and no secret printed", async () => {
    const e = await start({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    const result = await e.run(["--json", "--yes", "--secret-stdin"], {
      env: { VONAGE_API_SECRET: undefined },
      stdin: `${e.sim.primary.apiSecret}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { kind: string });
    expect(events.some((ev) => ev.kind === "run.finished")).toBe(true);
    await expectEndState(e, primaryApplications(e));
  });
});

describe.concurrent("secrets.rotateSubaccounts", () => {
  it("ends with exactly one secret per rotated account, the one in the sink, and the old ones gone", async () => {
    const e = await start({ scenario: "compromised" }, { values: { "secrets.rotateSubaccounts": true } });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const runDir = await expectEndState(e, primaryApplications(e));
    const state = e.sim.dumpState();
    const rotated = e.sim.initialState.subaccounts.filter((s) => !s.suspended);
    expect(rotated.length).toBeGreaterThan(0);
    for (const before of rotated) {
      const after = state.subaccounts.find((s) => s.apiKey === before.apiKey);
      const sink = await readFile(join(runDir, "secrets", `api-secret-${before.apiKey}`), "utf8");
      expect(after?.secrets.map((s) => s.value)).toEqual([sink.trim()]);
      for (const old of before.secrets) expect(after?.secrets.some((s) => s.id === old.id)).toBe(false);
    }
  });
});

describe.concurrent("secrets.revoke: after-confirmation", () => {
  it("unattended without an attestation: the new secret works, the old one is kept, exit 3", async () => {
    const e = await start(
      { scenario: "compromised" },
      { values: { "secrets.revoke": "after-confirmation" } },
    );
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/deploy the new API secret/i);
    const [runId] = await e.runIds();
    const sink = await readFile(
      join(e.runDir(runId ?? ""), "secrets", `api-secret-${e.sim.primary.apiKey}`),
      "utf8",
    );
    const values = e.sim.dumpState().primary.secrets.map((s) => s.value);
    // the attacker's secret is gone; the operator's and the new one both authenticate until confirmed
    expect(values.sort()).toEqual([e.sim.primary.apiSecret, sink.trim()].sort());
    expect(await e.scan()).toEqual([]);
  });

  it("with the secrets step attested, revokes the old secret and reaches the end state", async () => {
    const e = await start(
      { scenario: "compromised" },
      {
        values: { "secrets.revoke": "after-confirmation" },
        attest: { secrets: { by: "e2e@example.com", at: "2026-11-22T10:00:00Z", note: "deployed" } },
      },
    );
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    await expectEndState(e, primaryApplications(e));
  });
});

describe("a number whose SMS webhook is down (Vonage probes moHttpUrl before an update)", () => {
  it("stops its application's replacement safely (exit 3: the number, the URL and the choices), the others replaced", async () => {
    const e = await start({ scenario: "compromised" }, RECREATE);
    await e.sim.setAutoReload(false);
    // One linked number gets an SMS webhook that does not answer (the simulator treats every host but loopback
    // as unreachable, without sending anything): Vonage refuses an update that carries it.
    const state = await e.sim.fetchState();
    const number = state.numbers.find((n) => n.appId !== undefined);
    if (!number?.appId) throw new Error("no linked number");
    const msisdn = number.msisdn;
    const hook = "https://sms-hooks.example.com/inbound";
    number.moHttpUrl = hook;
    const loaded = await fetch(`${e.sim.url}/_sim/state`, {
      method: "PUT",
      headers: { authorization: `Bearer ${e.sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(state),
    });
    expect(loaded.status).toBe(200);

    const result = await e.run();
    // Pending, not failed: the other applications go on, and this one waits for a person's decision.
    expect(result.code, result.stderr).toBe(3);
    const [runId] = await e.runIds();
    const resume = /Resume with: (.+)/.exec(result.stderr)?.[1] ?? "";
    expect(resume).toContain(`--resume ${runId ?? ""}`);
    const message = result.stderr
      .split("\n")
      .find((line) => line.includes(`application ${number.appId}`) && line.includes("is kept, not deleted"));
    expect(message, result.stderr).toBeDefined();
    expect(message).toContain(msisdn);
    expect(message).toContain(hook);
    expect(message).toContain(`resume: ${resume}`);
    expect(message).toContain("applications.strategy: rekey");
    expect(message).toContain(`applications.exclude: ["${number.appId}"]`);
    const after = await e.sim.fetchState();
    for (const other of state.applications.filter(
      (a) => a.owner === state.primary.apiKey && a.id !== number.appId,
    ))
      expect(
        after.applications.some((a) => a.id === other.id),
        other.name,
      ).toBe(false);
    // The application the number belongs to is not deleted, and the number still reaches a live application.
    expect(after.applications.some((a) => a.id === number.appId)).toBe(true);
    const liveIds = new Set(after.applications.map((a) => a.id));
    for (const n of after.numbers) if (n.appId) expect(liveIds.has(n.appId), n.msisdn).toBe(true);
    expect(after.numbers.find((n) => n.msisdn === msisdn)?.appId).toBe(number.appId);
    expect(await e.scan()).toEqual([]);
  });
});
