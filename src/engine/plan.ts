// plan() reads live state through a read-only gateway and returns a serialisable Plan: each step's action plans
// its changes, which are described once, bounded and redacted here. Nothing in this module writes.
import type { Action, Attestation, Registry } from "../actions/action.js";
import type { Change, ChangeDraft } from "../core/plan.js";
import { RecordingPrompter } from "../io/recording-prompter.js";
import { foreignText } from "../core/foreign-text.js";
import { redact } from "../core/redact.js";
import type { LoadedRunbook } from "../runbook/load-runbook.js";
import { describeWhen, evaluateWhen } from "../runbook/rules.js";
import { resolveWith, interpolate } from "../runbook/templates.js";
import { zodIssues } from "../runbook/yaml-source.js";
import { AbortError, InternalError, ValidationError } from "../core/errors.js";
import { PLAN_VERSION, type Plan, type PlanStep } from "../core/plan.js";
import { makeContext } from "./context.js";
import type { EngineDeps, RunState } from "./engine-deps.js";

export interface PlanInput {
  loaded: LoadedRunbook;
  runbookHash: string;
  configHash: string;
  inputs: Record<string, unknown>;
  attestations: Record<string, Attestation>;
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
