// The run's append-only JSONL journal. An `intent` is durable (fully written and fsynced) before the API call
// it announces; concurrent intents share one fsync (group commit) without changing their write order. Records
// are redacted as they are built. A line without its newline is torn (a crash mid-write): it never happened.
// Every record is stamped here, wherever it is appended from: seq, time, who (the actor) and the hash of the
// line before it (the chain: journal-chain.ts), so no caller can write an unchained or anonymous record.
import { open, readFile, truncate } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { z } from "zod";
import { redact } from "../core/redact.js";
import { StorageError, ValidationError, diskProblemOf, messageOf } from "../core/errors.js";
import { GENESIS, chainHead, lineHash } from "./journal-chain.js";
import type { Actor, JournalRecord, JournalState, StampedRecord } from "../core/journal-records.js";

export const JOURNAL_VERSION = 1;

export interface JournalOptions {
  now?: (() => Date) | undefined;
  /** How the file is opened for appending (a test injects a failing one). */
  openFile?: ((path: string) => Promise<JournalFile>) | undefined;
  /** Stamped on every record this handle appends. */
  actor?: Actor | undefined;
}

/** The part of a file handle the journal writes through (a test injects a failing one). */
export interface JournalFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

const openForAppend = (path: string): Promise<JournalFile> => open(path, "a", 0o600);

/** The length of the whole lines in `bytes`: what is after the last newline is torn. */
function wholeLinesLength(bytes: Buffer): number {
  return bytes.lastIndexOf(0x0a) + 1;
}

export class Journal {
  private seq: number;
  private writing: Promise<void> = Promise.resolve();
  private syncWaiters: (() => void)[] = [];
  private syncFailures: ((error: unknown) => void)[] = [];
  private syncScheduled = false;
  /** Bytes of whole records in the file: where a failed write is cut back to. */
  private size: number;
  /** Set by the first failed write or fsync: every later append fails with it, so nothing runs unjournaled. */
  private broken: StorageError | undefined;
  /** fsync calls made; a benchmark figure (group commit keeps it below the number of intents). */
  syncs = 0;
  /** The hash of the last line appended (or found): the next record's `prev`. */
  private head: string;

  private constructor(
    readonly path: string,
    private readonly file: JournalFile,
    nextSeq: number,
    size: number,
    head: string,
    private readonly now: () => Date,
    private readonly actor: Actor | undefined,
  ) {
    this.seq = nextSeq;
    this.size = size;
    this.head = head;
  }

  static async open(path: string, nextSeq = 1, options: JournalOptions = {}): Promise<Journal> {
    // A torn last line never happened (see readJournal); cut it, or the next record would be glued to it
    // and turn into a corrupted line in the middle of the journal.
    const existing = await readFile(path).catch(() => undefined);
    if (existing && wholeLinesLength(existing) < existing.length) {
      await truncate(path, wholeLinesLength(existing));
    }
    const file = await (options.openFile ?? openForAppend)(path);
    const size = (await file.stat()).size;
    const head = existing ? chainHead(existing.subarray(0, wholeLinesLength(existing))) : GENESIS;
    return new Journal(path, file, nextSeq, size, head, options.now ?? (() => new Date()), options.actor);
  }

  /** The hash of the last record appended: what a copy of the report pins. */
  get finalHash(): string {
    return this.head;
  }

  /**
   * Appends a record, stamped with seq, time, actor and `prev`; resolves once it is written whole (and, with
   * `durable`, fsynced). A write or fsync that fails rejects with a StorageError, and so does every later
   * append: the caller must not act on it. Records are chained in the order append is called, which is the
   * order they are written in.
   */
  async append(record: JournalRecord, durable = false): Promise<StampedRecord> {
    const stamped = {
      ...redact(this.actor ? { ...record, actor: this.actor } : record),
      seq: this.seq++,
      ts: this.now().toISOString(),
      prev: this.head,
    } as StampedRecord;
    const bytes = Buffer.from(`${JSON.stringify(stamped)}\n`, "utf8");
    this.head = lineHash(bytes);
    const written = this.writing.then(() => this.writeWhole(bytes));
    this.writing = written.catch(() => undefined);
    await written;
    if (durable) await this.sync();
    return stamped;
  }

  private async writeWhole(bytes: Buffer): Promise<void> {
    if (this.broken) throw this.broken;
    try {
      // write(2) may write less than asked (a disk filling up): write the rest until done or refused.
      for (let offset = 0; offset < bytes.length;) {
        const { bytesWritten } = await this.file.write(bytes, offset, bytes.length - offset);
        if (!(bytesWritten > 0)) throw new Error(`the disk accepted 0 of ${bytes.length - offset} bytes`);
        offset += bytesWritten;
      }
      this.size += bytes.length;
    } catch (error) {
      throw await this.fail(error, "cannot write to");
    }
  }

  private async fail(error: unknown, what: string): Promise<StorageError> {
    if (!this.broken) {
      this.broken = new StorageError(
        `${what} the journal ${this.path}: ${diskProblemOf(error) ?? messageOf(error)}; nothing was sent after its last whole record`,
        `free space on the disk, then resume the run: vonage-ir run --resume ${basename(dirname(this.path))}`,
        { cause: error },
      );
      // Cut a partly written record, so the journal ends with whole lines (best effort: the disk is failing).
      await this.file.truncate(this.size).catch(() => undefined);
    }
    return this.broken;
  }

  /** Group commit: every caller waiting when the fsync starts is released by that one fsync. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncWaiters.push(resolve);
      this.syncFailures.push(reject);
      if (this.syncScheduled) return;
      this.syncScheduled = true;
      setImmediate(() => {
        const waiters = this.syncWaiters;
        const failures = this.syncFailures;
        this.syncWaiters = [];
        this.syncFailures = [];
        this.syncScheduled = false;
        this.syncs++;
        this.writing
          .then(() => {
            if (this.broken) throw this.broken;
            return this.file.datasync().catch(async (error: unknown) => {
              throw await this.fail(error, "cannot fsync");
            });
          })
          .then(
            () => waiters.forEach((w) => w()),
            (error: unknown) => failures.forEach((f) => f(error)),
          );
      });
    });
  }

  async close(): Promise<void> {
    await this.writing;
    try {
      if (!this.broken) await this.file.sync();
    } finally {
      await this.file.close();
    }
  }
}

// What reading relies on in each record (extra fields are kept): a line that parses as JSON but is not
// such a record (`null`, a number, a header without its runbook) is a corrupted line, not a crash later.
const changeRecord = { changeId: z.string() };
const planShape = z.looseObject({
  inputs: z.record(z.string(), z.unknown()),
  steps: z.array(z.looseObject({ id: z.string(), changes: z.array(z.looseObject({ id: z.string() })) })),
});
const recordSchema = z
  .discriminatedUnion("t", [
    z.looseObject({
      t: z.literal("run"),
      v: z.number(),
      runId: z.string(),
      runbook: z.looseObject({
        id: z.string(),
        version: z.union([z.string(), z.number()]),
        file: z.string(),
        hash: z.string(),
      }),
      configHash: z.string(),
      inputDigests: z.record(z.string(), z.string()).optional(),
      account: z.string(),
    }),
    z.looseObject({ t: z.literal("plan"), plan: planShape }),
    z.looseObject({ t: z.literal("replan"), stepId: z.string(), plan: planShape.shape.steps.element }),
    z.looseObject({ t: z.literal("resume") }),
    z.looseObject({ t: z.literal("confirm"), stepId: z.string(), changes: z.number() }),
    z.looseObject({ t: z.literal("step"), stepId: z.string(), status: z.string() }),
    z.looseObject({ t: z.literal("intent"), ...changeRecord, data: z.record(z.string(), z.unknown()) }),
    z.looseObject({
      t: z.literal("done"),
      ...changeRecord,
      output: z.record(z.string(), z.unknown()).optional(),
    }),
    z.looseObject({ t: z.literal("failed"), ...changeRecord, error: z.string() }),
    z.looseObject({ t: z.literal("pending"), ...changeRecord, reason: z.string() }),
    z.looseObject({ t: z.literal("skipped"), ...changeRecord, reason: z.string() }),
    z.looseObject({ t: z.literal("attest"), ...changeRecord, by: z.string(), at: z.string() }),
    z.looseObject({ t: z.literal("interrupted") }),
    z.looseObject({ t: z.literal("notify"), event: z.string(), error: z.string() }),
    z.looseObject({ t: z.literal("handoff"), to: z.string(), file: z.string(), sha256: z.string() }),
    z.looseObject({ t: z.literal("imported"), sha256: z.string() }),
    z.looseObject({ t: z.literal("end"), status: z.string(), exitCode: z.number() }),
  ])
  .and(z.looseObject({ seq: z.number().int(), ts: z.string() }));

export async function readJournal(path: string): Promise<JournalState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ValidationError([
      { file: path, path: "", message: `cannot read journal (${(error as NodeJS.ErrnoException).code})` },
    ]);
  }
  // Only whole lines count (the rule Journal.open cuts by): an unterminated final line is a crash during
  // write, so that record never became durable and did not happen, whatever it parses to.
  const whole = bytes.subarray(0, wholeLinesLength(bytes));
  const records = parseRecords(path, whole);
  const { header, planRecord } = headerOf(path, records);
  const state: JournalState = {
    header,
    plan: structuredClone(planRecord.plan),
    records,
    done: new Map(),
    openIntents: new Map(),
    skipped: new Map(),
    pending: new Map(),
    failed: new Map(),
    ended: undefined,
    nextSeq: (records.at(-1)?.seq ?? 0) + 1,
    finalHash: chainHead(whole),
  };
  for (const record of records) foldRecord(state, record);
  return state;
}

/** Each line a journal record; a line that is not one is corrupted (the journal is evidence: never skipped). */
function parseRecords(path: string, whole: Buffer): StampedRecord[] {
  const lines = whole.toString("utf8").split("\n");
  const records: StampedRecord[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const corrupted = (why: string) =>
      new ValidationError(
        [{ file: path, line: index + 1, column: 1, path: "", message: `corrupted journal line (${why})` }],
        "the journal is append-only evidence: restore it from a backup, or start a new run",
      );
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      throw corrupted("not JSON");
    }
    const checked = recordSchema.safeParse(data);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      throw corrupted(`not a journal record: ${where}${issue?.message ?? "invalid"}`);
    }
    records.push(data as StampedRecord);
  });
  return records;
}

type RunRecord = Extract<StampedRecord, { t: "run" }>;
type PlanRecord = Extract<StampedRecord, { t: "plan" }>;

/** The run header (first) and the plan: without them, or of another version, the file is no journal of ours. */
function headerOf(path: string, records: StampedRecord[]): { header: RunRecord; planRecord: PlanRecord } {
  const header = records[0];
  const planRecord = records.find((r) => r.t === "plan");
  if (!header || header.t !== "run" || !planRecord || planRecord.t !== "plan") {
    throw new ValidationError(
      [
        {
          file: path,
          line: 1,
          column: 1,
          path: "",
          message: "not a vonage-ir journal (no run header and plan)",
        },
      ],
      "start a new run instead of resuming",
    );
  }
  if (header.v !== JOURNAL_VERSION) {
    throw new ValidationError([
      { file: path, line: 1, column: 1, path: "v", message: `journal version ${header.v} is not supported` },
    ]);
  }
  return { header, planRecord };
}

/** A record's effect on what the journal says of each change (a later record overrides an earlier one). */
function foldRecord(state: JournalState, record: StampedRecord): void {
  switch (record.t) {
    case "replan": {
      const index = state.plan.steps.findIndex((s) => s.id === record.stepId);
      if (index >= 0) state.plan.steps[index] = record.plan;
      break;
    }
    case "intent":
      state.openIntents.set(record.changeId, record.data);
      state.pending.delete(record.changeId);
      state.failed.delete(record.changeId);
      break;
    case "done":
      state.done.set(record.changeId, record.output ?? {});
      state.openIntents.delete(record.changeId);
      state.pending.delete(record.changeId);
      state.failed.delete(record.changeId);
      break;
    case "failed":
      state.failed.set(record.changeId, record.error);
      break;
    case "pending":
      state.pending.set(record.changeId, record.reason);
      state.openIntents.delete(record.changeId);
      break;
    case "skipped":
      state.skipped.set(record.changeId, record.reason);
      state.openIntents.delete(record.changeId);
      break;
    case "end":
      state.ended = record;
      break;
    default:
      break;
  }
}
