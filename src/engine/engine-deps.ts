// What every phase of the engine (plan, apply, resume) is given: the dependencies its caller injects (only cli/
// builds the real ones) and the state a run carries from one change to the next.
import type { Action, Clock, DeliverySetup, PriorRuns, Registry, SinkWriter } from "../actions/action.js";
import type { Change, JsonObject } from "../core/plan.js";
import type { Gateway } from "../vonage/gateway.js";
import type { Prompter } from "../io/prompter.js";
import type { EventSink } from "../io/events.js";
import type { PlanStyle } from "../io/plan-marks.js";
import type { TaskUi } from "../io/task-ui.js";
import { InternalError } from "../core/errors.js";

export interface EngineDeps {
  registry: Registry;
  /** The gateway for apply; plan() always wraps it read-only. A dry run passes the dry-run gateway. */
  gateway: Gateway;
  prompter: Prompter | undefined;
  clock: Clock;
  events: EventSink;
  ui: TaskUi;
  signal: AbortSignal;
  sink: SinkWriter;
  runDir: string;
  runId: string;
  concurrency: number;
  /** Read from the journals in the out directory by the caller (actions never read journals). */
  priorRuns: PriorRuns;
  /** The resume command the run prints at its end, for actions whose messages name it. */
  resumeCommand?: string | undefined;
  /** How the confirm screens show their changes (colour, where the whole of a cut list is). */
  planStyle?: PlanStyle | undefined;
  /** The operator's name, when known before the run (manual steps then sign with it instead of asking). */
  operator?: string | undefined;
  /** Delivery targets and service checks (undefined: none configured). */
  delivery?: DeliverySetup | undefined;
  /** The API secret the process started with, for the proof that it is rejected after the rotation. */
  operatorSecret?: string | undefined;
}

/** The mutable state an engine carries through a run: current gateway and the outputs of done changes. */
export class RunState {
  gateway: Gateway;
  readonly outputs = new Map<string, JsonObject>();
  constructor(gateway: Gateway) {
    this.gateway = gateway;
  }
}

/** The action a change names (a journaled or saved plan can name one this build does not register). */
export function actionFor(registry: Registry, change: Change): Action {
  const action = registry.actions.get(change.action);
  if (!action) throw new InternalError(`action ${change.action} is not registered`);
  return action as Action;
}
