// The engine with test actions (test/helpers/test-actions.ts): dry run, write-ahead journal, resume after a
// crash between intent and done, SIGINT mid-change, drift refusal, locking, corrupted journals.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StampedRecord } from "../../../src/core/journal-records.js";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { fakeIo, removeTempDirs, tempDir } from "../../helpers/cli-io.js";
import {
  createCounterStore,
  createFakeGateway,
  createTestRegistry,
  runWithRegistry,
  type CounterStore,
  type FakeGateway,
} from "../../helpers/test-actions.js";

afterEach(removeTempDirs);

const RUNBOOK = `id: counting
title: Count some keys
description: two steps of test actions
version: 1
steps:
  - id: first
    title: Count a and b
    action: test.counter
    with:
      keys: [a, b]
  - id: second
    title: Count c and d, then revoke a secret
    action: test.counter
    with:
      keys: [c, d]
  - id: revoke
    title: Revoke a secret through the gateway
    action: test.gateway-write
    with:
      secretId: s-1
`;

interface Setup {
  dir: string;
  out: string;
  runbook: string;
  store: CounterStore;
  fake: FakeGateway;
  run(options?: { resume?: string; dryRun?: boolean }): Promise<{ code: number; stderr: string }>;
}

async function setup(runbookText = RUNBOOK): Promise<Setup> {
  const dir = await tempDir();
  const runbook = join(dir, "counting.yaml");
  await writeFile(runbook, runbookText);
  const store = createCounterStore();
  const fake = createFakeGateway();
  const registry = createTestRegistry(store);
  const out = join(dir, "runs");
  return {
    dir,
    out,
    runbook,
    store,
    fake,
    async run(options = {}) {
      const io = fakeIo({ cwd: dir });
      if (store.abortOnApply) store.abortOnApply.controller = io.controller;
      const code = await runWithRegistry({
        registry,
        io: io.io,
        gateway: fake.gateway,
        out,
        runbook: options.resume ? undefined : runbook,
        resume: options.resume,
        dryRun: options.dryRun,
      });
      return { code, stderr: io.stderr() };
    },
  };
}

async function onlyRun(out: string): Promise<string> {
  const runs = (await readdir(out)).filter((name) => !name.startsWith("."));
  expect(runs).toHaveLength(1);
  return runs[0] ?? "";
}

async function journalLines(out: string, runId: string): Promise<string[]> {
  const text = await readFile(join(out, runId, "journal.jsonl"), "utf8");
  return text.split("\n").filter((line) => line !== "");
}

async function journal(out: string, runId: string): Promise<StampedRecord[]> {
  return (await journalLines(out, runId)).map((line) => JSON.parse(line) as StampedRecord);
}

function recordsFor(records: StampedRecord[], changeId: string): string[] {
  return records.filter((r) => "changeId" in r && r.changeId === changeId).map((r) => r.t);
}

describe("dry run with write actions", () => {
  it("performs zero writes: no apply, no gateway write, no run directory", async () => {
    const s = await setup();
    const result = await s.run({ dryRun: true });
    expect(result.code).toBe(0);
    expect(s.store.applied).toEqual([]);
    expect(s.fake.writes()).toEqual([]);
    expect(s.fake.calls.map((c) => c.method)).toContain("listSecrets");
    expect(existsSync(s.out)).toBe(false);
    expect(result.stderr).toContain("~ count a up");
    expect(result.stderr).toContain("- revoke s-1");
    // Local work only applying needs (key generation) is never started by a dry run.
    expect(s.store.warmedUp).toEqual([]);
  });
});

describe("warm-up", () => {
  it("starts each step's local work before the first change is applied; a resume warms up only what is left", async () => {
    const s = await setup();
    expect((await s.run()).code).toBe(0);
    expect(s.store.warmedUp).toEqual([
      { keys: ["a", "b"], appliedBefore: 0 },
      { keys: ["c", "d"], appliedBefore: 0 },
    ]);
    const runId = await onlyRun(s.out);
    const lines = await journalLines(s.out, runId);
    const index = lines.findIndex((line) => {
      const record = JSON.parse(line) as StampedRecord;
      return record.t === "done" && record.changeId === "second:c";
    });
    await writeFile(join(s.out, runId, "journal.jsonl"), `${lines.slice(0, index + 1).join("\n")}\n`);
    s.store.warmedUp.length = 0;
    s.store.applied.length = 0;
    expect((await s.run({ resume: runId })).code).toBe(0);
    expect(s.store.warmedUp).toEqual([{ keys: ["d"], appliedBefore: 0 }]);
  });
});

describe("apply and the write-ahead journal", () => {
  it("applies every change once and journals each intent before its done", async () => {
    const s = await setup();
    expect((await s.run()).code).toBe(0);
    expect(s.store.applied).toEqual(["a", "b", "c", "d"]);
    expect(s.fake.writes()).toEqual(["revokeSecret"]);
    const records = await journal(s.out, await onlyRun(s.out));
    for (const id of ["first:a", "first:b", "second:c", "second:d", "revoke:revoke/s-1"]) {
      expect(recordsFor(records, id)).toEqual(["intent", "done"]);
    }
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)).toMatchObject({ t: "end", status: "done", exitCode: 0 });
  });
});

describe("resume after a crash between intent and done", () => {
  async function crashAfterIntentOf(s: Setup, changeId: string): Promise<string> {
    expect((await s.run()).code).toBe(0);
    const runId = await onlyRun(s.out);
    const lines = await journalLines(s.out, runId);
    const index = lines.findIndex((line) => {
      const record = JSON.parse(line) as StampedRecord;
      return record.t === "intent" && record.changeId === changeId;
    });
    expect(index).toBeGreaterThan(0);
    await writeFile(join(s.out, runId, "journal.jsonl"), `${lines.slice(0, index + 1).join("\n")}\n`);
    return runId;
  }

  it("does not call completed changes again and reconciles the open one against live state", async () => {
    const s = await setup();
    const runId = await crashAfterIntentOf(s, "second:c");
    s.store.applied.length = 0;
    s.fake.calls.length = 0;

    const result = await s.run({ resume: runId });
    expect(result.code).toBe(0);
    expect(s.store.reconciled).toEqual(["c"]);
    expect(s.store.applied).toEqual(["d"]);
    expect(s.store.values.get("c")).toBe(1);
    expect(s.fake.writes()).toEqual(["revokeSecret"]);
    const records = await journal(s.out, runId);
    expect(recordsFor(records, "second:c")).toEqual(["intent", "done"]);
    expect(records.find((r) => r.t === "done" && r.changeId === "second:c")).toMatchObject({
      how: "reconciled",
    });
    expect(recordsFor(records, "first:a")).toEqual(["intent", "done"]);
  });

  it("applies the open change again when reconciliation finds it did not take effect", async () => {
    const s = await setup();
    const runId = await crashAfterIntentOf(s, "second:c");
    s.store.values.delete("c");
    s.store.applied.length = 0;

    expect((await s.run({ resume: runId })).code).toBe(0);
    expect(s.store.reconciled).toEqual(["c"]);
    expect(s.store.applied).toEqual(["c", "d"]);
  });
});

describe("SIGINT while a change is in flight", () => {
  it("completes the change in flight, records it done, exits 130, and a resume finishes the rest", async () => {
    const s = await setup();
    s.store.abortOnApply = { key: "c", controller: new AbortController() };
    const first = await s.run();
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/aborted by the operator/);
    expect(s.store.applied).toEqual(["a", "b", "c"]);

    const runId = await onlyRun(s.out);
    const records = await journal(s.out, runId);
    expect(recordsFor(records, "second:c")).toEqual(["intent", "done"]);
    expect(recordsFor(records, "second:d")).toEqual([]);
    const intents = records.filter((r) => r.t === "intent").map((r) => r.changeId);
    const dones = records.filter((r) => r.t === "done").map((r) => r.changeId);
    expect(dones).toEqual(intents);
    expect(records.some((r) => r.t === "interrupted")).toBe(true);
    expect(records.at(-1)).toMatchObject({ t: "end", status: "aborted", exitCode: 130 });
    expect(s.fake.writes()).toEqual([]);

    s.store.abortOnApply = undefined;
    const resumed = await s.run({ resume: runId });
    expect(resumed.code).toBe(0);
    expect(s.store.applied).toEqual(["a", "b", "c", "d"]);
    expect(s.store.reconciled).toEqual([]);
    expect(s.fake.writes()).toEqual(["revokeSecret"]);
  });
});

describe("drift", () => {
  it("refuses a change whose precondition fails with exit 4 and applies nothing after it", async () => {
    const s = await setup();
    s.store.drifted.add("c");
    const result = await s.run();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("refused: count c up: counter c was changed by someone else");
    expect(s.store.applied).toEqual(["a", "b"]);
    expect(s.fake.writes()).toEqual([]);
    const records = await journal(s.out, await onlyRun(s.out));
    expect(recordsFor(records, "second:c")).toEqual([]);
    expect(records.at(-1)).toMatchObject({ t: "end", status: "refused", exitCode: 4 });
  });
});

describe("the account lock", () => {
  it("refuses with exit 4 naming the holder while a live process holds the lock", async () => {
    const s = await setup();
    const { mkdir } = await import("node:fs/promises");
    await mkdir(s.out, { recursive: true });
    const holder = {
      runId: "20261122-100000-abcdef",
      pid: process.pid,
      host: hostname(),
      startedAt: "2026-11-22T10:00:00.000Z",
    };
    await writeFile(join(s.out, ".lock-test1234"), `${JSON.stringify(holder)}\n`);
    const result = await s.run();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      `account test1234 is locked by run 20261122-100000-abcdef (pid ${process.pid} on ${hostname()}`,
    );
    expect(result.stderr).toContain("--break-lock");
    expect(s.store.applied).toEqual([]);
    expect((await readdir(s.out)).filter((name) => !name.startsWith("."))).toEqual([]);
  });

  it("takes over a stale lock whose process is gone, with a warning", async () => {
    const s = await setup();
    const { mkdir } = await import("node:fs/promises");
    await mkdir(s.out, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const holder = { runId: "20261122-100000-abcdef", pid: dead, host: hostname(), startedAt: "x" };
    await writeFile(join(s.out, ".lock-test1234"), `${JSON.stringify(holder)}\n`);
    const result = await s.run();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("taking over the stale lock of run 20261122-100000-abcdef");
    expect(s.store.applied).toEqual(["a", "b", "c", "d"]);
    expect(existsSync(join(s.out, ".lock-test1234"))).toBe(false);
  });
});

describe("resuming from a damaged journal", () => {
  it("refuses a corrupted journal with exit 2 naming the line", async () => {
    const s = await setup();
    expect((await s.run()).code).toBe(0);
    const runId = await onlyRun(s.out);
    const lines = await journalLines(s.out, runId);
    lines[3] = "{ this is not json";
    await writeFile(join(s.out, runId, "journal.jsonl"), `${lines.join("\n")}\n`);
    s.store.applied.length = 0;

    const result = await s.run({ resume: runId });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(s.out, runId, "journal.jsonl")}:4:1 corrupted journal line`);
    expect(s.store.applied).toEqual([]);
  });

  it("ignores a torn last line (a crash mid-write), resumes, and keeps the journal readable", async () => {
    const s = await setup();
    s.store.abortOnApply = { key: "b", controller: new AbortController() };
    expect((await s.run()).code).toBe(130);
    s.store.abortOnApply = undefined;
    const runId = await onlyRun(s.out);
    const path = join(s.out, runId, "journal.jsonl");
    await writeFile(path, `${await readFile(path, "utf8")}{"t":"intent","changeId":"sec`);
    const result = await s.run({ resume: runId });
    expect(result.code).toBe(0);
    expect(s.store.applied).toEqual(["a", "b", "c", "d"]);
    // The records appended after the torn line are intact: the journal reads (and resumes) again.
    const again = await s.run({ resume: runId });
    expect(again.stderr).not.toContain("corrupted journal line");
    expect(again.code).toBe(0);
    expect(s.store.applied).toEqual(["a", "b", "c", "d"]);
  });
});

describe("failures", () => {
  it("a failing change stops the run with exit 1; a resume retries it and runs the rest once", async () => {
    const s = await setup();
    s.store.failing.add("c");
    const first = await s.run();
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("error: step second (change second:c) failed: counter c is broken");
    // The step's status line marks the failed step failed, not done (each step line once, without a TTY).
    expect(first.stderr).not.toMatch(/^✔ second/m);
    expect(first.stderr).toMatch(/^✖ second: failed/m);
    expect(first.stderr).toMatch(/^✔ first: done/m);
    expect(first.stderr).toMatch(/Resume with: node \S+\/bin\/vonage-ir\.js run --resume /);
    expect(s.store.applied).toEqual(["a", "b", "c"]);
    const runId = await onlyRun(s.out);
    expect(recordsFor(await journal(s.out, runId), "second:c")).toEqual(["intent", "failed"]);

    s.store.failing.clear();
    const resumed = await s.run({ resume: runId });
    expect(resumed.code).toBe(0);
    expect(s.store.applied).toEqual(["a", "b", "c", "c", "d"]);
    expect(s.store.values.get("c")).toBe(1);
    expect(s.fake.writes()).toEqual(["revokeSecret"]);
  });

  it("continueOnError lets the later steps run and still exits 1", async () => {
    const s = await setup(
      RUNBOOK.replace(
        "action: test.counter\n    with:\n      keys: [a, b]",
        "action: test.counter\n    continueOnError: true\n    with:\n      keys: [a, b]",
      ),
    );
    s.store.failing.add("a");
    const result = await s.run();
    expect(result.code).toBe(1);
    expect(s.store.applied).toEqual(["a", "c", "d"]);
    expect(s.fake.writes()).toEqual(["revokeSecret"]);
  });
});

describe("when and confirm", () => {
  const CONDITIONAL = `id: conditional
title: Conditional counting
description: a step that only runs when an input says so, and one that asks first
version: 1
inputs:
  countB:
    type: boolean
    default: false
steps:
  - id: first
    title: Count a
    action: test.counter
    confirm: true
    with:
      keys: [a]
  - id: second
    title: Count b
    action: test.counter
    when:
      input: countB
      equals: true
    with:
      keys: [b]
`;

  it("a step whose when is false is skipped, and said so in the plan", async () => {
    const s = await setup(CONDITIONAL);
    const result = await s.run();
    expect(result.code).toBe(0);
    expect(s.store.applied).toEqual(["a"]);
    expect(result.stderr).toContain("second: skipped (when countB = true is false)");
  });

  it("an interactive operator who declines a confirm step skips its changes, and a resume does not ask again", async () => {
    const s = await setup(CONDITIONAL);
    const registry = createTestRegistry(s.store);
    const prompter = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: 'Apply 1 change(s) of "Count a"?', answer: false },
      { match: "Your name or email", answer: "dana@example.com" },
    ]);
    const io = fakeIo({ cwd: s.dir, prompter });
    const code = await runWithRegistry({
      registry,
      io: io.io,
      gateway: s.fake.gateway,
      out: s.out,
      runbook: s.runbook,
      yes: false,
    });
    expect(code).toBe(0);
    expect(prompter.unused()).toEqual([]);
    expect(s.store.applied).toEqual([]);
    const runId = await onlyRun(s.out);
    expect(recordsFor(await journal(s.out, runId), "first:a")).toEqual(["skipped"]);

    const again = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: "Your name or email", answer: "erin@example.com" },
    ]);
    const resumed = await runWithRegistry({
      registry,
      io: fakeIo({ cwd: s.dir, prompter: again }).io,
      gateway: s.fake.gateway,
      out: s.out,
      resume: runId,
      yes: false,
    });
    expect(resumed).toBe(0);
    // Who is resuming, and whether to: never the declined step again.
    expect(again.asked).toHaveLength(2);
    expect(s.store.applied).toEqual([]);
  });
});

describe("SIGINT with changes running concurrently", () => {
  it("lets every change in flight finish, launches no new one, and exits 130", async () => {
    const s = await setup(`id: parallel
title: Parallel counting
description: four independent changes
version: 1
steps:
  - id: all
    title: Count a to d
    action: test.counter
    with:
      keys: [a, b, c, d]
`);
    // b is still in flight when applying a aborts the run.
    s.store.abortOnApply = { key: "a", controller: new AbortController() };
    s.store.waitForAbort.add("b");
    const io = fakeIo({ cwd: s.dir });
    s.store.abortOnApply.controller = io.controller;
    const code = await runWithRegistry({
      registry: createTestRegistry(s.store),
      io: io.io,
      gateway: s.fake.gateway,
      out: s.out,
      runbook: s.runbook,
      concurrency: 2,
    });
    expect(code).toBe(130);
    expect(s.store.applied).toEqual(["a", "b"]);
    const records = await journal(s.out, await onlyRun(s.out));
    expect(recordsFor(records, "all:a")).toEqual(["intent", "done"]);
    expect(recordsFor(records, "all:b")).toEqual(["intent", "done"]);
    expect(recordsFor(records, "all:c")).toEqual([]);
  });
});
