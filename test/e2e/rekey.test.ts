// applications.rekey, the default strategy, end to end: the built CLI against the simulator over loopback. Each
// application keeps its id and gets a new key; the old private key is refused, the sink's accepted; no number
// and no external account is touched; a crash after the PUT resumes to one key change, not two.
import { createSign, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { readJournal } from "../../src/engine/journal.js";
import { sharedKeyPair } from "../../src/simulator/index.js";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests } from "./helpers/e2e-simulator.js";
import {
  compromiseEndState,
  endStateInvariants,
  primaryApplications,
  reportAgrees,
} from "./helpers/end-state.js";

const start = e2eRunStarter();

function jwt(privateKey: string, applicationId: string): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ application_id: applicationId, iat: now, exp: now + 900, jti: randomUUID() })}`;
  return `${body}.${createSign("RSA-SHA256").update(body).sign(privateKey).toString("base64url")}`;
}

/** GET /v1/calls with an application JWT: the simulator checks it against the application's current key. */
async function callsStatus(e: E2eRun, privateKey: string, applicationId: string): Promise<number> {
  const response = await fetch(`${e.sim.url}/v1/calls`, {
    headers: { authorization: `Bearer ${jwt(privateKey, applicationId)}` },
  });
  return response.status;
}

function primaryAppIds(e: E2eRun): string[] {
  return e.sim.initialState.applications.filter((a) => a.owner === e.sim.primary.apiKey).map((a) => a.id);
}

/** The PUT /v2/applications/{id} requests the simulator answered with 2xx, by application id. */
function keyChanges(e: E2eRun): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of e.sim.requests()) {
    if (r.method !== "PUT" || !r.path.startsWith("/v2/applications/") || r.status < 200 || r.status > 299)
      continue;
    const id = decodeURIComponent(r.path.split("/").at(-1) ?? "");
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function onlyRunDir(e: E2eRun): Promise<string> {
  const [runId, ...others] = await e.runIds();
  expect(others).toEqual([]);
  return e.runDir(runId ?? "");
}

describe.concurrent("applications.rekey (the default strategy)", () => {
  it("keeps every id, replaces every key, refuses the old key, accepts the sink's, touches no number or external account", async () => {
    const e = await start({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const runDir = await onlyRunDir(e);
    const state = await e.sim.fetchState();
    const { violations, idMap } = await compromiseEndState(state, runDir, {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    const ids = primaryAppIds(e);
    expect(ids.length).toBe(primaryApplications(e));
    expect(ids.length).toBeGreaterThan(1);
    expect(Object.fromEntries(idMap)).toEqual(Object.fromEntries(ids.map((id) => [id, id])));
    expect(await reportAgrees(runDir, idMap)).toEqual([]);
    expect(await endStateInvariants(state, e.sim.primary, runDir)).toEqual([]);

    for (const id of ids) {
      const before = e.sim.initialState.applications.find((a) => a.id === id);
      const after = state.applications.find((a) => a.id === id);
      expect(after?.keys.public_key).not.toBe(before?.keys.public_key);
      expect(await callsStatus(e, sharedKeyPair().privateKey, id), `old key of ${id}`).toBe(401);
      const sinkKey = await readFile(join(runDir, "secrets", `app-${id}.key`), "utf8");
      expect(await callsStatus(e, sinkKey, id), `sink key of ${id}`).toBe(200);
    }
    // One PUT per application, and no other application, number or external-account write.
    expect(Object.fromEntries(keyChanges(e))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    const otherWrites = writeRequests(e.sim).filter(
      (w) =>
        w.path.startsWith("/v2/applications") ||
        w.path.startsWith("/number/") ||
        w.path.startsWith("/beta/chatapp-accounts"),
    );
    expect(
      otherWrites.filter((w) => !(w.method === "PUT" && w.path.startsWith("/v2/applications/"))),
    ).toEqual([]);
    expect(state.numbers).toEqual(e.sim.initialState.numbers);
    expect(state.externalAccounts).toEqual(e.sim.initialState.externalAccounts);

    // The id map has recreate's file name and entry shape: id → id, the sink path of the new private key.
    const map = JSON.parse(await readFile(join(runDir, "application-id-map.json"), "utf8")) as {
      oldId: string;
      newId: string;
      keyPath: string;
      publicKeyFingerprint: string;
      name: string;
    }[];
    expect(map.map((m) => m.oldId).sort()).toEqual([...ids].sort());
    for (const entry of map) {
      expect(entry.newId).toBe(entry.oldId);
      expect(entry.keyPath).toBe(join(runDir, "secrets", `app-${entry.oldId}.key`));
      expect(entry.publicKeyFingerprint).toMatch(/\S/);
    }
    // The plan said what breaks, and that the recreate step was not chosen.
    expect(result.stderr).toMatch(/services that sign JWTs with the old private key/);
    expect(result.stderr).toMatch(/when applications\.strategy = "recreate" is false/);
    // Each key change is journaled as the end of a compromised credential.
    const journal = await readJournal(join(runDir, "journal.jsonl"));
    const rekeys = journal.plan.steps.flatMap((s) => s.changes).filter((c) => c.id.endsWith("/rekey"));
    expect(rekeys.map((c) => c.killsCredential).sort()).toEqual(
      ids.map((id) => `application key ${id}`).sort(),
    );
    expect(await e.scan()).toEqual([]);
  });

  it("a crash after a key's PUT resumes to one key change per application, not two", async () => {
    const e = await start({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    const killed = await e.run([], {
      kill: {
        sim: e.sim,
        when: (_n, r) => r.method === "PUT" && r.path.startsWith("/v2/applications/"),
      },
    });
    expect(killed.killed, killed.stderr).toBe(true);
    const seq = killed.killedAt?.count;
    // the killed request was still applied: the crash is between the PUT and the journal's `done`
    await vi.waitFor(() => {
      const status = e.sim.requests().find((r) => r.seq === seq)?.status ?? 0;
      expect(status >= 200 && status < 300, `request #${String(seq)}: ${status}`).toBe(true);
    });
    const runDir = await onlyRunDir(e);
    const open = [...(await readJournal(join(runDir, "journal.jsonl"))).openIntents.keys()];
    expect(open.filter((id) => /^applications\.rekey:[^/]+\/rekey$/.test(id)).length).toBeGreaterThan(0);

    const resumed = await e.resume((await e.runIds())[0] ?? "");
    expect(resumed.code, resumed.stderr).toBe(0);
    const ids = primaryAppIds(e);
    expect(Object.fromEntries(keyChanges(e))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    const journal = await readJournal(join(runDir, "journal.jsonl"));
    const reconciled = journal.records.filter(
      (r) => r.t === "done" && r.how === "reconciled" && /\/rekey$/.test(r.changeId),
    );
    expect(reconciled.length).toBeGreaterThan(0);
    const { violations, idMap } = await compromiseEndState(await e.sim.fetchState(), runDir, {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    expect(await reportAgrees(runDir, idMap)).toEqual([]);
    for (const id of ids) {
      const sinkKey = await readFile(join(runDir, "secrets", `app-${id}.key`), "utf8");
      expect(await callsStatus(e, sinkKey, id)).toBe(200);
    }
  });

  it("dry run: shows the key changes and what breaks, sends no write", async () => {
    const e = await start({ scenario: "compromised" });
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/new key pair in place \(the old private key stops working\)/);
    expect(output).toMatch(
      /services that sign JWTs with the old private key .* fail until they are given the new one/,
    );
    expect(output).toMatch(/ids, numbers, external accounts and webhooks stay as they are/);
    expect(writeRequests(e.sim)).toEqual([]);
  });

  it("applications.strategy: recreate in the config runs the recreate step instead (new ids)", async () => {
    const e = await start({ scenario: "compromised" }, { values: { "applications.strategy": "recreate" } });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/when applications\.strategy = "rekey" is false/);
    const runDir = await onlyRunDir(e);
    const { violations, idMap } = await compromiseEndState(await e.sim.fetchState(), runDir, {
      initial: e.sim.initialState,
      allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
    });
    expect(violations).toEqual([]);
    for (const [oldId, newId] of idMap) expect(newId).not.toBe(oldId);
    expect(keyChanges(e).size).toBe(0);
  });
});
