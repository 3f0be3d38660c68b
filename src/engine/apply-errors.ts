// The errors apply stops with, besides those actions throw: a change's failure naming the change, and the
// operator's abort between changes (the journal is consistent, the run resumes).
import type { Change } from "../core/plan.js";
import { AbortError, DriftError, StepFailedError } from "../core/errors.js";

/** A change's failure, naming the change; refusals and aborts keep their own type (and exit code). */
export function inChange(error: unknown, change: Change): unknown {
  if (error instanceof AbortError || error instanceof DriftError || error instanceof StepFailedError)
    return error;
  return new StepFailedError(change.stepId, change.id, error);
}

export function abortError(runId: string): AbortError {
  return new AbortError(
    "aborted by the operator: the change in flight was completed and the journal is consistent",
    `resume with: vonage-ir run --resume ${runId}`,
  );
}
