// plan() reads live state through a read-only gateway and returns a serialisable Plan; apply() executes it
// change by change: precondition → prepare (sink writes) → intent (fsynced) → apply → done/failed/pending.
// Resume never repeats a done change and reconciles a started one against live state first.
import { join } from "node:path";
import type {
  Action,
  ActionContext,
  ApplyOutcome,
  Attestation,
  Clock,
  DeliverySetup,
  PriorRuns,
  Registry,
  SinkWriter,
} from "../actions/action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import type { Gateway } from "../vonage/gateway.js";
import { createReadOnlyGateway } from "../vonage/dry-run-gateway.js";
import type { Prompter } from "../io/prompter.js";
import { formatChangeList, type ChangeStatus, type EventSink, type StepStatus } from "../io/events.js";
import { isDestructive, type PlanStyle } from "../io/plan-marks.js";
import { RecordingPrompter } from "../io/recording-prompter.js";
import { foreignText } from "../core/foreign-text.js";
import { redact, registerSecret } from "../core/redact.js";
import type { TaskUi } from "../io/task-ui.js";
import type { LoadedRunbook } from "../runbook/load-runbook.js";
import { describeWhen, evaluateWhen } from "../runbook/rules.js";
import { resolveWith, interpolate } from "../runbook/templates.js";
import { zodIssues } from "../runbook/yaml-source.js";
import {
  AbortError,
  DriftError,
  InternalError,
  StepFailedError,
  ValidationError,
  messageOf,
} from "../core/errors.js";
import { readJournal, type Journal } from "./journal.js";
import type { JournalState } from "../core/journal-records.js";
import { PLAN_VERSION, type Plan, type PlanStep } from "../core/plan.js";

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

export interface PlanInput {
  loaded: LoadedRunbook;
  runbookHash: string;
  configHash: string;
  inputs: Record<string, unknown>;
  attestations: Record<string, Attestation>;
}

/** The mutable state an engine carries through a run: current gateway and the outputs of done changes. */
export class RunState {
  gateway: Gateway;
  readonly outputs = new Map<string, JsonObject>();
  constructor(gateway: Gateway) {
    this.gateway = gateway;
  }
}

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

function makeContext(
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

/** Summaries, notes and warnings name things from the account (applications, subaccounts, webhooks): one line. */
const MAX_SUMMARY = 1000;

/** describe() says what; the mark of the change's kind (io/plan-marks.ts) is added where it is shown. */
function describeChange(action: Action, draft: Parameters<Action["describe"]>[0]): string {
  return foreignText(action.describe(draft), MAX_SUMMARY);
}

/**
 * Plans the runbook's steps (or those in `only`). Plans only read, so without a prompter they run concurrently:
 * a step whose action is `planAlone` (the credentials check) first and alone, then every step up to the next
 * such step at once. With a prompter they run one after the other, in the runbook's order: a plan may ask the
 * operator (which secret to revoke, which subaccounts to suspend), and two questions must never share the
 * terminal. The result keeps the runbook's order; when several plans fail, the first failing step's error is
 * thrown.
 */
export async function planSteps(
  input: PlanInput,
  deps: EngineDeps,
  state: RunState,
  only?: ReadonlySet<string>,
): Promise<PlanStep[]> {
  const { runbook } = input.loaded;
  // A param the config gives that an action refuses is known before any request: report it first, as validate does.
  checkStepParams(input.loaded, deps.registry, input.inputs, only);
  const steps: PlanStep[] = [];
  let batch: Promise<PlanStep>[] = [];
  const settle = async () => {
    const results = await Promise.allSettled(batch);
    batch = [];
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
      steps.push(result.value);
    }
  };
  for (const [index, step] of runbook.steps.entries()) {
    if (only && !only.has(step.id)) continue;
    const actionId = step.action ?? "manual";
    const action = deps.registry.actions.get(actionId);
    if (!action) throw new InternalError(`action ${actionId} is not registered`);
    if (deps.signal.aborted) throw planningAborted();
    if (action.planAlone || deps.prompter !== undefined) {
      await settle();
      batch.push(planStep(input, deps, state, index, actionId, action));
      await settle();
    } else {
      batch.push(planStep(input, deps, state, index, actionId, action));
    }
  }
  await settle();
  // A signal while the last reads were in flight: stop here, before anything is written.
  if (deps.signal.aborted) throw planningAborted();
  return steps;
}

function planningAborted(): AbortError {
  return new AbortError(
    "aborted by the operator while planning: nothing was changed",
    "run the same command again when ready",
  );
}

/**
 * A step's params from the inputs, parsed by its action: a value the config (or an input default) gives that the
 * action refuses is a positioned error. `validate` calls this too, so it refuses what planning would.
 */
export function stepParams(
  loaded: LoadedRunbook,
  index: number,
  action: Action,
  inputs: Readonly<Record<string, unknown>>,
): unknown {
  const step = loaded.runbook.steps[index]!;
  const rawParams = step.manual
    ? {
        title: step.title,
        instructions: interpolate(step.manual.instructions, inputs),
        evidence: step.manual.evidence,
        verify: step.manual.verify,
      }
    : resolveWith(step.with ?? {}, inputs);
  const parsed = action.params.safeParse(rawParams);
  if (!parsed.success) {
    throw new ValidationError(
      zodIssues(loaded.source, parsed.error.issues, ["steps", index, step.manual ? "manual" : "with"]),
      "a value comes from the config file or an input default: fix it there",
    );
  }
  return parsed.data;
}

/** What can be checked of a plan without an account: every step's params, as planning parses them. */
export function checkStepParams(
  loaded: LoadedRunbook,
  registry: Registry,
  inputs: Readonly<Record<string, unknown>>,
  only?: ReadonlySet<string>,
): void {
  for (const [index, step] of loaded.runbook.steps.entries()) {
    if (only && !only.has(step.id)) continue;
    if (step.when && !evaluateWhen(step.when, inputs)) continue;
    const action = registry.actions.get(step.action ?? "manual");
    if (action) stepParams(loaded, index, action, inputs);
  }
}

async function planStep(
  input: PlanInput,
  deps: EngineDeps,
  state: RunState,
  index: number,
  actionId: string,
  action: Action,
): Promise<PlanStep> {
  const { runbook } = input.loaded;
  const step = runbook.steps[index]!;
  const base: PlanStep = {
    id: step.id,
    title: step.title,
    why: step.why,
    action: actionId,
    confirm: step.confirm,
    continueOnError: step.continueOnError,
    changes: [],
    notes: [],
  };
  if (step.when && !evaluateWhen(step.when, input.inputs)) {
    return { ...base, skipped: `when ${describeWhen(step.when)} is false` };
  }
  const params = stepParams(input.loaded, index, action, input.inputs);
  // The answers are saved with the plan: `apply` replays them when it checks the plan against live state.
  const recorder = deps.prompter ? new RecordingPrompter(deps.prompter) : undefined;
  const ctx = makeContext(
    { ...deps, prompter: recorder },
    state,
    step,
    input.inputs,
    input.attestations,
    true,
  );
  const result = await (action as Action).plan(ctx, params);
  base.notes = (result.notes ?? []).map((note) => foreignText(note, MAX_SUMMARY));
  if (result.attention && result.attention.length > 0) {
    base.attention = redact(result.attention.map((line) => foreignText(line, MAX_SUMMARY)));
  }
  if (recorder) base.decisions = redact(recorder.decisions);
  base.changes = result.changes.map((draft) => planChange(step.id, actionId, action, draft));
  return base;
}

/** A draft as a plan holds it: its id prefixed with the step's, described once, foreign text bounded, redacted. */
export function planChange(stepId: string, actionId: string, action: Action, draft: ChangeDraft): Change {
  const change: Change = {
    ...draft,
    id: `${stepId}:${draft.id}`,
    stepId,
    action: actionId,
    summary: describeChange(action, draft),
    ...(draft.warnings ? { warnings: draft.warnings.map((w) => foreignText(w, MAX_SUMMARY)) } : {}),
    ...(draft.killsCredential !== undefined
      ? { killsCredential: foreignText(draft.killsCredential, MAX_SUMMARY) }
      : {}),
    dependsOn: draft.dependsOn,
  };
  return redact(change);
}

export async function plan(input: PlanInput, deps: EngineDeps, state: RunState): Promise<Plan> {
  const { runbook, source } = input.loaded;
  return {
    version: PLAN_VERSION,
    runbook: {
      id: runbook.id,
      title: runbook.title,
      version: runbook.version,
      file: source.file,
      hash: input.runbookHash,
    },
    configHash: input.configHash,
    account: deps.gateway.apiKey,
    createdAt: deps.clock.now().toISOString(),
    inputs: redact(input.inputs),
    steps: await planSteps(input, deps, state),
  };
}

/** A change's failure, naming the change; refusals and aborts keep their own type (and exit code). */
function inChange(error: unknown, change: Change): unknown {
  if (error instanceof AbortError || error instanceof DriftError || error instanceof StepFailedError)
    return error;
  return new StepFailedError(change.stepId, change.id, error);
}

/** A change that took effect, however we learnt it (applied now, found by reconciliation, or in the journal). */
function isDone(status: ChangeStatus | undefined): boolean {
  return status === "done" || status === "reconciled" || status === "already-done";
}

function actionFor(registry: Registry, change: Change): Action {
  const action = registry.actions.get(change.action);
  if (!action) throw new InternalError(`action ${change.action} is not registered`);
  return action as Action;
}

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

export interface ApplyResult {
  status: "done" | "pending" | "failed";
  pending: { stepId: string; changeId: string; summary: string }[];
  failedSteps: string[];
  stepStatus: Map<string, StepStatus>;
}

/**
 * Applies a plan. `journalState` carries what an earlier attempt of the same run recorded (resume); the
 * journal receives every record of this attempt.
 */
export async function apply(
  thePlan: Plan,
  deps: EngineDeps,
  state: RunState,
  journal: Journal,
  journalState: JournalState | undefined,
  inputs: Record<string, unknown>,
  attestations: Record<string, Attestation>,
): Promise<ApplyResult> {
  const done = new Set<string>(journalState?.done.keys() ?? []);
  const skipped = new Map<string, string>(journalState?.skipped ?? []);
  const openIntents = new Map<string, JsonObject>(journalState?.openIntents ?? []);
  const pendingReasons = new Map<string, string>();
  const statusOf = new Map<string, ChangeStatus>();
  for (const id of done) statusOf.set(id, "done");
  for (const id of skipped.keys()) statusOf.set(id, "skipped");
  for (const [id, output] of journalState?.done ?? []) state.outputs.set(id, output);

  const actionOf = (change: Change) => actionFor(deps.registry, change);

  const result: ApplyResult = { status: "done", pending: [], failedSteps: [], stepStatus: new Map() };

  // Local work a later step needs (key pairs) starts now, so it overlaps the steps before it.
  for (const step of thePlan.steps) {
    if (step.skipped) continue;
    const remaining = step.changes.filter((c) => !done.has(c.id) && !skipped.has(c.id));
    const first = remaining[0];
    // An unregistered action fails where its step runs, not here.
    if (first !== undefined) deps.registry.actions.get(first.action)?.warmUp?.(remaining);
  }

  for (const step of thePlan.steps) {
    if (step.skipped) {
      if (!journalState?.records.some((r) => r.t === "step" && r.stepId === step.id)) {
        await journal.append({ t: "step", stepId: step.id, status: "skipped", reason: step.skipped });
      }
      deps.events.emit({
        kind: "step.finished",
        stepId: step.id,
        status: "skipped",
        durationMs: 0,
        reason: step.skipped,
      });
      result.stepStatus.set(step.id, "skipped");
      continue;
    }
    const remaining = step.changes.filter((c) => !done.has(c.id) && !skipped.has(c.id));
    if (remaining.length === 0) {
      const status: StepStatus =
        step.changes.length > 0 && step.changes.every((c) => skipped.has(c.id)) ? "skipped" : "done";
      result.stepStatus.set(step.id, status);
      if (step.changes.length === 0) {
        // Nothing to change (e.g. no unknown subaccount): still a step of the run, shown in the summary, and
        // journaled so that a resume does not plan (and ask about) it again.
        if (!journalState?.records.some((r) => r.t === "step" && r.stepId === step.id)) {
          await journal.append({ t: "step", stepId: step.id, status, reason: "nothing to change" });
        }
        deps.events.emit({
          kind: "step.finished",
          stepId: step.id,
          status,
          durationMs: 0,
          reason: "nothing to change",
        });
      }
      continue;
    }
    if (deps.signal.aborted) throw abortError(deps.runId);
    let started = deps.clock.now().getTime();
    deps.events.emit({ kind: "step.started", stepId: step.id, title: step.title, why: step.why });
    await journal.append({ t: "step", stepId: step.id, status: "started" });
    const ctx = makeContext(deps, state, step, inputs, attestations, false);

    if (step.confirm && deps.prompter && remaining.some((c) => c.kind !== "manual")) {
      deps.prompter.say(formatChangeList(remaining, deps.planStyle).join("\n"), { painted: true });
      // Enter alone never revokes, deletes or suspends, nor kills a credential (a key replaced in place): that
      // takes a typed yes.
      const go = await deps.prompter.confirm({
        message: `Apply ${remaining.length} change(s) of "${step.title}"?`,
        default: !remaining.some((c) => isDestructive(c.kind) || c.killsCredential !== undefined),
      });
      if (go) {
        await journal.append({ t: "confirm", stepId: step.id, changes: remaining.length });
      } else {
        for (const change of remaining) {
          await journal.append({ t: "skipped", changeId: change.id, reason: "declined by the operator" });
          skipped.set(change.id, "declined by the operator");
          statusOf.set(change.id, "skipped");
        }
        await journal.append({
          t: "step",
          stepId: step.id,
          status: "skipped",
          reason: "declined by the operator",
        });
        deps.events.emit({
          kind: "step.finished",
          stepId: step.id,
          status: "skipped",
          durationMs: deps.clock.now().getTime() - started,
          reason: "declined by the operator",
        });
        result.stepStatus.set(step.id, "skipped");
        continue;
      }
      started = deps.clock.now().getTime();
    }

    const runOne = async (change: Change): Promise<ChangeStatus> => {
      const action = actionOf(change);
      const blocked = (change.dependsOn ?? []).find((dep) => !isDone(statusOf.get(dep)));
      if (blocked !== undefined) {
        const reason = `waiting for ${blocked} (${statusOf.get(blocked) ?? "not run"})`;
        await journal.append({ t: "pending", changeId: change.id, reason });
        return "pending";
      }
      deps.events.emit({ kind: "change.started", changeId: change.id, summary: change.summary });
      let prepared = openIntents.get(change.id);
      let how: ChangeStatus = "done";
      if (prepared !== undefined) {
        if (action.reconcile) {
          const outcome = await action.reconcile(ctx, change, prepared);
          if (outcome) {
            await record(change, outcome, "reconciled");
            return outcome.status === "done" ? "reconciled" : outcome.status;
          }
        } else if (!change.idempotent) {
          throw new StepFailedError(
            step.id,
            change.id,
            new Error("it was started before an interruption and cannot be reconciled automatically"),
            "check the account in the dashboard, then record the outcome in a new run",
          );
        }
        how = "reconciled";
      } else {
        const drift = await action.checkPrecondition?.(ctx, change);
        if (drift !== undefined) {
          throw new DriftError(
            `refused: ${change.summary}: ${drift}`,
            "live state changed since the plan was made (is an attacker still active?): review it, then plan again",
          );
        }
        prepared = action.prepare ? await action.prepare(ctx, change) : {};
      }
      await journal.append(
        { t: "intent", changeId: change.id, summary: change.summary, data: prepared },
        true,
      );
      openIntents.set(change.id, prepared);
      let outcome: ApplyOutcome;
      try {
        outcome = await action.apply(ctx, change, prepared);
      } catch (error) {
        await journal.append(
          error instanceof AbortError
            ? { t: "pending", changeId: change.id, reason: "interrupted by the operator" }
            : { t: "failed", changeId: change.id, error: messageOf(error) },
        );
        throw error;
      }
      await record(change, outcome, how);
      return outcome.status === "done" ? how : outcome.status;
    };

    const record = async (change: Change, outcome: ApplyOutcome, how: string) => {
      openIntents.delete(change.id);
      if (outcome.status === "done") {
        await journal.append({
          t: "done",
          changeId: change.id,
          output: outcome.output,
          note: outcome.note,
          how,
        });
        state.outputs.set(change.id, outcome.output ?? {});
        done.add(change.id);
      } else if (outcome.status === "pending") {
        await journal.append({ t: "pending", changeId: change.id, reason: outcome.reason });
        // A manual step's reason is the attest how-to, said once at the end; an automated one's is shown with it.
        if (change.kind !== "manual") pendingReasons.set(change.id, outcome.reason);
      } else {
        await journal.append({ t: "skipped", changeId: change.id, reason: outcome.reason });
        skipped.set(change.id, outcome.reason);
      }
    };

    const finish = (change: Change, status: ChangeStatus, detail?: string) => {
      statusOf.set(change.id, status);
      deps.events.emit({
        kind: "change.finished",
        changeId: change.id,
        summary: change.summary,
        status,
        detail: detail ?? (status === "pending" ? pendingReasons.get(change.id) : undefined),
      });
    };

    let failure: unknown;
    const automated: Change[] = [];
    const flushAutomated = async () => {
      if (automated.length === 0 || failure !== undefined) return;
      const batch = automated.splice(0);
      try {
        await deps.ui.task(step.title, async () => {
          failure = await runPool(batch, deps, runOne, finish, (done, total) =>
            ctx.progress(done, total, "changes"),
          );
          // Fail the task, so the progress display marks the step failed instead of done.
          if (failure !== undefined) throw failure;
        });
      } catch (error) {
        if (failure === undefined) throw error;
      }
    };
    for (const change of remaining) {
      if (failure !== undefined) break;
      if (change.kind !== "manual" && change.asks !== true) {
        automated.push(change);
        continue;
      }
      await flushAutomated();
      if (failure !== undefined) break;
      if (deps.signal.aborted) throw abortError(deps.runId);
      try {
        finish(change, await runOne(change));
      } catch (error) {
        finish(change, error instanceof AbortError ? "pending" : "failed", messageOf(error));
        failure = inChange(error, change);
      }
    }
    await flushAutomated();

    const statuses = step.changes.map((c) => statusOf.get(c.id) ?? (done.has(c.id) ? "done" : "pending"));
    const stepStatus: StepStatus =
      failure instanceof AbortError
        ? "pending"
        : failure !== undefined
          ? "failed"
          : statuses.includes("pending")
            ? "pending"
            : statuses.every((s) => s === "skipped")
              ? "skipped"
              : "done";
    await journal.append({
      t: "step",
      stepId: step.id,
      status: stepStatus,
      ...(failure !== undefined ? { reason: messageOf(failure) } : {}),
    });
    deps.events.emit({
      kind: "step.finished",
      stepId: step.id,
      status: stepStatus,
      durationMs: deps.clock.now().getTime() - started,
      reason: failure !== undefined ? messageOf(failure) : undefined,
    });
    result.stepStatus.set(step.id, stepStatus);
    if (failure !== undefined) {
      if (failure instanceof AbortError || failure instanceof DriftError) throw failure;
      if (!step.continueOnError) {
        throw failure instanceof StepFailedError ? failure : new StepFailedError(step.id, undefined, failure);
      }
      result.failedSteps.push(step.id);
    }
  }

  await reverifyDone(thePlan, deps, state, journal, journalState, inputs, attestations, statusOf, result);

  for (const step of thePlan.steps) {
    for (const change of step.changes) {
      const status = statusOf.get(change.id) ?? (done.has(change.id) ? "done" : undefined);
      if (status === "pending" || (status === undefined && !step.skipped && !skipped.has(change.id))) {
        result.pending.push({ stepId: step.id, changeId: change.id, summary: change.summary });
      }
    }
  }
  result.status = result.failedSteps.length > 0 ? "failed" : result.pending.length > 0 ? "pending" : "done";
  return result;
}

/**
 * The end of every attempt (a first run or a resume): each done change whose action can re-read its end state
 * does so. What no longer holds is journaled as pending on that change and listed as pending, so the run is not
 * "done"; a later attempt that finds it holding again records the change as done (re-verified).
 */
async function reverifyDone(
  thePlan: Plan,
  deps: EngineDeps,
  state: RunState,
  journal: Journal,
  journalState: JournalState | undefined,
  inputs: Record<string, unknown>,
  attestations: Record<string, Attestation>,
  statusOf: ReadonlyMap<string, ChangeStatus>,
  result: ApplyResult,
): Promise<void> {
  for (const step of thePlan.steps) {
    for (const change of step.changes) {
      const action = actionFor(deps.registry, change);
      if (!action.reverify || !isDone(statusOf.get(change.id))) continue;
      const output = state.outputs.get(change.id) ?? {};
      const ctx = makeContext(deps, state, step, inputs, attestations, false);
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

/**
 * Runs a step's automated changes: independent ones concurrently (bounded), each after the changes it
 * depends on. Stops launching on the first failure or on abort, waits for those in flight, returns the error.
 */
async function runPool(
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

/** "42s", "3m05s": short enough for a task line. */
function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function abortError(runId: string): AbortError {
  return new AbortError(
    "aborted by the operator: the change in flight was completed and the journal is consistent",
    `resume with: vonage-ir run --resume ${runId}`,
  );
}
