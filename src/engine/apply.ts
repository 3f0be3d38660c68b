// apply() executes a plan step by step, change by change: precondition → prepare (sink writes) → intent (fsynced)
// → apply → done/failed/pending (apply-change.ts). Resume never repeats a done change and reconciles a started one
// against live state first (reconcile.ts); every attempt ends by re-verifying what it did (reverify.ts).
import type { ActionContext, Attestation } from "../actions/action.js";
import type { Change, Plan, PlanStep } from "../core/plan.js";
import { formatChangeList, type ChangeStatus, type StepStatus } from "../io/events.js";
import { isDestructive } from "../io/plan-marks.js";
import type { Prompter } from "../io/prompter.js";
import { AbortError, DriftError, StepFailedError, messageOf } from "../core/errors.js";
import type { Journal } from "./journal.js";
import type { JournalState } from "../core/journal-records.js";
import type { EngineDeps, RunState } from "./engine-deps.js";
import { Attempt, type ApplyResult } from "./attempt.js";
import { applyChange, finishChange } from "./apply-change.js";
import { abortError, inChange } from "./apply-errors.js";
import { reverifyDone } from "./reverify.js";
import { runPool } from "./run-pool.js";

/**
 * Applies a plan. `journalState` carries what an earlier attempt of the same run recorded (resume); the
 * journal receives every record of this attempt.
 */
export async function apply(
  thePlan: Plan,
  deps: EngineDeps,
  state: RunState,
  journal: Journal,
  journalState: JournalState | undefined,
  inputs: Record<string, unknown>,
  attestations: Record<string, Attestation>,
): Promise<ApplyResult> {
  const attempt = new Attempt(thePlan, deps, state, journal, journalState, inputs, attestations);
  warmUp(attempt);
  for (const step of thePlan.steps) await applyStep(attempt, step);
  await reverifyDone(attempt);
  listPending(attempt);
  const { result } = attempt;
  result.status = result.failedSteps.length > 0 ? "failed" : result.pending.length > 0 ? "pending" : "done";
  return result;
}

/** Local work a later step needs (key pairs) starts now, so it overlaps the steps before it. */
function warmUp(attempt: Attempt): void {
  for (const step of attempt.plan.steps) {
    if (step.skipped) continue;
    const remaining = attempt.remaining(step);
    const first = remaining[0];
    // An unregistered action fails where its step runs, not here.
    if (first !== undefined) attempt.deps.registry.actions.get(first.action)?.warmUp?.(remaining);
  }
}

/** One step: its remaining changes, after the operator's confirmation when the step asks for it. */
async function applyStep(attempt: Attempt, step: PlanStep): Promise<void> {
  if (step.skipped) return journalSkippedStep(attempt, step, step.skipped);
  const remaining = attempt.remaining(step);
  if (remaining.length === 0) return settledStep(attempt, step);
  const { deps, journal } = attempt;
  if (deps.signal.aborted) throw abortError(deps.runId);
  let started = deps.clock.now().getTime();
  deps.events.emit({ kind: "step.started", stepId: step.id, title: step.title, why: step.why });
  await journal.append({ t: "step", stepId: step.id, status: "started" });
  const ctx = attempt.context(step);
  if (step.confirm && deps.prompter && remaining.some((c) => c.kind !== "manual")) {
    if (!(await confirmStep(attempt, step, remaining, deps.prompter, started))) return;
    started = deps.clock.now().getTime();
  }
  const failure = await runChanges(attempt, step, ctx, remaining);
  await finishStep(attempt, step, failure, started);
}

/** A step the plan skips (its `when` is false): journaled once, shown on every attempt. */
async function journalSkippedStep(attempt: Attempt, step: PlanStep, reason: string): Promise<void> {
  if (!attempt.journaledStep(step.id)) {
    await attempt.journal.append({ t: "step", stepId: step.id, status: "skipped", reason });
  }
  attempt.deps.events.emit({
    kind: "step.finished",
    stepId: step.id,
    status: "skipped",
    durationMs: 0,
    reason,
  });
  attempt.result.stepStatus.set(step.id, "skipped");
}

/** A step with nothing left to run: done or skipped by an earlier attempt, or with no change at all. */
async function settledStep(attempt: Attempt, step: PlanStep): Promise<void> {
  const status: StepStatus =
    step.changes.length > 0 && step.changes.every((c) => attempt.skipped.has(c.id)) ? "skipped" : "done";
  attempt.result.stepStatus.set(step.id, status);
  if (step.changes.length > 0) return;
  // Nothing to change (e.g. no unknown subaccount): still a step of the run, shown in the summary, and
  // journaled so that a resume does not plan (and ask about) it again.
  if (!attempt.journaledStep(step.id)) {
    await attempt.journal.append({ t: "step", stepId: step.id, status, reason: "nothing to change" });
  }
  attempt.deps.events.emit({
    kind: "step.finished",
    stepId: step.id,
    status,
    durationMs: 0,
    reason: "nothing to change",
  });
}

/** Asks before a step that wants confirmation; declined, its changes and the step are journaled skipped. */
async function confirmStep(
  attempt: Attempt,
  step: PlanStep,
  remaining: Change[],
  prompter: Prompter,
  started: number,
): Promise<boolean> {
  const { deps, journal } = attempt;
  prompter.say(formatChangeList(remaining, deps.planStyle).join("\n"), { painted: true });
  // Enter alone never revokes, deletes or suspends, nor kills a credential (a key replaced in place): that
  // takes a typed yes.
  const go = await prompter.confirm({
    message: `Apply ${remaining.length} change(s) of "${step.title}"?`,
    default: !remaining.some((c) => isDestructive(c.kind) || c.killsCredential !== undefined),
  });
  if (go) {
    await journal.append({ t: "confirm", stepId: step.id, changes: remaining.length });
    return true;
  }
  for (const change of remaining) {
    await journal.append({ t: "skipped", changeId: change.id, reason: "declined by the operator" });
    attempt.skipped.set(change.id, "declined by the operator");
    attempt.statusOf.set(change.id, "skipped");
  }
  await journal.append({
    t: "step",
    stepId: step.id,
    status: "skipped",
    reason: "declined by the operator",
  });
  deps.events.emit({
    kind: "step.finished",
    stepId: step.id,
    status: "skipped",
    durationMs: deps.clock.now().getTime() - started,
    reason: "declined by the operator",
  });
  attempt.result.stepStatus.set(step.id, "skipped");
  return false;
}

/**
 * Runs a step's remaining changes in order: consecutive automated ones together (runPool, under one task of the
 * progress display), each manual or asking one alone. Stops at the first failure, which it returns.
 */
async function runChanges(
  attempt: Attempt,
  step: PlanStep,
  ctx: ActionContext,
  remaining: Change[],
): Promise<unknown> {
  const { deps } = attempt;
  const runOne = (change: Change) => applyChange(attempt, ctx, change);
  const finish = (change: Change, status: ChangeStatus, detail?: string) =>
    finishChange(attempt, change, status, detail);
  let failure: unknown;
  const automated: Change[] = [];
  const flushAutomated = async () => {
    if (automated.length === 0 || failure !== undefined) return;
    const batch = automated.splice(0);
    try {
      await deps.ui.task(step.title, async () => {
        failure = await runPool(batch, deps, runOne, finish, (done, total) =>
          ctx.progress(done, total, "changes"),
        );
        // Fail the task, so the progress display marks the step failed instead of done.
        if (failure !== undefined) throw failure;
      });
    } catch (error) {
      if (failure === undefined) throw error;
    }
  };
  for (const change of remaining) {
    if (failure !== undefined) break;
    if (change.kind !== "manual" && change.asks !== true) {
      automated.push(change);
      continue;
    }
    await flushAutomated();
    if (failure !== undefined) break;
    if (deps.signal.aborted) throw abortError(deps.runId);
    try {
      finish(change, await runOne(change));
    } catch (error) {
      finish(change, error instanceof AbortError ? "pending" : "failed", messageOf(error));
      failure = inChange(error, change);
    }
  }
  await flushAutomated();
  return failure;
}

/**
 * Journals and shows a step's status from its changes'; a failure stops the run unless the step continues on
 * error (an abort or a refusal always stops it).
 */
async function finishStep(
  attempt: Attempt,
  step: PlanStep,
  failure: unknown,
  started: number,
): Promise<void> {
  const { deps, journal, statusOf, done, result } = attempt;
  const statuses = step.changes.map((c) => statusOf.get(c.id) ?? (done.has(c.id) ? "done" : "pending"));
  const stepStatus: StepStatus =
    failure instanceof AbortError
      ? "pending"
      : failure !== undefined
        ? "failed"
        : statuses.includes("pending")
          ? "pending"
          : statuses.every((s) => s === "skipped")
            ? "skipped"
            : "done";
  await journal.append({
    t: "step",
    stepId: step.id,
    status: stepStatus,
    ...(failure !== undefined ? { reason: messageOf(failure) } : {}),
  });
  deps.events.emit({
    kind: "step.finished",
    stepId: step.id,
    status: stepStatus,
    durationMs: deps.clock.now().getTime() - started,
    reason: failure !== undefined ? messageOf(failure) : undefined,
  });
  result.stepStatus.set(step.id, stepStatus);
  if (failure !== undefined) {
    if (failure instanceof AbortError || failure instanceof DriftError) throw failure;
    if (!step.continueOnError) {
      throw failure instanceof StepFailedError ? failure : new StepFailedError(step.id, undefined, failure);
    }
    result.failedSteps.push(step.id);
  }
}

/** Every change neither done nor skipped (nor in a skipped step) is pending: the run is not done. */
function listPending(attempt: Attempt): void {
  const { statusOf, done, skipped, result } = attempt;
  for (const step of attempt.plan.steps) {
    for (const change of step.changes) {
      const status = statusOf.get(change.id) ?? (done.has(change.id) ? "done" : undefined);
      if (status === "pending" || (status === undefined && !step.skipped && !skipped.has(change.id))) {
        result.pending.push({ stepId: step.id, changeId: change.id, summary: change.summary });
      }
    }
  }
}
