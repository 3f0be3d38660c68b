// The end of every attempt (a first run or a resume): each done change whose action can re-read its end state
// does so, so that a run is "done" only while what it did still holds.
import { isDone, type Attempt } from "./attempt.js";
import { inChange } from "./apply-errors.js";
import { actionFor } from "./engine-deps.js";

/**
 * What no longer holds is journaled as pending on that change and listed as pending, so the run is not "done";
 * a later attempt that finds it holding again records the change as done (re-verified).
 */
export async function reverifyDone(attempt: Attempt): Promise<void> {
  const { deps, state, journal, journalState, statusOf, result } = attempt;
  for (const step of attempt.plan.steps) {
    for (const change of step.changes) {
      const action = actionFor(deps.registry, change);
      if (!action.reverify || !isDone(statusOf.get(change.id))) continue;
      const output = state.outputs.get(change.id) ?? {};
      const ctx = attempt.context(step);
      let problem: string | undefined;
      try {
        problem = await action.reverify(ctx, change, output);
      } catch (error) {
        throw inChange(error, change);
      }
      if (problem !== undefined) {
        await journal.append({ t: "pending", changeId: change.id, reason: problem });
        deps.events.emit({ kind: "warning", message: `${change.summary}: ${problem}` });
        result.pending.push({
          stepId: step.id,
          changeId: change.id,
          summary: `${change.summary}: ${problem}`,
        });
      } else if (journalState?.pending.has(change.id) && journalState.done.has(change.id)) {
        await journal.append({
          t: "done",
          changeId: change.id,
          output,
          note: "re-verified: holds again",
          how: "reverified",
        });
      }
    }
  }
}
