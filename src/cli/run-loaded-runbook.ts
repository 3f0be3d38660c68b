// The last stretch `run` and `apply` share once the runbook and config are loaded: the inputs still missing (asked,
// or refused when scripted), the gateway, and the run itself with the flags both take (--operator, --notify-url,
// --full, --break-lock, --concurrency).
import type { Registry } from "../actions/action.js";
import { REDACTED } from "../core/redact.js";
import { givenActor } from "./actor.js";
import type { Values } from "./command.js";
import { executeRun } from "./execute-run.js";
import { type RunRequest } from "./run-context.js";
import type { CliIo, Mode } from "./io.js";
import { notifyTargetOf } from "./run-notifications.js";
import type { Credentials } from "../vonage/gateway.js";
import { prepareExecution, type Loaded } from "./session.js";

/** What both commands pass alike. */
export interface LoadedCommand {
  values: Values;
  io: CliIo;
  mode: Mode;
  registry: Registry;
  loaded: Loaded;
  credentials: Credentials;
  out: string;
}

/** What differs: where the plan comes from (a new plan, a resumed run, a saved plan) and a dry run. */
export type RunSource = Pick<
  RunRequest,
  "dryRun" | "resume" | "acceptedBrokenJournal" | "savedPlan" | "savedPlanSha256" | "savedPlanTrusted"
>;

/**
 * Asks for the missing inputs, builds the gateway and executes the run. `resumeHint` is what a prompt interrupted
 * before the run has a journal tells the operator.
 */
export async function runLoadedRunbook(
  command: LoadedCommand,
  resumeHint: () => string,
  source: RunSource,
): Promise<number> {
  const { values, io, mode, registry, loaded, credentials, out } = command;
  const { prompter, inputs, concurrency, gateway, waits } = await prepareExecution(
    values,
    io,
    mode,
    loaded,
    credentials,
    resumeHint,
  );
  return executeRun({
    io,
    mode,
    registry,
    loaded,
    inputs,
    attestations: loaded.config.attest,
    gateway,
    operatorSecret: credentials.apiSecret,
    rateLimitWaits: waits,
    prompter,
    actor: givenActor(values, io),
    notify: notifyTargetOf(values, io, loaded.config),
    out,
    concurrency,
    full: Boolean(values.full),
    breakLock: Boolean(values["break-lock"]),
    ...source,
  });
}

/**
 * Inputs answered at a prompt when the plan was made (a resumed run's journaled plan, a saved plan) are in that
 * plan, not in the config: they are used again, so nothing is asked twice nor re-planned with another answer.
 */
export function reuseRecordedInputs(loaded: Loaded, recorded: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(recorded)) {
    if (name in loaded.loaded.runbook.inputs && !(name in loaded.config.values) && value !== REDACTED)
      loaded.config.values[name] = value;
  }
}
