// What every phase of one run (cli/execute-run.ts) shares: the request, the event sink that also tallies the
// steps and changes for the end screen, the run's paths, the engine's dependencies, and what the run has reached.
import { join, resolve } from "node:path";
import type { Attestation, Registry } from "../actions/action.js";
import type { Actor, JournalState } from "../core/journal-records.js";
import type { Plan } from "../core/plan.js";
import { RunState, type EngineDeps } from "../engine/engine-deps.js";
import type { PlanInput } from "../engine/plan.js";
import type { Journal } from "../engine/journal.js";
import type { HeldLock } from "../engine/lock.js";
import { readPriorRuns } from "../engine/read-prior-runs.js";
import { newRunId, runPaths } from "../engine/run-directory.js";
import type { EventSink, RunStatus, StepStatus } from "../io/events.js";
import type { NotifyTarget } from "../io/notify.js";
import type { Prompter } from "../io/prompter.js";
import { commandEnv } from "../security/run-command.js";
import { SecretSink } from "../security/secret-sink.js";
import { createDryRunGateway } from "../vonage/dry-run-gateway.js";
import type { Gateway } from "../vonage/gateway.js";
import { completeActor } from "./actor.js";
import type { CliIo, Mode } from "./io.js";
import { PLAN_LIST_FILE } from "./plan-list.js";
import { printedResume } from "./printed-command.js";
import { RunNotifications } from "./run-notifications.js";
import { planColour, reportersFor } from "./run-reporters.js";
import type { Loaded, RateLimitWaits } from "./session.js";
import { systemClock } from "./system-clock.js";

export interface RunRequest {
  io: CliIo;
  mode: Mode;
  registry: Registry;
  loaded: Loaded;
  inputs: Record<string, unknown>;
  attestations: Record<string, Attestation>;
  gateway: Gateway;
  /** Waits Vonage asks for, shown as info events of this run. */
  rateLimitWaits?: RateLimitWaits | undefined;
  prompter: Prompter | undefined;
  /** Who runs it (cli/actor.ts): stamped on every journal record; the name is asked once if not given. */
  actor: Actor;
  /** Where the run's events are POSTed (cli/run-notifications.ts); none when undefined. */
  notify?: NotifyTarget | undefined;
  /** `--accept-broken-journal` on a resume whose chain is broken: journaled in its resume record. */
  acceptedBrokenJournal?: { line: number; reason: string } | undefined;
  out: string;
  concurrency: number;
  dryRun: boolean;
  /** Every change of a long list in the printed plan (`--full`), not the first few and a count. */
  full?: boolean | undefined;
  breakLock: boolean;
  /** Resume this run id. */
  resume?: { runId: string; journal: JournalState } | undefined;
  /**
   * Makes the plan instead of planning the runbook (`restore`: the reversal of an earlier run). A resume applies
   * the journaled plan as it is: no step is re-planned.
   */
  planner?: (() => Plan) | undefined;
  /** Apply exactly this saved plan. */
  savedPlan?: Plan | undefined;
  /** The sha256 of the saved plan file: journaled, so applying the same plan again finds this run. */
  savedPlanSha256?: string | undefined;
  /** The saved plan carries this user's seal: its recorded answers may be replayed without asking. */
  savedPlanTrusted?: boolean | undefined;
  /** A drill: its simulator is gone when it ends, so no command that would use its credentials is printed. */
  rehearsal?: boolean | undefined;
  /** The API secret the process started with: the rotation proves it rejected once revoked. */
  operatorSecret?: string | undefined;
  /** What the run command tells the operator to type to resume. */
  resumeCommand?: ((runId: string) => string) | undefined;
  /** Called at the end with the run directory (drill prints its summary). */
  onFinished?:
    | ((info: { runDir: string; exitCode: number; reportPath: string | undefined }) => Promise<void>)
    | undefined;
}

/** A step as the end screen lists it; `earlier` when an earlier attempt of a resumed run finished it. */
export interface FinishedStep {
  stepId: string;
  status: StepStatus;
  durationMs: number;
  earlier?: boolean;
}

/** A change left to do when the run stopped. */
export interface PendingChange {
  stepId: string;
  changeId: string;
  summary: string;
}

export interface RunContext {
  request: RunRequest;
  /** The run's events: to the reporter and the notifications, tallied in `finished`. */
  events: EventSink;
  /** What this attempt finished, tallied from its events for the end screen. */
  finished: { steps: FinishedStep[]; changesDone: number };
  runId: string;
  notifications: RunNotifications | undefined;
  /** The request's gateway, or the dry-run one that refuses writes. */
  gateway: Gateway;
  outDir: string;
  paths: ReturnType<typeof runPaths>;
  resumeCommand: string;
  deps: EngineDeps;
  state: RunState;
  planInput: PlanInput;
}

/** A run whose plan is journaled and whose journal is open: what the apply phase starts from. */
export interface OpenedRun {
  plan: Plan;
  journal: Journal;
}

/** What a real run has reached: the finish (cli/finish-run.ts) works from it, whichever phase stopped. */
export interface RunProgress {
  locks: HeldLock[];
  journal: Journal | undefined;
  exitCode: number;
  status: RunStatus;
  pending: PendingChange[];
  appliedPlan: Plan | undefined;
  /** The run's header and plan are journaled (or it is a resume): from here on it is resumable. */
  started: boolean;
  /** The plan's step ids in order, for the summary of a resumed run. */
  stepOrder: string[];
}

/** The reporters, the tallying event sink, the run's paths and the engine's dependencies of one run. */
export async function runContext(request: RunRequest): Promise<RunContext> {
  const { io, mode, registry, loaded } = request;
  const reporters = reportersFor(mode, io, { full: request.full });
  const finished: RunContext["finished"] = { steps: [], changesDone: 0 };
  const runId = request.resume?.runId ?? newRunId();
  // A dry run changes nothing: nobody needs to hear about it.
  const notifications =
    request.notify && !request.dryRun
      ? new RunNotifications(request.notify, runId, reporters.events)
      : undefined;
  const events: EventSink = {
    emit(event) {
      notifications?.onEvent(event);
      if (event.kind === "step.finished")
        finished.steps.push({ stepId: event.stepId, status: event.status, durationMs: event.durationMs });
      if (event.kind === "change.finished" && (event.status === "done" || event.status === "reconciled"))
        finished.changesDone++;
      reporters.events.emit(event);
    },
  };
  request.rateLimitWaits?.listen((message) => events.emit({ kind: "info", message }));
  const gateway = request.dryRun ? createDryRunGateway(request.gateway) : request.gateway;
  const outDir = resolve(io.cwd, request.out);
  const paths = runPaths(outDir, runId);
  const resumeCommand = (
    request.resumeCommand ??
    ((id: string) => printedResume(io, id, { configFile: loaded.config.file, out: outDir }))
  )(runId);
  const deps: EngineDeps = {
    registry,
    gateway,
    prompter: request.prompter,
    clock: systemClock,
    events,
    ui: reporters.ui,
    signal: io.signal,
    sink: new SecretSink(paths.sink),
    runDir: paths.dir,
    runId,
    concurrency: request.concurrency,
    planStyle: {
      colour: planColour(mode, io),
      full: request.full,
      seeAll: `every one is listed in ${join(paths.dir, PLAN_LIST_FILE)}`,
    },
    // Before planning: a secret an earlier run created (maybe one it asked the operator to deploy) is never a
    // suspect nor a default to revoke first.
    priorRuns: await readPriorRuns(outDir),
    resumeCommand,
    delivery: { config: loaded.config.delivery, baseEnv: commandEnv(io.env, {}) },
    operatorSecret: request.operatorSecret,
  };
  const state = new RunState(gateway);
  const planInput: PlanInput = {
    loaded: loaded.loaded,
    runbookHash: loaded.runbookHash,
    configHash: loaded.configHash,
    inputs: request.inputs,
    attestations: request.attestations,
  };
  return {
    request,
    events,
    finished,
    runId,
    notifications,
    gateway,
    outDir,
    paths,
    resumeCommand,
    deps,
    state,
    planInput,
  };
}

/** The actor of this attempt; its name, once known, also signs the manual steps' attestations. */
export async function identify(ctx: RunContext): Promise<Actor> {
  const { request } = ctx;
  const actor = await completeActor(request.actor, request.mode.interactive ? request.prompter : undefined);
  ctx.deps.operator = actor.operator;
  return actor;
}
