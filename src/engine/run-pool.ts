// A step's automated changes run concurrently, at most `concurrency` at a time, each after the changes it
// depends on; the first failure or an abort stops new launches.
import type { Change } from "../core/plan.js";
import type { ChangeStatus } from "../io/events.js";
import { InternalError, messageOf } from "../core/errors.js";
import { abortError, inChange } from "./apply-errors.js";
import type { EngineDeps } from "./engine-deps.js";

/**
 * Runs a step's automated changes: independent ones concurrently (bounded), each after the changes it
 * depends on. Stops launching on the first failure or on abort, waits for those in flight, returns the error.
 */
export async function runPool(
  changes: Change[],
  deps: EngineDeps,
  runOne: (change: Change) => Promise<ChangeStatus>,
  finish: (change: Change, status: ChangeStatus, detail?: string) => void,
  progress: (done: number, total: number) => void,
): Promise<unknown> {
  const inBatch = new Set(changes.map((c) => c.id));
  const settled = new Set<string>();
  const waiting = [...changes];
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  let completed = 0;
  const ready = (change: Change) =>
    (change.dependsOn ?? []).every((dep) => !inBatch.has(dep) || settled.has(dep));
  if (changes.length > 1) progress(0, changes.length);

  while (waiting.length > 0 || running.size > 0) {
    while (failure === undefined && !deps.signal.aborted && running.size < deps.concurrency) {
      const index = waiting.findIndex(ready);
      if (index < 0) break;
      const [change] = waiting.splice(index, 1);
      if (!change) break;
      const task = runOne(change)
        .then(
          (status) => finish(change, status),
          (error: unknown) => {
            finish(change, "failed", messageOf(error));
            failure ??= inChange(error, change);
          },
        )
        .finally(() => {
          settled.add(change.id);
          running.delete(change.id);
          completed++;
          progress(completed, changes.length);
        });
      running.set(change.id, task);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure === undefined && deps.signal.aborted && waiting.length > 0) return abortError(deps.runId);
  if (failure === undefined && waiting.length > 0) {
    return new InternalError(`changes wait on each other: ${waiting.map((c) => c.id).join(", ")}`);
  }
  return failure;
}
