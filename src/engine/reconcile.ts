// Resume's reconcile: a change whose intent has no done was started before an interruption (a crash, a kill) and
// may or may not have taken effect. Before anything is sent again, its action looks for the effect in live state.
import type { Action, ActionContext, ApplyOutcome } from "../actions/action.js";
import type { Change, JsonObject } from "../core/plan.js";
import { StepFailedError } from "../core/errors.js";

/**
 * What live state says of a started change: the outcome its action's reconcile found (the change is then settled
 * without a request), or undefined when it is to be applied again with the intent's data. A change whose action
 * cannot reconcile is applied again only if it is idempotent; any other is a failure for a person to check.
 */
export async function reconcileStarted(
  ctx: ActionContext,
  action: Action,
  change: Change,
  prepared: JsonObject,
): Promise<ApplyOutcome | undefined> {
  if (action.reconcile) return action.reconcile(ctx, change, prepared);
  if (!change.idempotent) {
    throw new StepFailedError(
      ctx.step.id,
      change.id,
      new Error("it was started before an interruption and cannot be reconciled automatically"),
      "check the account in the dashboard, then record the outcome in a new run",
    );
  }
  return undefined;
}
