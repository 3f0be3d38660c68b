// The journal's write and read rules: a record is written whole or the journal stops (a short write, a full
// disk, a failed fsync); a line without its newline is torn for reader and writer alike; a line that parses
// but is not a record is a corrupted journal (exit 2 with the line), not a crash.
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, StorageError, ValidationError } from "../../../src/core/errors.js";
import { Journal, JOURNAL_VERSION, readJournal, type JournalFile } from "../../../src/engine/journal.js";
import { type JournalRecord } from "../../../src/core/journal-records.js";
import type { Plan } from "../../../src/core/plan.js";
import { removeTempDirs, tempDir } from "../../helpers/cli-io.js";

afterEach(removeTempDirs);

const PLAN = {
  version: 1,
  runbook: { id: "r", title: "R", version: 1, file: "/r.yaml", hash: "h" },
  configHash: "c",
  account: "abcd1234",
  createdAt: "2026-01-01T00:00:00Z",
  inputs: {},
  steps: [],
} as unknown as Plan;

const HEADER: JournalRecord = {
  t: "run",
  v: JOURNAL_VERSION,
  runId: "20260101-000000-abcdef",
  runbook: { id: "r", version: 1, file: "/r.yaml", hash: "h" },
  configHash: "c",
  account: "abcd1234",
  startedAt: "2026-01-01T00:00:00Z",
};

const enospc = () =>
  Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });

/** A real append handle whose writes (and fsyncs) a test can cut short or refuse. */
function faultyFile(faults: {
  /** Write only this many bytes of the next write, then refuse every write (the disk just filled up). */
  shortWriteOf?: number | undefined;
  /** Accept at most this many bytes per write (partial writes that make progress). */
  chunk?: number | undefined;
  failFsync?: boolean | undefined;
}): (path: string) => Promise<JournalFile> {
  return async (path) => {
    const real = await open(path, "a", 0o600);
    let full = false;
    return {
      async write(buffer, offset, length) {
        if (full) throw enospc();
        if (faults.shortWriteOf !== undefined) {
          full = true;
          return real.write(buffer, offset, Math.min(length, faults.shortWriteOf));
        }
        return real.write(buffer, offset, Math.min(length, faults.chunk ?? length));
      },
      async datasync() {
        if (faults.failFsync) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
        return real.datasync();
      },
      sync: () => real.sync(),
      truncate: (length) => real.truncate(length),
      stat: () => real.stat(),
      close: () => real.close(),
    };
  };
}

async function journalWithHeader(): Promise<string> {
  const path = join(await tempDir(), "journal.jsonl");
  const journal = await Journal.open(path);
  await journal.append(HEADER);
  await journal.append({ t: "plan", plan: PLAN }, true);
  await journal.close();
  return path;
}

describe("writing", () => {
  it("a short write on a full disk fails the append, cuts the partial record, and refuses every later append", async () => {
    const path = await journalWithHeader();
    const before = await readFile(path, "utf8");
    const journal = await Journal.open(path, 3, { openFile: faultyFile({ shortWriteOf: 10 }) });
    const intent = journal.append({ t: "intent", changeId: "s:a", summary: "create a", data: {} }, true);
    await expect(intent).rejects.toBeInstanceOf(StorageError);
    await expect(intent).rejects.toThrow(/journal .* the disk is full \(ENOSPC\)/);
    // the caller learns the intent is not durable; the file holds only the whole records of before
    expect(await readFile(path, "utf8")).toBe(before);
    await expect(journal.append({ t: "done", changeId: "s:a" })).rejects.toBeInstanceOf(StorageError);
    expect(await readFile(path, "utf8")).toBe(before);
    await journal.close();
    const state = await readJournal(path);
    expect(state.openIntents.size).toBe(0);
    expect(state.records.map((r) => r.t)).toEqual(["run", "plan"]);
  });

  it("writes the rest of a record after a partial write that made progress", async () => {
    const path = await journalWithHeader();
    const journal = await Journal.open(path, 3, { openFile: faultyFile({ chunk: 7 }) });
    await journal.append({ t: "intent", changeId: "s:a", summary: "create a", data: { n: 1 } }, true);
    await journal.append({ t: "done", changeId: "s:a", output: { id: "x" } }, true);
    await journal.close();
    const state = await readJournal(path);
    expect(state.records.map((r) => r.t)).toEqual(["run", "plan", "intent", "done"]);
    expect(state.done.get("s:a")).toEqual({ id: "x" });
  });

  it("a failed fsync fails the durable append (the intent is not durable) and every later one", async () => {
    const path = await journalWithHeader();
    const journal = await Journal.open(path, 3, { openFile: faultyFile({ failFsync: true }) });
    const intent = journal.append({ t: "intent", changeId: "s:a", summary: "create a", data: {} }, true);
    await expect(intent).rejects.toThrow(/cannot fsync the journal .*input\/output error \(EIO\)/);
    await expect(journal.append({ t: "done", changeId: "s:a" })).rejects.toBeInstanceOf(StorageError);
    await journal.close();
  });

  it("a disk error names the run to resume and exits 1", async () => {
    const path = await journalWithHeader();
    const journal = await Journal.open(path, 3, { openFile: faultyFile({ shortWriteOf: 0 }) });
    const error = await journal
      .append({ t: "step", stepId: "s", status: "started" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).exitCode).toBe(ExitCode.stepFailed);
    expect((error as StorageError).hint).toMatch(/free space on the disk, then resume the run/);
    await journal.close();
  });
});

describe("torn lines: one rule for reading and appending", () => {
  it("a last line without its newline is torn even when it parses: readJournal ignores it, open cuts it", async () => {
    const path = await journalWithHeader();
    const whole = await readFile(path, "utf8");
    const torn = JSON.stringify({ t: "intent", seq: 3, ts: "x", changeId: "s:a", summary: "a", data: {} });
    await writeFile(path, `${whole}${torn}`);
    const read = await readJournal(path);
    expect(read.records.map((r) => r.t)).toEqual(["run", "plan"]);
    expect(read.openIntents.size).toBe(0);
    expect(read.nextSeq).toBe(3);

    const journal = await Journal.open(path, read.nextSeq);
    await journal.append({ t: "resume", mode: "non-interactive" });
    await journal.close();
    const after = await readJournal(path);
    expect(after.records.map((r) => r.t)).toEqual(["run", "plan", "resume"]);
  });
});

describe("corrupted journals", () => {
  async function corrupt(line: string, at: "append" | "header"): Promise<unknown> {
    const path = await journalWithHeader();
    const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l !== "");
    if (at === "header") lines[0] = line;
    else lines.push(line);
    await writeFile(path, `${lines.join("\n")}\n`);
    return readJournal(path).then(
      () => "read without complaint",
      (error: unknown) => error,
    );
  }

  it.each([
    ["null", "null", "append"],
    ["a number", "42", "append"],
    ["a list", "[1,2]", "append"],
    ["an unknown kind", '{"t":"launch","seq":3,"ts":"x"}', "append"],
    ["an intent without its change id", '{"t":"intent","seq":3,"ts":"x","summary":"a","data":{}}', "append"],
  ] as const)(
    "a line that is %s is a corrupted line, exit 2, naming file and line",
    async (_name, line, at) => {
      const error = await corrupt(line, at);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).exitCode).toBe(ExitCode.usage);
      expect((error as ValidationError).message).toMatch(
        /journal\.jsonl:3:1 corrupted journal line \(not a journal record/,
      );
    },
  );

  it("a run header without its runbook is a corrupted line 1, exit 2", async () => {
    const header = { ...HEADER, seq: 1, ts: "x" } as Record<string, unknown>;
    delete header.runbook;
    const error = await corrupt(JSON.stringify(header), "header");
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(
      /journal\.jsonl:1:1 corrupted journal line \(not a journal record: runbook: /,
    );
  });
});

describe("the stamp every append puts on a record", () => {
  it("chains each record to the line before and carries the actor of the handle that wrote it, across reopens", async () => {
    const { verifyChain, GENESIS } = await import("../../../src/engine/journal-chain.js");
    const path = join(await tempDir(), "journal.jsonl");
    const alice = { user: "alice", host: "laptop", operator: "Alice" };
    const first = await Journal.open(path, 1, { actor: alice });
    await first.append(HEADER);
    await first.append({ t: "plan", plan: PLAN }, true);
    await first.close();
    // A crash tears the next record: reopening cuts it and chains on from the last whole line.
    await writeFile(path, `${await readFile(path, "utf8")}{"t":"resu`);
    const read = await readJournal(path);
    const bob = { user: "bob", host: "other-machine" };
    const second = await Journal.open(path, read.nextSeq, { actor: bob });
    const stamped = await second.append({ t: "resume", mode: "non-interactive" });
    await second.close();
    expect(stamped).toMatchObject({ seq: 3, prev: read.finalHash, actor: bob });
    const records = (await readJournal(path)).records;
    expect(records.map((r) => r.actor)).toEqual([alice, alice, bob]);
    expect(records[0]?.prev).toBe(GENESIS);
    const verdict = verifyChain(await readFile(path));
    expect(verdict.broken).toBeUndefined();
    expect(verdict.finalHash).toBe(second.finalHash);
  });
});
