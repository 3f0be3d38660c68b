// The contract every action implements: params schema, plan (reads only), describe, apply (writes through
// the gateway), and the reconciliation a resume needs when a change was started but not recorded as done.
import type { z } from "zod";
import type { Gateway } from "../vonage/gateway.js";
import type { Prompter } from "../io/prompter.js";
import type { EventInput } from "../io/events.js";
import type { DeliveryConfig } from "./delivery-config.js";
import type { Change, ChangeDraft, JsonObject, JsonValue } from "../core/plan.js";
import type { JournalState } from "../core/journal-records.js";

export type ApplyOutcome =
  | { status: "done"; output?: JsonObject | undefined; note?: string | undefined }
  | { status: "pending"; reason: string }
  | { status: "skipped"; reason: string };

/** An attestation of a manual step from the config file (non-interactive runs). */
export interface Attestation {
  by: string;
  at: string;
  note?: string | undefined;
  evidence?: Record<string, string> | undefined;
  /** Set when it is dated before the run (or the compromise) and accepted for its note: shown in the report. */
  beforeRun?: string | undefined;
}

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The sink, as actions see it: writes secret material durably before it is used, returns safe metadata. */
export interface SinkWriter {
  readonly dir: string;
  write(name: string, value: string): Promise<{ path: string; fingerprint: string }>;
  read(name: string): Promise<string>;
  exists(name: string): Promise<boolean>;
  /** Moves a value to a new name, durably and idempotently (see SecretSink.rename). */
  rename(from: string, to: string): Promise<{ path: string; fingerprint: string }>;
}

export interface ProgressReporter {
  (done: number, total: number | undefined, label?: string): void;
}

/** A secret some vonage-ir run created, as its journal in the out directory records it. */
export interface PriorSecret {
  apiKey: string;
  secretId: string;
  runId: string;
  createdAt: string;
}

/** One change a run journaled as done: what `audit` matches the account's audit events against. */
export interface PriorChange {
  changeId: string;
  action: string;
  kind: string;
  summary: string;
  target: string;
  params: unknown;
  before: unknown;
  output: unknown;
  /** When its intent was journaled (the API call came after) and when it was journaled done; ISO-8601. */
  intentAt: string | undefined;
  doneAt: string | undefined;
}

/** One run found in the out directory, with the changes it completed (in journal order). */
export interface PriorRun {
  runId: string;
  account: string | undefined;
  startedAt: string | undefined;
  changes: PriorChange[];
}

/**
 * What earlier runs (and this one, on resume) did, read from the journals in the out directory by the engine's
 * caller: actions never read journals themselves. Read-only and small on purpose.
 */
export interface PriorRuns {
  readonly secretsCreated: readonly PriorSecret[];
}

export const NO_PRIOR_RUNS: PriorRuns = { secretsCreated: [] };

/** The config's delivery targets and service checks (issue 17), and the environment their commands start from. */
export interface DeliverySetup {
  /** Undefined when the config has neither `deliver:` nor `verify:`. */
  config: DeliveryConfig | undefined;
  /** A few variables of the CLI's own environment (PATH, HOME, ...), never a credential. */
  baseEnv: Readonly<Record<string, string>>;
}

export interface ActionContext {
  /** Read-only while planning; during apply it authenticates with the current primary secret. */
  readonly gateway: Gateway;
  /** Undefined in non-interactive runs: a decision that needs one must fail at plan time naming the input. */
  readonly prompter: Prompter | undefined;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly attestations: Readonly<Record<string, Attestation>>;
  readonly sink: SinkWriter;
  readonly runDir: string;
  readonly runId: string;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly step: { id: string; title: string };
  /** Outputs of changes already done in this run (from the journal), by full change id. */
  readonly outputs: ReadonlyMap<string, JsonObject>;
  /** Secrets created by vonage-ir runs in the out directory: never suspects, never revoked first by default. */
  readonly priorRuns: PriorRuns;
  emit(event: EventInput): void;
  progress: ProgressReporter;
  /** Switch every later API call of this run to another primary secret (after it was proven to work). */
  usePrimarySecret(secret: string): void;
  /** The command that resumes this run, exactly as the end of the run prints it (for messages that need it). */
  readonly resumeCommand?: string | undefined;
  /** Registers a value that must never appear in any output (redaction). */
  registerSecret(value: string): void;
  /** The operator's name when the run knows it (`--operator`, asked at the start): attestations sign with it. */
  readonly operator?: string | undefined;
  readonly delivery?: DeliverySetup | undefined;
  /**
   * The API secret this process started with (VONAGE_API_SECRET or --secret-stdin): only to prove it is rejected
   * once the rotation revoked it. Undefined in tests that have no operator.
   */
  readonly operatorSecret?: string | undefined;
  /** What this run has recorded so far, read back from its journal (the report and the ticket draft are built from it). */
  readonly journal: JournalView;
}

/** A read-only view of the run's journal: the engine owns the file; an action only reads what was recorded. */
export interface JournalView {
  /** The journal as it is on disk now: every record appended so far, including this step's. */
  read(): Promise<JournalState>;
}

export interface PlanResult {
  changes: ChangeDraft[];
  /** Facts found while planning, shown in the plan (e.g. "2 suspects: ..."). */
  notes?: string[] | undefined;
  /**
   * What the operator must see before anything else (e.g. a webhook pointing at a host they did not allow): shown
   * above every step of the plan and in the report, never folded into a count.
   */
  attention?: string[] | undefined;
}

/**
 * How `vonage-ir restore` reverses one change an earlier run completed (issue 18). `change`: a draft the restore
 * run plans and applies through this same action (its apply must recognise it, e.g. by `params.op`); `manual`: no
 * API can reverse it, here is the exact instruction; `irreversible`: listed as such (a revoked secret, a replaced
 * key, a deleted application), with why.
 */
export type UndoPlan =
  | { kind: "change"; draft: ChangeDraft }
  | { kind: "manual"; instructions: string }
  | { kind: "irreversible"; reason: string };

export interface Action<P = unknown> {
  readonly id: string;
  readonly title: string;
  /** One line: why this matters during a compromise. */
  readonly why: string;
  readonly params: z.ZodType<P>;
  /**
   * Planned on its own, before the steps after it (which are planned concurrently with each other): a
   * credentials check, so that wrong credentials fail once rather than once per step.
   */
  readonly planAlone?: boolean;
  /**
   * Reads only (the gateway it gets refuses writes). Runs concurrently with other steps' plans when the run
   * has no prompter; with one (a plan may ask the operator), plans run one at a time in the runbook's order.
   */
  plan(ctx: ActionContext, params: P): Promise<PlanResult>;
  describe(change: ChangeDraft): string;
  /**
   * Called once as applying starts (never in a dry run), with the step's changes still to apply: starts local work
   * only applying needs (generating key pairs) so that it overlaps the steps before this one. No request, no file.
   */
  warmUp?(changes: readonly Change[]): void;
  /** Returns a message when live state drifted from what the change was planned against. */
  checkPrecondition?(ctx: ActionContext, change: Change): Promise<string | undefined>;
  /**
   * Runs right before the intent record: generates local material (a secret, a key pair), writes it to the
   * sink, and returns redacted data for the intent (fingerprints, sink paths) that reconcile can use later.
   */
  prepare?(ctx: ActionContext, change: Change): Promise<JsonObject>;
  apply(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome>;
  /**
   * A change has an intent but no done (a crash, a kill, a lost connection): find out from live state whether
   * it took effect. Returns the outcome if it did, undefined if it did not (the engine then applies it again).
   */
  reconcile?(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome | undefined>;
  /** On resume, re-establish what a done change set up in the process (e.g. switch to the new secret). */
  restore?(ctx: ActionContext, change: Change, output: JsonObject): Promise<void>;
  /**
   * At the end of every attempt (a first run or a resume), re-reads the end state a done change verified (e.g.
   * "one secret, the new one"): someone who still holds the dashboard can undo it after the check. Returns what
   * no longer holds, which keeps the run from being "done"; undefined when it still holds.
   */
  reverify?(ctx: ActionContext, change: Change, output: JsonObject): Promise<string | undefined>;
  /**
   * What `vonage-ir restore` does about a change of this action an earlier run completed (its journaled change and
   * the output of its done record). Undefined (or no hook): nothing to reverse (a read, a verify, a file).
   */
  undo?(change: PriorChange, output: JsonObject): UndoPlan | undefined;
}

/** Resolves `{ "$ref": "<change id>", "field": "x" }` against the outputs of done changes. */
export function resolveRef(outputs: ReadonlyMap<string, JsonObject>, value: JsonValue): JsonValue {
  if (value && typeof value === "object" && !Array.isArray(value) && typeof value.$ref === "string") {
    const output = outputs.get(value.$ref);
    if (!output) throw new Error(`the output of change ${value.$ref} is not known yet`);
    const field = typeof value.field === "string" ? value.field : undefined;
    return field === undefined ? output : (output[field] ?? null);
  }
  return value;
}

export function ref(changeId: string, field?: string): JsonObject {
  return field === undefined ? { $ref: changeId } : { $ref: changeId, field };
}

/** Automated verification after a manual step (e.g. auto-reload read back as off). */
export interface Verifier {
  readonly id: string;
  readonly description: string;
  verify(ctx: ActionContext): Promise<{ ok: boolean; detail: string }>;
}

export interface Registry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action has its own params type
  readonly actions: ReadonlyMap<string, Action<any>>;
  readonly verifiers: ReadonlyMap<string, Verifier>;
}
