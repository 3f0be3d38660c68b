// `apply plan.json` re-plans every step against live state (read-only) and runs a saved change only if the runbook
// plans exactly that change now: its seal is a corruption check anyone can recompute, so it proves nothing.
import type { Change, JsonValue } from "../core/plan.js";
import type { Choice, Prompter } from "../io/prompter.js";
import type { RecordedDecision } from "../core/plan.js";
import { canonicalJson } from "../runbook/config.js";
import { planSteps, type PlanInput } from "./plan.js";
import type { EngineDeps, RunState } from "./engine-deps.js";
import { DriftError, UsageError } from "../core/errors.js";
import type { Plan, PlanStep } from "../core/plan.js";

const HINT =
  "nothing was changed: the plan file was edited, or the account changed since the plan was made (is an attacker still active?); make a new plan with `vonage-ir plan --save` and review it";

/** What a change does, as opposed to how it is shown (summary, before/after, warnings, instructions). */
function effectOf(change: Change): Record<string, unknown> {
  return {
    action: change.action,
    stepId: change.stepId,
    kind: change.kind,
    target: change.target,
    params: change.params,
    precondition: change.precondition ?? null,
    dependsOn: change.dependsOn ?? [],
    reversible: change.reversible,
    idempotent: change.idempotent,
    evidence: change.manual?.evidence ?? null,
    verify: change.manual?.verify ?? null,
  };
}

function differingFields(saved: Change, fresh: Change): string[] {
  const a = effectOf(saved);
  const b = effectOf(fresh);
  return Object.keys(b).filter((key) => canonicalJson(a[key]) !== canonicalJson(b[key]));
}

/** A value from the plan file, quoted with control characters escaped and its length bounded. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function refused(problems: string[]): DriftError {
  const shown = problems.slice(0, 5);
  const more = problems.length > shown.length ? `\n  (${problems.length - shown.length} more)` : "";
  return new DriftError(
    `refused: the saved plan is not what the runbook plans against live state now:\n  ${shown.join("\n  ")}${more}`,
    HINT,
  );
}

/**
 * Answers a step's questions with the decisions recorded when the plan was made, in order, each only if it is
 * among the choices the action offers against live state now; any other question, or answer, is a refusal.
 */
class ReplayingPrompter implements Prompter {
  private next = 0;
  /** One line per answer replayed, for the run's output: the file, not a person, made these decisions. */
  readonly replayed: string[] = [];

  constructor(
    private readonly stepId: string,
    private readonly decisions: readonly RecordedDecision[],
  ) {}

  private take(kind: RecordedDecision["kind"], message: string): JsonValue {
    const decision = this.decisions[this.next++];
    if (decision?.kind !== kind) {
      throw refused([
        `step ${this.stepId} now asks ${quote(message.slice(0, 120))}, which the plan does not answer`,
      ]);
    }
    this.replayed.push(
      `step ${this.stepId}: the answer saved in the plan, ${quote(decision.answer)}, is used for ${quote(message.slice(0, 120))}`,
    );
    return decision.answer;
  }

  private outside(answer: unknown, message: string): DriftError {
    return refused([
      `step ${this.stepId}: the plan's answer ${quote(answer)} to ${quote(message.slice(0, 120))} is not among the choices offered against live state now`,
    ]);
  }

  /** Checks that every recorded decision was asked for. */
  finish(): void {
    if (this.next < this.decisions.length) {
      throw refused([`step ${this.stepId}: the plan records answers to questions not asked now`]);
    }
  }

  async select<T>(question: { message: string; choices: Choice<T>[] }): Promise<T> {
    const answer = this.take("select", question.message);
    const choice = question.choices.find((c) => canonicalJson(c.value) === canonicalJson(answer));
    if (!choice) throw this.outside(answer, question.message);
    return choice.value;
  }

  async checkbox<T>(question: { message: string; choices: Choice<T>[] }): Promise<T[]> {
    const answer = this.take("checkbox", question.message);
    if (!Array.isArray(answer)) throw this.outside(answer, question.message);
    const chosen = answer.map((value) =>
      question.choices.find((c) => canonicalJson(c.value) === canonicalJson(value)),
    );
    if (chosen.some((c) => c === undefined)) throw this.outside(answer, question.message);
    return chosen.map((c) => (c as Choice<T>).value);
  }

  async input(question: {
    message: string;
    validate?: ((value: string) => true | string) | undefined;
  }): Promise<string> {
    const answer = this.take("input", question.message);
    if (typeof answer !== "string" || (question.validate?.(answer) ?? true) !== true)
      throw this.outside(answer, question.message);
    return answer;
  }

  async confirm(question: { message: string }): Promise<boolean> {
    const answer = this.take("confirm", question.message);
    if (typeof answer !== "boolean") throw this.outside(answer, question.message);
    return answer;
  }

  say(): void {}

  wait<T>(_label: string, work: () => Promise<T>): Promise<T> {
    return work();
  }
}

/** A decision the runbook cannot make against live state (a named secret gone): live state drifted. */
function asDrift(error: unknown): unknown {
  if (error instanceof UsageError) return refused([error.message]);
  return error;
}

/**
 * Re-plans the saved plan's steps with the same runbook, config and inputs against live state, and returns the
 * plan to apply: the freshly planned changes, provided each matches the saved one with the same id in everything
 * that determines what it does, and neither plan has a change the other lacks. Throws DriftError (exit 4) naming
 * the differences otherwise. Interactive decisions recorded in the saved plan are replayed (see ReplayingPrompter)
 * when `replayAnswers` (the plan carries this user's seal); otherwise they are asked again, or the config decides.
 */
export async function verifySavedPlan(
  saved: Plan,
  input: PlanInput,
  deps: EngineDeps,
  state: RunState,
  options: { replayAnswers: boolean } = { replayAnswers: true },
): Promise<Plan> {
  checkShape(saved, input);
  let fresh: Map<string, PlanStep>;
  try {
    fresh = await planAgain(saved, input, deps, state, options.replayAnswers);
  } catch (error) {
    throw asDrift(error);
  }
  return { ...saved, steps: matchingSteps(saved, fresh) };
}

/** The saved plan's steps are well formed and are the runbook's, in its order. */
function checkShape(saved: Plan, input: PlanInput): void {
  const wellFormed = saved.steps.every(
    (step) =>
      typeof step === "object" &&
      step !== null &&
      typeof step.id === "string" &&
      Array.isArray(step.changes) &&
      step.changes.every((c) => typeof c === "object" && c !== null && typeof c.id === "string"),
  );
  if (!wellFormed) throw refused(["a step or change of the plan is malformed"]);
  const runbookSteps = input.loaded.runbook.steps.map((s) => s.id);
  const savedSteps = saved.steps.map((s) => s.id);
  if (canonicalJson(runbookSteps) !== canonicalJson(savedSteps)) {
    throw refused([`the plan's steps ${quote(savedSteps)} are not the runbook's ${quote(runbookSteps)}`]);
  }
}

/**
 * Each step planned again against live state: those that asked nothing unattended, those that asked with their
 * recorded answers replayed (or, without `replayAnswers`, asked again or decided by the config).
 */
async function planAgain(
  saved: Plan,
  input: PlanInput,
  deps: EngineDeps,
  state: RunState,
  replayAnswers: boolean,
): Promise<Map<string, PlanStep>> {
  const fresh = new Map<string, PlanStep>();
  const unattended = new Set(saved.steps.filter((s) => s.decisions === undefined).map((s) => s.id));
  if (unattended.size > 0) {
    for (const step of await planSteps(input, { ...deps, prompter: undefined }, state, unattended))
      fresh.set(step.id, step);
  }
  const interactive = saved.steps.filter((s) => s.decisions !== undefined).map((s) => s.id);
  if (!replayAnswers && interactive.length > 0) {
    const answered = saved.steps.filter((s) => Array.isArray(s.decisions) && s.decisions.length > 0);
    if (answered.length > 0) {
      deps.events.emit({
        kind: "warning",
        message: `the plan's recorded answers (steps ${answered.map((s) => s.id).join(", ")}) are not used: the plan does not carry your seal (saved by another user or machine, or edited): ${deps.prompter ? "answer again" : "the config must decide"}`,
      });
    }
    for (const step of await planSteps(input, deps, state, new Set(interactive))) fresh.set(step.id, step);
  }
  for (const step of replayAnswers ? saved.steps : []) {
    if (step.decisions === undefined) continue;
    const replay = new ReplayingPrompter(step.id, Array.isArray(step.decisions) ? step.decisions : []);
    const [planned] = await planSteps(input, { ...deps, prompter: replay }, state, new Set([step.id]));
    replay.finish();
    for (const message of replay.replayed) deps.events.emit({ kind: "warning", message });
    if (planned) fresh.set(step.id, planned);
  }
  return fresh;
}

/** The freshly planned steps, if each saved change has its fresh twin that does the same and none is new. */
function matchingSteps(saved: Plan, fresh: ReadonlyMap<string, PlanStep>): PlanStep[] {
  const problems: string[] = [];
  const steps: PlanStep[] = [];
  for (const savedStep of saved.steps) {
    const step = fresh.get(savedStep.id);
    if (!step) {
      problems.push(`step ${savedStep.id} is not planned now`);
      continue;
    }
    steps.push(step);
    if (Boolean(step.skipped) !== Boolean(savedStep.skipped)) {
      problems.push(`step ${step.id} is ${step.skipped ? "skipped" : "planned"} now, not as saved`);
    }
    const savedChanges = savedStep.changes;
    const byId = new Map(step.changes.map((c) => [c.id, c]));
    for (const change of savedChanges) {
      const match = byId.get(change.id);
      if (!match) {
        problems.push(`change ${quote(change.id)} is not one the runbook plans now`);
        continue;
      }
      const fields = differingFields(change, match);
      if (fields.length > 0) problems.push(`change ${quote(change.id)} differs in ${fields.join(", ")}`);
    }
    const savedIds = new Set(savedChanges.map((c) => c.id));
    for (const change of step.changes) {
      if (!savedIds.has(change.id))
        problems.push(`change ${quote(change.id)} is planned now but not in the plan`);
    }
  }
  if (problems.length > 0) throw refused(problems);
  return steps;
}
