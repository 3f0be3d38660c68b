// What a resume does before it applies anything: the process state that done changes set up is re-established,
// and the steps no record mentions are found (they are re-planned against live state).
import type { Attestation } from "../actions/action.js";
import type { JournalState } from "../core/journal-records.js";
import type { Plan } from "../core/plan.js";
import { makeContext } from "./context.js";
import { actionFor, type EngineDeps, type RunState } from "./engine-deps.js";

/**
 * On resume: load the outputs of done changes and re-establish what they set up in the process (e.g. the
 * client switching to the new secret) before any API call, including the re-planning of unstarted steps.
 */
export async function restore(
  thePlan: Plan,
  journalState: JournalState,
  deps: EngineDeps,
  state: RunState,
  inputs: Record<string, unknown>,
  attestations: Record<string, Attestation>,
): Promise<void> {
  for (const [id, output] of journalState.done) state.outputs.set(id, output);
  for (const step of thePlan.steps) {
    for (const change of step.changes) {
      const output = state.outputs.get(change.id);
      const action = actionFor(deps.registry, change);
      if (output && action.restore) {
        await action.restore(makeContext(deps, state, step, inputs, attestations, false), change, output);
      }
    }
  }
}

/** Steps of a journaled plan that no record mentions: a resume re-plans them against live state. */
export function unstartedSteps(thePlan: Plan, journalState: JournalState): Set<string> {
  const touched = new Set<string>();
  for (const record of journalState.records) {
    if (record.t === "step") touched.add(record.stepId);
    if ("changeId" in record && typeof record.changeId === "string")
      touched.add(record.changeId.split(":")[0] ?? "");
  }
  return new Set(thePlan.steps.map((s) => s.id).filter((id) => !touched.has(id)));
}
