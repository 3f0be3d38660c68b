// The plain data that crosses layers: JSON values, a change as an action drafts it and as the plan holds it,
// and the serialisable, versioned Plan (what `plan --save` writes, what `apply` reads back and what the journal
// records at the start of a run). Types only, and the plan format's version: nothing here runs.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ChangeKind =
  "create" | "update" | "delete" | "suspend" | "manual" | "verify" | "write-file" | "deliver";

/** What must be shown to an operator before a manual change: instructions and the evidence to collect. */
export interface ManualSpec {
  instructions: string;
  evidence: EvidenceField[];
  /** A verifier id (a Verifier in the registry: actions/registry.ts) run after the operator says "done". */
  verify?: string | undefined;
}

export interface EvidenceField {
  id: string;
  label: string;
  required: boolean;
  /** A regular expression the answer must match. */
  pattern?: string | undefined;
}

/** A change as an action plans it; the engine prefixes its id with the step id. */
export interface ChangeDraft {
  /** Stable within the step (so a resume can match it): e.g. `revoke/3f2a…`. */
  id: string;
  kind: ChangeKind;
  /** Human label of what is changed: `secret 3f2a… of abcd1234`. */
  target: string;
  before?: JsonValue | undefined;
  after?: JsonValue | undefined;
  reversible: boolean;
  /** Safe to apply again after a crash between intent and done (no reconcile needed). */
  idempotent: boolean;
  /** Data the action's own apply needs. References to earlier changes' outputs: `{ "$ref": "<change id>" }`. */
  params: JsonObject;
  /** What must still be true of live state (checked by the action right before apply). */
  precondition?: JsonValue | undefined;
  /** Ids of changes (full ids) that must be done before this one. */
  dependsOn?: string[] | undefined;
  manual?: ManualSpec | undefined;
  /**
   * May ask the operator while applying (a failing service check: retry, wait, revoke anyway): applied outside the
   * progress display, as manual changes are, so that the question and the live output are seen.
   */
  asks?: boolean | undefined;
  /** Shown in the plan and the report: things the operator should know (e.g. `http://` webhooks). */
  warnings?: string[] | undefined;
  /**
   * Set on a change whose success makes a compromised credential stop working (an old API secret revoked, an
   * application key replaced, an old application deleted): names that credential, e.g. `application key 3f2a…`.
   * The report's attacker window ends at the last such change.
   */
  killsCredential?: string | undefined;
}

export interface Change extends ChangeDraft {
  /** `<stepId>:<draft id>`, unique in the plan. */
  id: string;
  stepId: string;
  action: string;
  /** describe(change), computed once at plan time: feeds the dry-run diff, confirm prompts and the journal. */
  summary: string;
}

export type DecisionKind = "select" | "checkbox" | "input" | "confirm";

export interface RecordedDecision {
  kind: DecisionKind;
  /** The question, for a human reading the plan; replay matches by order and kind, not by wording. */
  message: string;
  answer: JsonValue;
}

export const PLAN_VERSION = 1;

export interface PlanStep {
  id: string;
  title: string;
  why?: string | undefined;
  action: string;
  confirm: boolean;
  continueOnError: boolean;
  /** Set when the step's `when` is false: the reason it does not run. */
  skipped?: string | undefined;
  changes: Change[];
  notes: string[];
  /** PlanResult.attention of the step: shown at the top of the plan, before the steps. */
  attention?: string[] | undefined;
  /**
   * Set when the step was planned with a prompter: the operator's answers, in the order asked. `apply` replays them
   * when it re-plans the step against live state, and honours each only if it is among the choices offered now.
   */
  decisions?: RecordedDecision[] | undefined;
}

/**
 * On the plan of a `vonage-ir restore` run: the run it reverses, and what of that run it does not reverse itself
 * (its steps hold the changes it does).
 */
export interface RestoreOf {
  runId: string;
  /** Changes no API reverses: the exact instruction for a person who wants them reversed. */
  manual: { changeId: string; summary: string; instructions: string }[];
  /** Changes that stay as they are (a revoked secret, a replaced key, a deleted application), with why. */
  irreversible: { changeId: string; summary: string; reason: string }[];
  /** `restore --accept-broken-journal`: where the reversed run's hash chain broke when this restore planned from it. */
  acceptedBrokenJournal?: { line: number; reason: string } | undefined;
}

export interface Plan {
  version: number;
  runbook: { id: string; title: string; version: string | number; file: string; hash: string };
  configHash: string;
  account: string;
  createdAt: string;
  /** Input values (redacted) the plan was made with. */
  inputs: Record<string, unknown>;
  steps: PlanStep[];
  restoreOf?: RestoreOf | undefined;
}
