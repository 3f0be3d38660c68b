// The run's append-only JSONL journal. An `intent` is durable (fsynced) before the API call it announces;
// concurrent intents share one fsync (group commit) without changing their write order. Records are
// redacted as they are built. Reading tolerates a torn last line (a crash mid-write), nothing else.
import { open, readFile, truncate, type FileHandle } from "node:fs/promises";
import { redact } from "../io/redact.js";
import type { JsonObject } from "../actions/action.js";
import { ValidationError } from "./errors.js";
import type { Plan } from "./plan-types.js";

export const JOURNAL_VERSION = 1;

export type JournalRecord =
  | {
      t: "run";
      v: number;
      runId: string;
      runbook: { id: string; version: string | number; file: string; hash: string };
      configHash: string;
      account: string;
      startedAt: string;
    }
  | { t: "plan"; plan: Plan }
  | { t: "replan"; stepId: string; plan: Plan["steps"][number] }
  | { t: "resume"; mode: string }
  | {
      t: "step";
      stepId: string;
      status: "started" | "done" | "skipped" | "pending" | "failed";
      reason?: string;
    }
  | { t: "intent"; changeId: string; summary: string; data: JsonObject }
  | { t: "done"; changeId: string; output?: JsonObject | undefined; note?: string | undefined; how?: string }
  | { t: "failed"; changeId: string; error: string }
  | { t: "pending"; changeId: string; reason: string }
  | { t: "skipped"; changeId: string; reason: string }
  | {
      t: "attest";
      changeId: string;
      by: string;
      at: string;
      note?: string | undefined;
      evidence?: Record<string, string> | undefined;
      source: "operator" | "config";
    }
  | { t: "interrupted"; changeId?: string | undefined; signal: string }
  | { t: "end"; status: string; exitCode: number };

export type StampedRecord = JournalRecord & { seq: number; ts: string };

export class Journal {
  private seq: number;
  private writing: Promise<void> = Promise.resolve();
  private syncWaiters: (() => void)[] = [];
  private syncFailures: ((error: unknown) => void)[] = [];
  private syncScheduled = false;
  /** fsync calls made; a benchmark figure (group commit keeps it below the number of intents). */
  syncs = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    nextSeq: number,
    private readonly now: () => Date,
  ) {
    this.seq = nextSeq;
  }

  static async open(path: string, nextSeq = 1, now: () => Date = () => new Date()): Promise<Journal> {
    // A torn last line (a crash mid-write) never happened (see readJournal); cut it, or the next record
    // would be glued to it and turn into a corrupted line in the middle of the journal.
    const existing = await readFile(path).catch(() => undefined);
    if (existing && existing.length > 0 && existing[existing.length - 1] !== 0x0a) {
      await truncate(path, existing.lastIndexOf(0x0a) + 1);
    }
    const handle = await open(path, "a", 0o600);
    return new Journal(path, handle, nextSeq, now);
  }

  /** Appends a record; resolves once it is written (and, with `durable`, fsynced). */
  async append(record: JournalRecord, durable = false): Promise<StampedRecord> {
    const stamped = { ...redact(record), seq: this.seq++, ts: this.now().toISOString() } as StampedRecord;
    const line = `${JSON.stringify(stamped)}\n`;
    const written = this.writing.then(() => this.handle.write(line).then(() => undefined));
    this.writing = written.catch(() => undefined);
    await written;
    if (durable) await this.sync();
    return stamped;
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
          .then(() => this.handle.datasync())
          .then(
            () => waiters.forEach((w) => w()),
            (error: unknown) => failures.forEach((f) => f(error)),
          );
      });
    });
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.sync();
    await this.handle.close();
  }
}

export interface JournalState {
  header: Extract<StampedRecord, { t: "run" }>;
  plan: Plan;
  records: StampedRecord[];
  /** Outputs of done changes. */
  done: Map<string, JsonObject>;
  /** The latest intent data of changes that are not done (and not skipped). */
  openIntents: Map<string, JsonObject>;
  skipped: Map<string, string>;
  pending: Map<string, string>;
  failed: Map<string, string>;
  ended: Extract<StampedRecord, { t: "end" }> | undefined;
  nextSeq: number;
}

export async function readJournal(path: string): Promise<JournalState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ValidationError([
      { file: path, path: "", message: `cannot read journal (${(error as NodeJS.ErrnoException).code})` },
    ]);
  }
  const lines = text.split("\n");
  // An unterminated final line is a crash during write: that record never became durable, so it did not happen.
  const tornIndex = text.endsWith("\n") ? -1 : lines.length - 1;
  const records: StampedRecord[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      records.push(JSON.parse(line) as StampedRecord);
    } catch {
      if (index === tornIndex) return;
      throw new ValidationError(
        [{ file: path, line: index + 1, column: 1, path: "", message: "corrupted journal line (not JSON)" }],
        "the journal is append-only evidence: restore it from a backup, or start a new run",
      );
    }
  });
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
  };
  for (const record of records) {
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
  return state;
}
