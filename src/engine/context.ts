// The ActionContext an action plans and applies with: a read-only gateway and a sink that refuses while planning;
// while applying, the run's gateway (which switches to a new secret when an action says so) and a sink whose
// values are registered for redaction. Progress is throttled and shown with its rate and ETA.
import { join } from "node:path";
import type { ActionContext, Attestation, SinkWriter } from "../actions/action.js";
import { createReadOnlyGateway } from "../vonage/dry-run-gateway.js";
import { registerSecret } from "../core/redact.js";
import { InternalError } from "../core/errors.js";
import { readJournal } from "./journal.js";
import type { EngineDeps, RunState } from "./engine-deps.js";

function wrapSink(sink: SinkWriter): SinkWriter {
  return {
    dir: sink.dir,
    async write(name, value) {
      registerSecret(value);
      return sink.write(name, value);
    },
    async read(name) {
      const value = await sink.read(name);
      registerSecret(value);
      return value;
    },
    exists: (name) => sink.exists(name),
    rename: (from, to) => sink.rename(from, to),
  };
}

const planningSink: SinkWriter = {
  dir: "",
  write: async () => {
    throw new InternalError("an action tried to write to the secret sink while planning");
  },
  read: async () => {
    throw new InternalError("an action tried to read the secret sink while planning");
  },
  exists: async () => false,
  rename: async () => {
    throw new InternalError("an action tried to rename in the secret sink while planning");
  },
};

/** The context one step's action runs with; `planning` gives it reads only and no sink. */
export function makeContext(
  deps: EngineDeps,
  state: RunState,
  step: { id: string; title: string },
  inputs: Record<string, unknown>,
  attestations: Record<string, Attestation>,
  planning: boolean,
): ActionContext {
  const readOnly = planning ? createReadOnlyGateway(state.gateway) : undefined;
  const sink = planning ? planningSink : wrapSink(deps.sink);
  let lastProgress = 0;
  const started = deps.clock.now().getTime();
  return {
    get gateway() {
      return readOnly ?? state.gateway;
    },
    prompter: deps.prompter,
    inputs,
    attestations,
    sink,
    runDir: deps.runDir,
    runId: deps.runId,
    clock: deps.clock,
    signal: deps.signal,
    step,
    outputs: state.outputs,
    priorRuns: deps.priorRuns,
    resumeCommand: deps.resumeCommand,
    operator: deps.operator,
    emit: (event) => deps.events.emit(event),
    progress: (done, total, label) => {
      const now = deps.clock.now().getTime();
      if (now - lastProgress < 250 && done !== total) return;
      lastProgress = now;
      const elapsed = (now - started) / 1000;
      const rate = elapsed > 0 ? done / elapsed : undefined;
      const eta = rate && total !== undefined && rate > 0 ? (total - done) / rate : undefined;
      deps.ui.progress(
        `${label ?? "progress"}: ${done}${total === undefined ? "" : `/${total}`}${
          rate === undefined || done === 0 ? "" : ` · ${rate.toFixed(1)}/s`
        }${eta === undefined || done === total ? "" : ` · ETA ${formatEta(eta)}`}`,
      );
      deps.events.emit({
        kind: "progress",
        stepId: step.id,
        done,
        total,
        ratePerSecond: rate,
        etaSeconds: eta,
        label,
      });
    },
    usePrimarySecret: (secret) => {
      registerSecret(secret);
      state.gateway = state.gateway.withSecret(secret);
    },
    registerSecret,
    delivery: deps.delivery,
    operatorSecret: deps.operatorSecret,
    journal: { read: () => readJournal(join(deps.runDir, "journal.jsonl")) },
  };
}

/** "42s", "3m05s": short enough for a task line. */
function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
