// `vonage-ir restore`: the plan that reverses an earlier run, built from the changes its journal records as done
// (read by the caller) and each action's own `undo`. Pure: no request, no file. The changes it can reverse become
// steps the engine applies like any run's; the rest is listed (a person's instruction, or why it stays).
import type { Action, PriorChange, PriorRun, Registry } from "../actions/action.js";
import type { JsonObject } from "../core/plan.js";
import { planChange } from "./plan.js";
import { PLAN_VERSION, type Plan, type PlanStep, type RestoreOf } from "../core/plan.js";

/** The runbook id a restore run's journal and plan carry. */
export const RESTORE_RUNBOOK_ID = "restore";

/** The descriptor a restore run is journaled with: what its runbook hash pins (the run it reverses). */
export function restoreDescriptor(runId: string): { file: string; text: string } {
  return {
    file: `restore:${runId}`,
    text: `vonage-ir restore of run ${runId}: reverse its reversible changes\n`,
  };
}

function asObject(value: unknown): JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
}

/** Each change once (a re-verified change is journaled done twice): its last done record. */
function lastOfEach(changes: readonly PriorChange[]): PriorChange[] {
  const byId = new Map<string, PriorChange>();
  for (const change of changes) {
    byId.delete(change.changeId);
    byId.set(change.changeId, change);
  }
  return [...byId.values()];
}

function undoStep(action: Action): PlanStep {
  return {
    id: `undo.${action.id}`,
    title: `Reverse: ${action.title}`,
    why: "restore reverses what the earlier run did that can be reversed; no credential is re-enabled",
    action: action.id,
    confirm: true,
    continueOnError: false,
    changes: [],
    notes: [],
  };
}

/** A step with nothing to apply that shows, in the plan, what restore leaves to a person or leaves as it is. */
function listingStep(id: string, title: string, notes: string[]): PlanStep {
  return { id, title, action: "manual", confirm: false, continueOnError: false, changes: [], notes };
}

/** Sorts the done changes of `prior` into the steps that reverse them, the manual instructions and the rest. */
export function sortUndo(prior: PriorRun, registry: Registry): { steps: PlanStep[]; restoreOf: RestoreOf } {
  const steps = new Map<string, PlanStep>();
  const restoreOf: RestoreOf = { runId: prior.runId, manual: [], irreversible: [] };
  for (const change of lastOfEach(prior.changes)) {
    const action = registry.actions.get(change.action) as Action | undefined;
    const undo = action?.undo?.(change, asObject(change.output));
    if (!action || !undo) continue;
    const summary = change.summary;
    if (undo.kind === "manual") {
      restoreOf.manual.push({ changeId: change.changeId, summary, instructions: undo.instructions });
    } else if (undo.kind === "irreversible") {
      restoreOf.irreversible.push({ changeId: change.changeId, summary, reason: undo.reason });
    } else {
      const step = steps.get(action.id) ?? undoStep(action);
      steps.set(action.id, step);
      step.changes.push(planChange(step.id, action.id, action, undo.draft));
    }
  }
  return { steps: [...steps.values()], restoreOf };
}

/** The whole plan of a restore run of `prior`; the hashes are those its journal header carries. */
export function planRestore(
  prior: PriorRun,
  registry: Registry,
  meta: { account: string; now: Date; runbookHash: string; configHash: string },
): Plan {
  const { steps, restoreOf } = sortUndo(prior, registry);
  const listings: PlanStep[] = [];
  if (restoreOf.manual.length > 0) {
    listings.push(
      listingStep(
        "restore.manual",
        "Not reversed by vonage-ir: a person may reverse these (no API)",
        restoreOf.manual.map((m) => m.instructions),
      ),
    );
  }
  if (restoreOf.irreversible.length > 0) {
    listings.push(
      listingStep(
        "restore.irreversible",
        "Not reversible: these stay as they are",
        restoreOf.irreversible.map((i) => i.reason),
      ),
    );
  }
  const descriptor = restoreDescriptor(prior.runId);
  return {
    version: PLAN_VERSION,
    runbook: {
      id: RESTORE_RUNBOOK_ID,
      title: `Restore: reverse run ${prior.runId}`,
      version: 1,
      file: descriptor.file,
      hash: meta.runbookHash,
    },
    configHash: meta.configHash,
    account: meta.account,
    createdAt: meta.now.toISOString(),
    inputs: {},
    steps: [...steps, ...listings],
    restoreOf,
  };
}
