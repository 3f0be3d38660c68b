// What a run's journal holds, as data: the record kinds, who wrote each (the actor), and a journal read back
// (JournalState). The engine writes and reads the file (engine/journal.ts); actions and the CLI read these
// types, and an action reads its own run's journal only through its context (ActionContext.journal).
import type { JsonObject, Plan } from "./plan.js";

export type JournalRecord =
  | {
      t: "run";
      v: number;
      runId: string;
      runbook: { id: string; version: string | number; file: string; hash: string };
      configHash: string;
      /** A digest per input the config gave (absent in journals of older versions). */
      inputDigests?: Record<string, string> | undefined;
      /** The config file it started with: a resume without --config names it. */
      config?: { file: string } | undefined;
      /** The saved plan an `apply` run applies: applying it again finds this run. */
      savedPlan?: { sha256: string } | undefined;
      account: string;
      startedAt: string;
      /** The tool that wrote the header (absent before the chain): such a journal is chained from line 1. */
      tool?: { name: string; version: string } | undefined;
    }
  | { t: "plan"; plan: Plan }
  | { t: "replan"; stepId: string; plan: Plan["steps"][number] }
  | {
      t: "resume";
      mode: string;
      /** `--accept-broken-journal`: the break this resume went on from (verify-journal still reports it). */
      acceptedBrokenJournal?: { line: number; reason: string } | undefined;
    }
  | { t: "confirm"; stepId: string; changes: number }
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
  /** A notification that could not be delivered (the target as shown: scheme, host, fingerprint). */
  | { t: "notify"; event: string; target: string; error: string; attempts: number }
  /** `vonage-ir export`: the run moved to another responder; this copy must not continue it. */
  | {
      t: "handoff";
      to: string;
      file: string;
      sha256: string;
      bytes: number;
      /** `export --accept-broken-journal`: the break the hand-off went out with. */
      acceptedBrokenJournal?: { line: number; reason: string } | undefined;
    }
  /** `vonage-ir import`: this copy of the run came from a hand-off file. */
  | { t: "imported"; sha256: string; from?: string | undefined }
  | { t: "end"; status: string; exitCode: number };

/** Who wrote a record: the OS user and host, and the operator's name when one was given or asked for. */
export interface Actor {
  user: string;
  host: string;
  operator?: string | undefined;
}

/**
 * A record as written: `prev` (the chain) and `actor` are absent only in journals written before them, which
 * are still read.
 */
export type StampedRecord = JournalRecord & { seq: number; ts: string; actor?: Actor; prev?: string };

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
  /** The sha256 of the last whole line (journal-chain.ts): what the report's footer pins. */
  finalHash: string;
}
