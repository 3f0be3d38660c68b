// The secrets earlier runs created, read from the journals in an out directory: found through the plan's
// secrets.rotate create changes, tolerant of torn, corrupt and foreign journals.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readPriorRuns } from "../../../src/engine/read-prior-runs.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const KEY = "abcd1234";
const SECRET = "6f772632-716c-4430-99c4-3a8c3b7cf3c2";

function plan(changes: unknown[]) {
  return { steps: [{ id: "secrets", changes }] };
}

const createChange = { id: `secrets:${KEY}/create`, action: "secrets.rotate", kind: "create" };

async function journal(out: string, runId: string, lines: string[]): Promise<void> {
  await mkdir(join(out, runId), { recursive: true });
  await writeFile(join(out, runId, "journal.jsonl"), lines.join("\n"));
}

describe("readPriorRuns", () => {
  it("finds the secret a run created, past corrupt lines, and nothing in foreign or broken journals", async () => {
    dir = await mkdtemp(join(tmpdir(), "vonage-ir-prior-"));
    const run = (t: string, extra: object) => JSON.stringify({ t, ...extra });
    await journal(dir, "20261201-090000-a1b2c3", [
      run("run", { v: 1, runId: "20261201-090000-a1b2c3", account: KEY }),
      run("plan", {
        plan: plan([createChange, { id: "apps:x/create", action: "applications.recreate", kind: "create" }]),
      }),
      "{ this line is corrupt",
      "null",
      run("done", { changeId: "apps:x/create", output: { apiKey: KEY, secretId: "not-a-secret" } }),
      run("done", {
        changeId: createChange.id,
        output: { apiKey: KEY, secretId: SECRET, createdAt: "2026-12-01T09:00:05Z" },
      }),
      '{"t":"done","changeId":"torn',
    ]);
    // a step re-planned on resume carries the create
    await journal(dir, "20261201-100000-d4e5f6", [
      run("run", { v: 1, runId: "20261201-100000-d4e5f6" }),
      run("plan", { plan: plan([]) }),
      run("replan", { stepId: "secrets", plan: { id: "secrets", changes: [createChange] } }),
      run("done", {
        changeId: createChange.id,
        output: { apiKey: KEY, secretId: "second-id" },
        ts: "2026-12-01T10:00:00Z",
      }),
      "",
    ]);
    await journal(dir, "20261201-110000-aaaaaa", ["\u0000\u0001 not json at all"]);
    await mkdir(join(dir, "20261201-120000-bbbbbb"));
    await journal(dir, "not-a-run", [
      run("done", { changeId: createChange.id, output: { apiKey: KEY, secretId: "x" } }),
    ]);

    const found = await readPriorRuns(dir);
    expect(found.secretsCreated).toEqual([
      { apiKey: KEY, secretId: SECRET, runId: "20261201-090000-a1b2c3", createdAt: "2026-12-01T09:00:05Z" },
      {
        apiKey: KEY,
        secretId: "second-id",
        runId: "20261201-100000-d4e5f6",
        createdAt: "2026-12-01T10:00:00Z",
      },
    ]);
  });

  it("with changes: each run's done changes, with their plan (a re-planned step's) and intent and done times", async () => {
    dir = await mkdtemp(join(tmpdir(), "vonage-ir-prior-"));
    const run = (t: string, extra: object) => JSON.stringify({ t, ...extra });
    const revoke = {
      id: "secrets:revoke",
      action: "secrets.rotate",
      kind: "delete",
      summary: "revoke",
      target: "t",
    };
    await journal(dir, "20261201-090000-a1b2c3", [
      run("run", { v: 1, runId: "20261201-090000-a1b2c3", account: KEY, startedAt: "2026-12-01T09:00:00Z" }),
      run("plan", { plan: plan([{ ...revoke, summary: "planned first" }]) }),
      run("replan", { stepId: "secrets", plan: { id: "secrets", changes: [revoke, createChange] } }),
      run("intent", { changeId: revoke.id, ts: "2026-12-01T09:00:01Z" }),
      run("done", { changeId: revoke.id, ts: "2026-12-01T09:00:02Z", output: { revokedSecretId: SECRET } }),
      run("intent", { changeId: createChange.id, ts: "2026-12-01T09:00:03Z" }),
      '{"t":"done","changeId":"torn',
    ]);
    expect((await readPriorRuns(dir)).runs).toEqual([]);
    const { runs } = await readPriorRuns(dir, { changes: true });
    expect(runs).toEqual([
      {
        runId: "20261201-090000-a1b2c3",
        account: KEY,
        startedAt: "2026-12-01T09:00:00Z",
        changes: [
          {
            changeId: revoke.id,
            action: "secrets.rotate",
            kind: "delete",
            summary: "revoke",
            target: "t",
            params: undefined,
            before: undefined,
            output: { revokedSecretId: SECRET },
            intentAt: "2026-12-01T09:00:01Z",
            doneAt: "2026-12-01T09:00:02Z",
          },
        ],
      },
    ]);
  });

  it("gives nothing for an out directory that does not exist", async () => {
    expect(await readPriorRuns(join(tmpdir(), "vonage-ir-no-such-dir-7f3a"))).toEqual({
      secretsCreated: [],
      runs: [],
    });
  });
});
