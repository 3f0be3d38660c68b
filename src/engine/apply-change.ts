// One change of a step, through its phases in this order: precondition (re-checked against live state) → prepare
// (local work, sink writes) → intent (fsynced) → apply → done / pending / skipped. On resume, a change whose intent
// has no outcome is reconciled instead of the first two (reconcile.ts).
import type { Action, ActionContext, ApplyOutcome } from "../actions/action.js";
import type { Change, JsonObject } from "../core/plan.js";
import type { ChangeStatus } from "../io/events.js";
import { AbortError, DriftError, messageOf } from "../core/errors.js";
import { isDone, type Attempt } from "./attempt.js";
import { actionFor } from "./engine-deps.js";
import { reconcileStarted } from "./reconcile.js";

/** Applies one change of `ctx`'s step and journals its outcome; returns its status, or throws its failure. */
export async function applyChange(
  attempt: Attempt,
  ctx: ActionContext,
  change: Change,
): Promise<ChangeStatus> {
  const action = actionFor(attempt.deps.registry, change);
  if (await waitsForDependency(attempt, change)) return "pending";
  attempt.deps.events.emit({ kind: "change.started", changeId: change.id, summary: change.summary });
  let prepared = attempt.openIntents.get(change.id);
  let how: ChangeStatus = "done";
  if (prepared !== undefined) {
    const reconciled = await reconcileStarted(ctx, action, change, prepared);
    if (reconciled) {
      await recordOutcome(attempt, change, reconciled, "reconciled");
      return reconciled.status === "done" ? "reconciled" : reconciled.status;
    }
    how = "reconciled";
  } else {
    await checkPrecondition(ctx, action, change);
    prepared = await prepare(ctx, action, change);
  }
  await journalIntent(attempt, change, prepared);
  const outcome = await applyOnce(attempt, ctx, action, change, prepared);
  await recordOutcome(attempt, change, outcome, how);
  return outcome.status === "done" ? how : outcome.status;
}

/** A change one of whose dependencies did not take effect is journaled pending, and not started. */
async function waitsForDependency(attempt: Attempt, change: Change): Promise<boolean> {
  const blocked = (change.dependsOn ?? []).find((dep) => !isDone(attempt.statusOf.get(dep)));
  if (blocked === undefined) return false;
  const reason = `waiting for ${blocked} (${attempt.statusOf.get(blocked) ?? "not run"})`;
  await attempt.journal.append({ t: "pending", changeId: change.id, reason });
  return true;
}

/** Live state that no longer holds what the plan assumed refuses the change (exit 4) before anything is sent. */
async function checkPrecondition(ctx: ActionContext, action: Action, change: Change): Promise<void> {
  const drift = await action.checkPrecondition?.(ctx, change);
  if (drift !== undefined) {
    throw new DriftError(
      `refused: ${change.summary}: ${drift}`,
      "live state changed since the plan was made (is an attacker still active?): review it, then plan again",
    );
  }
}

/** The local work before the request (a secret or key pair in the sink); its redacted data goes in the intent. */
async function prepare(ctx: ActionContext, action: Action, change: Change): Promise<JsonObject> {
  return action.prepare ? await action.prepare(ctx, change) : {};
}

/** The intent is durable before the request it announces: a crash after it leaves the change for reconcile. */
async function journalIntent(attempt: Attempt, change: Change, prepared: JsonObject): Promise<void> {
  await attempt.journal.append(
    { t: "intent", changeId: change.id, summary: change.summary, data: prepared },
    true,
  );
  attempt.openIntents.set(change.id, prepared);
}

/** The action's apply; its failure is journaled (an abort as pending: the run resumes it) and thrown on. */
async function applyOnce(
  attempt: Attempt,
  ctx: ActionContext,
  action: Action,
  change: Change,
  prepared: JsonObject,
): Promise<ApplyOutcome> {
  try {
    return await action.apply(ctx, change, prepared);
  } catch (error) {
    await attempt.journal.append(
      error instanceof AbortError
        ? { t: "pending", changeId: change.id, reason: "interrupted by the operator" }
        : { t: "failed", changeId: change.id, error: messageOf(error) },
    );
    throw error;
  }
}

/** Journals an outcome (`how` the change was done: applied, or reconciled) and keeps a done change's output. */
async function recordOutcome(
  attempt: Attempt,
  change: Change,
  outcome: ApplyOutcome,
  how: string,
): Promise<void> {
  attempt.openIntents.delete(change.id);
  if (outcome.status === "done") {
    await attempt.journal.append({
      t: "done",
      changeId: change.id,
      output: outcome.output,
      note: outcome.note,
      how,
    });
    attempt.state.outputs.set(change.id, outcome.output ?? {});
    attempt.done.add(change.id);
  } else if (outcome.status === "pending") {
    await attempt.journal.append({ t: "pending", changeId: change.id, reason: outcome.reason });
    // A manual step's reason is the attest how-to, said once at the end; an automated one's is shown with it.
    if (change.kind !== "manual") attempt.pendingReasons.set(change.id, outcome.reason);
  } else {
    await attempt.journal.append({ t: "skipped", changeId: change.id, reason: outcome.reason });
    attempt.skipped.set(change.id, outcome.reason);
  }
}

/** Marks a change finished (whatever its status) and says so. */
export function finishChange(attempt: Attempt, change: Change, status: ChangeStatus, detail?: string): void {
  attempt.statusOf.set(change.id, status);
  attempt.deps.events.emit({
    kind: "change.finished",
    changeId: change.id,
    summary: change.summary,
    status,
    detail: detail ?? (status === "pending" ? attempt.pendingReasons.get(change.id) : undefined),
  });
}
