// One attempt of apply (a first run, or a resume of it): what it was given, and what it knows of each change so
// far, first from the journal of the attempts before it, then from its own outcomes. Its result is what apply returns.
import type { ActionContext, Attestation } from "../actions/action.js";
import type { Change, JsonObject, Plan, PlanStep } from "../core/plan.js";
import type { ChangeStatus, StepStatus } from "../io/events.js";
import type { JournalState } from "../core/journal-records.js";
import type { Journal } from "./journal.js";
import { makeContext } from "./context.js";
import type { EngineDeps, RunState } from "./engine-deps.js";

export interface ApplyResult {
  status: "done" | "pending" | "failed";
  pending: { stepId: string; changeId: string; summary: string }[];
  failedSteps: string[];
  stepStatus: Map<string, StepStatus>;
}

export class Attempt {
  readonly done: Set<string>;
  readonly skipped: Map<string, string>;
  /** Changes whose intent has no outcome yet: on resume, those an earlier attempt started before it stopped. */
  readonly openIntents: Map<string, JsonObject>;
  /** Why an automated change is pending, shown when it finishes (a manual one's is said once at the end). */
  readonly pendingReasons = new Map<string, string>();
  readonly statusOf = new Map<string, ChangeStatus>();
  readonly result: ApplyResult = { status: "done", pending: [], failedSteps: [], stepStatus: new Map() };

  constructor(
    readonly plan: Plan,
    readonly deps: EngineDeps,
    readonly state: RunState,
    readonly journal: Journal,
    /** What an earlier attempt of the same run recorded (resume); undefined on a first run. */
    readonly journalState: JournalState | undefined,
    readonly inputs: Record<string, unknown>,
    readonly attestations: Record<string, Attestation>,
  ) {
    this.done = new Set<string>(journalState?.done.keys() ?? []);
    this.skipped = new Map<string, string>(journalState?.skipped ?? []);
    this.openIntents = new Map<string, JsonObject>(journalState?.openIntents ?? []);
    for (const id of this.done) this.statusOf.set(id, "done");
    for (const id of this.skipped.keys()) this.statusOf.set(id, "skipped");
    for (const [id, output] of journalState?.done ?? []) state.outputs.set(id, output);
  }

  /** A step's changes still to run: neither done nor skipped by this attempt or one before it. */
  remaining(step: PlanStep): Change[] {
    return step.changes.filter((c) => !this.done.has(c.id) && !this.skipped.has(c.id));
  }

  /** Whether an earlier attempt journaled a record of the step (its outcome is then not journaled again). */
  journaledStep(stepId: string): boolean {
    return this.journalState?.records.some((r) => r.t === "step" && r.stepId === stepId) ?? false;
  }

  /** The context a step's changes are applied (or re-verified) with. */
  context(step: PlanStep): ActionContext {
    return makeContext(this.deps, this.state, step, this.inputs, this.attestations, false);
  }
}

/** A change that took effect, however we learnt it (applied now, found by reconciliation, or in the journal). */
export function isDone(status: ChangeStatus | undefined): boolean {
  return status === "done" || status === "reconciled" || status === "already-done";
}
