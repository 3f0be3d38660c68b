// One run of a runbook, shared by `run`, `apply` and `drill`: mode, reporters, lock, run directory, journal,
// plan (or the saved plan, or the journaled plan on resume), apply, report, exit code.
import { mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Attestation, Clock, Registry } from "../actions/action.js";
import { describeAttackerWindow } from "../actions/attacker-window.js";
import { commandEnv } from "../security/run-command.js";
import { afterRotationLines } from "../actions/report.js";
import { rewriteReport } from "./rewrite-report.js";
import {
  AbortError,
  DriftError,
  ExitCode,
  LockError,
  StorageError,
  UsageError,
  VonageIrError,
  diskProblemOf,
  messageOf,
} from "../core/errors.js";
import { apply } from "../engine/apply.js";
import { plan, planSteps } from "../engine/plan.js";
import { restore, unstartedSteps } from "../engine/resume.js";
import { RunState, type EngineDeps } from "../engine/engine-deps.js";
import { verifySavedPlan } from "../engine/verify-saved-plan.js";
import { Journal, JOURNAL_VERSION, readJournal } from "../engine/journal.js";
import { type Actor, type JournalState } from "../core/journal-records.js";
import { acquireLock, lockHolder, type HeldLock } from "../engine/lock.js";
import { readPriorRuns } from "../engine/read-prior-runs.js";
import type { Plan } from "../core/plan.js";
import { RUN_ID_PATTERN, createRunDirectory, newRunId, runPaths } from "../engine/run-directory.js";
import { enclosingGitTree } from "../security/private-file.js";
import {
  formatPlan,
  formatStartScreen,
  type AttackerWindowSummary,
  type AttestableStep,
  type EventSink,
  type PlannedStepSummary,
  type RunStatus,
  type StepStatus,
} from "../io/events.js";
import { isDestructive } from "../io/plan-marks.js";
import type { Prompter } from "../io/prompter.js";
import { redact } from "../core/redact.js";
import { ConsoleReporter, JsonReporter, chooseRenderer } from "../io/reporters.js";
import { silentTaskUi, type TaskUi } from "../io/task-ui.js";
import { assertPrivateDirectory, writePrivateFile } from "../security/private-file.js";
import { SecretSink } from "../security/secret-sink.js";
import { createDryRunGateway } from "../vonage/dry-run-gateway.js";
import type { Gateway } from "../vonage/gateway.js";
import type { CliIo } from "./io.js";
import { completeActor } from "./actor.js";
import { RunNotifications } from "./run-notifications.js";
import type { NotifyTarget } from "../io/notify.js";
import { printedCommand, printedResume } from "./printed-command.js";
import { DEFAULT_OUT, planningInput, type Loaded, type RateLimitWaits } from "./session.js";
import { type Mode } from "./io.js";
import { stateDirectory } from "./state-directory.js";

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolvePromise, reject) => {
      if (signal?.aborted) return reject(new AbortError("aborted while waiting"));
      const timer = setTimeout(resolvePromise, ms);
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(new AbortError("aborted while waiting"));
        },
        { once: true },
      );
    }),
};

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

/** Colour on a terminal only, and never with NO_COLOR set (https://no-color.org: set and not empty). */
export function planColour(mode: Mode, io: CliIo): boolean {
  return mode.tty && !mode.json && !io.env.NO_COLOR;
}

/** The file in the run directory that lists every change of the plan, for confirm screens that show a few. */
export const PLAN_LIST_FILE = "plan.txt";

export function reportersFor(
  mode: Mode,
  io: CliIo,
  options: { full?: boolean | undefined } = {},
): { events: EventSink; ui: TaskUi } {
  if (mode.json) return { events: new JsonReporter(io.stdout), ui: silentTaskUi };
  const reporter = new ConsoleReporter(io.stderr, chooseRenderer({ json: false, tty: mode.tty }), {
    colour: planColour(mode, io),
    full: options.full,
    seeAll: "add --full to list every one",
  });
  return { events: reporter, ui: reporter };
}

export function summarisePlan(
  thePlan: Plan,
  hide?: { done: ReadonlySet<string>; skipped: ReadonlySet<string> },
): PlannedStepSummary[] {
  return thePlan.steps.map((step) => ({
    id: step.id,
    title: step.title,
    why: step.why,
    skipped: step.skipped,
    notes: step.notes,
    attention: step.attention,
    changes: step.changes
      .filter((c) => !hide || (!hide.done.has(c.id) && !hide.skipped.has(c.id)))
      .map((c) => ({ id: c.id, kind: c.kind, summary: c.summary, warnings: c.warnings })),
  }));
}

export async function executeRun(request: RunRequest): Promise<number> {
  const { io, mode, registry, loaded } = request;
  const reporters = reportersFor(mode, io, { full: request.full });
  const ui = reporters.ui;
  const steps: { stepId: string; status: StepStatus; durationMs: number; earlier?: boolean }[] = [];
  let changesDoneNow = 0;
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
        steps.push({ stepId: event.stepId, status: event.status, durationMs: event.durationMs });
      if (event.kind === "change.finished" && (event.status === "done" || event.status === "reconciled"))
        changesDoneNow++;
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
    ui,
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
  const planInput = {
    loaded: loaded.loaded,
    runbookHash: loaded.runbookHash,
    configHash: loaded.configHash,
    inputs: request.inputs,
    attestations: request.attestations,
  };

  if (request.dryRun) {
    events.emit({
      kind: "run.started",
      runId,
      runbook: loaded.loaded.runbook.id,
      account: gateway.apiKey,
      mode: mode.interactive ? "interactive" : "non-interactive",
      dryRun: true,
      resumed: false,
    });
    // A dry run takes no lock, so it may run beside a real one: it says so, as it reads state being changed.
    const holder =
      (await lockHolder(resolve(io.cwd, stateDirectory(io.env)), gateway.apiKey)) ??
      (await lockHolder(outDir, gateway.apiKey));
    if (holder) {
      events.emit({
        kind: "warning",
        message: `run ${holder.runId} is in progress on account ${gateway.apiKey} (since ${holder.startedAt}, pid ${holder.pid} on ${holder.host}): this dry run reads the account while that run changes it, so its plan may already be out of date`,
      });
    }
    const thePlan = await planningInput(async () => request.planner?.() ?? plan(planInput, deps, state));
    events.emit({ kind: "plan.ready", runId, steps: summarisePlan(thePlan) });
    events.emit({ kind: "info", message: "Dry run: nothing was changed (no mutating request was sent)." });
    return ExitCode.ok;
  }

  const locks: HeldLock[] = [];
  let journal: Journal | undefined;
  let exitCode: number = ExitCode.stepFailed;
  let status: RunStatus = "failed";
  let pending: { stepId: string; changeId: string; summary: string }[] = [];
  let appliedPlan: Plan | undefined;
  /** The run's header and plan are journaled (or it is a resume): from here on it is resumable. */
  let started = Boolean(request.resume);
  /** The plan's step ids in order, for the summary of a resumed run. */
  let stepOrder: string[] = [];
  try {
    // Whoever else can write the out directory can move the run directory away (and the new secret with it).
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    await assertPrivateDirectory(outDir, "out directory");
    if (request.resume) await assertPrivateDirectory(paths.dir, "run directory", { noSymlink: true });
    // The account lock lives in the per-user state directory, so a run with another --out sees it; the out
    // directory keeps its own lock for the run directories it holds.
    const stateDir = resolve(io.cwd, stateDirectory(io.env));
    await mkdir(stateDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw new UsageError(
        `cannot create the state directory ${stateDir} for the account locks (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
        "set VONAGE_IR_STATE_DIR to a directory of yours (nothing was changed)",
      );
    });
    await assertPrivateDirectory(stateDir, "state directory (VONAGE_IR_STATE_DIR)");
    // A killed run leaves both locks behind: one warning for taking over the same run's locks.
    const warned = new Set<string>();
    const lockOptions = {
      breakLock: request.breakLock,
      warn: (message: string) => {
        if (!warned.has(message)) events.emit({ kind: "warning", message });
        warned.add(message);
      },
      out: outDir,
    };
    locks.push(await acquireLock(stateDir, gateway.apiKey, runId, lockOptions));
    locks.push(await acquireLock(outDir, gateway.apiKey, runId, lockOptions));
    let thePlan: Plan;
    let journalState: JournalState | undefined;
    if (request.resume) {
      journalState = request.resume.journal;
      const actor = await identify();
      journal = await Journal.open(paths.journal, journalState.nextSeq, { actor });
      await journal.append(
        {
          t: "resume",
          mode: mode.interactive ? "interactive" : "non-interactive",
          ...(request.acceptedBrokenJournal ? { acceptedBrokenJournal: request.acceptedBrokenJournal } : {}),
        },
        true,
      );
      thePlan = journalState.plan;
      await restore(thePlan, journalState, deps, state, request.inputs, request.attestations);
      const fresh = request.planner ? new Set<string>() : unstartedSteps(thePlan, journalState);
      if (fresh.size > 0) {
        const replanned = await planSteps(planInput, deps, state, fresh);
        for (const step of replanned) {
          const index = thePlan.steps.findIndex((s) => s.id === step.id);
          if (index >= 0) thePlan.steps[index] = step;
          await journal.append({ t: "replan", stepId: step.id, plan: step });
        }
      }
      // The plan as this attempt will apply it, re-planned steps included.
      await writePlanList(paths.dir, thePlan);
    } else {
      if (mode.interactive) {
        events.emit({
          kind: "info",
          message: request.savedPlan
            ? `Reading account ${gateway.apiKey} to check the saved plan against live state (read-only)…`
            : `Reading account ${gateway.apiKey} to plan ${loaded.loaded.runbook.id} (read-only: nothing changes until you confirm)…`,
        });
      }
      const saved = request.savedPlan;
      thePlan = await planningInput(async () =>
        saved
          ? verifySavedPlan(saved, planInput, deps, state, {
              replayAnswers: request.savedPlanTrusted === true,
            })
          : (request.planner?.() ?? plan(planInput, deps, state)),
      );
      // Asked before the run directory exists: a declined plan leaves nothing behind and points at nothing.
      if (request.prompter && mode.interactive) {
        if (!(await confirmStart(request.prompter, summarisePlan(thePlan), false))) {
          events.emit({
            kind: "info",
            message: "Declined: nothing was done (no change was made, no run directory was created).",
          });
          return ExitCode.ok;
        }
      }
      // Only a run that has a plan gets a directory: a plan-time error (a decision missing from the config)
      // leaves nothing behind. The directory appears with its header and plan durable in its journal.
      const planned = thePlan;
      const actor = await identify();
      let nextSeq = 1;
      await createRunDirectory(
        outDir,
        runId,
        gateway.apiKey,
        async (staging) => {
          const first = await Journal.open(staging.journal, 1, { actor });
          try {
            await first.append({
              t: "run",
              v: JOURNAL_VERSION,
              runId,
              runbook: {
                id: planned.runbook.id,
                version: planned.runbook.version,
                file: planned.runbook.file,
                hash: planned.runbook.hash,
              },
              configHash: planned.configHash,
              inputDigests: loaded.config.inputDigests,
              ...(loaded.config.file ? { config: { file: loaded.config.file } } : {}),
              ...(request.savedPlanSha256 ? { savedPlan: { sha256: request.savedPlanSha256 } } : {}),
              account: gateway.apiKey,
              startedAt: new Date().toISOString(),
              tool: { name: "vonage-ir", version: await toolVersion() },
            });
            testKillPoint(io, "journal-header");
            nextSeq = (await first.append({ t: "plan", plan: planned }, true)).seq + 1;
          } finally {
            await first.close();
          }
          await writePlanList(staging.dir, planned);
        },
        (point) => testKillPoint(io, point),
      );
      const tree = await enclosingGitTree(outDir);
      if (tree) {
        events.emit({
          kind: "warning",
          message: `the out directory ${outDir}${request.out === DEFAULT_OUT ? ` (the default, ./${DEFAULT_OUT} of the current directory)` : ""} is inside the git work tree ${tree}. It holds this run's new API secret and private keys (${paths.sink}): a commit, a push or a copy of the work tree can carry them off. The run directory ignores itself (.gitignore), but secrets are safer outside any repository: for the next run, pass --out DIR (or out: in the config) with a directory of your own outside ${tree}, e.g. --out ~/vonage-ir-runs`,
        });
      }
      journal = await Journal.open(paths.journal, nextSeq, { actor });
    }
    started = true;
    if (notifications) {
      notifications.attach(journal);
      events.emit({ kind: "info", message: `Notifications go to ${notifications.shown}` });
    }
    stepOrder = thePlan.steps.map((step) => step.id);
    events.emit({
      kind: "run.started",
      runId,
      runbook: loaded.loaded.runbook.id,
      account: gateway.apiKey,
      mode: mode.interactive ? "interactive" : "non-interactive",
      dryRun: false,
      resumed: Boolean(request.resume),
      runDir: paths.dir,
    });
    const hide = journalState
      ? { done: new Set(journalState.done.keys()), skipped: new Set(journalState.skipped.keys()) }
      : undefined;
    const summary = summarisePlan(thePlan, hide);
    if (!request.prompter || !mode.interactive) {
      events.emit({ kind: "plan.ready", runId, steps: summary });
    } else if (request.resume && !(await confirmStart(request.prompter, summary, true))) {
      // Declined: this attempt changed nothing; what is left stays pending for a later resume.
      events.emit({ kind: "info", message: "Declined: nothing more was done; the run stays resumable." });
      pending = summary.flatMap((step) =>
        step.changes.map((c) => ({ stepId: step.id, changeId: c.id, summary: c.summary })),
      );
      status = "pending";
      exitCode = ExitCode.manualPending;
      return exitCode;
    }
    appliedPlan = thePlan;
    const result = await apply(
      thePlan,
      deps,
      state,
      journal,
      journalState,
      request.inputs,
      request.attestations,
    );
    pending = result.pending;
    status = result.status === "done" ? "done" : result.status === "pending" ? "pending" : "failed";
    exitCode =
      result.status === "done"
        ? ExitCode.ok
        : result.status === "pending"
          ? ExitCode.manualPending
          : ExitCode.stepFailed;
    return exitCode;
  } catch (caught) {
    const error =
      diskError(caught, started ? `then resume: ${resumeCommand}` : "then start the run again") ?? caught;
    exitCode = error instanceof VonageIrError ? error.exitCode : ExitCode.stepFailed;
    status =
      error instanceof AbortError
        ? "aborted"
        : error instanceof DriftError || error instanceof LockError
          ? "refused"
          : "failed";
    if (error instanceof AbortError && journal) {
      await journal.append({ t: "interrupted", signal: String(io.signal.reason ?? "operator") });
      // The summary below ends with the exact resume command: one hint on the screen, not a second, vaguer one.
      throw new AbortError(error.message);
    }
    throw error;
  } finally {
    let reportPath: string | undefined;
    let attackerWindow: AttackerWindowSummary | undefined;
    if (journal) {
      await journal.append({ t: "end", status, exitCode }, true).catch(() => undefined);
      // Open until the last notification is sent or given up on: a failed one is journaled after the end.
      if (!notifications) await journal.close().catch(() => undefined);
      const written = await rewriteReport(paths.dir).catch((error: unknown) => {
        events.emit({ kind: "warning", message: `could not write the report: ${messageOf(error)}` });
        return undefined;
      });
      reportPath = written?.markdown;
      const after = request.rehearsal ? undefined : written?.report.afterRotation;
      const window = written?.report.attackerWindow;
      if (window) {
        attackerWindow = {
          seconds: window.seconds,
          last: window.last,
          alive: window.alive.map((a) => `${a.credential} (${a.status})`),
          line: describeAttackerWindow(window),
        };
      }
      events.emit({
        kind: "run.finished",
        runId,
        status,
        exitCode,
        pending,
        steps: wholeRunSteps(steps, request.resume?.journal, stepOrder),
        changesDone: request.resume
          ? {
              total: request.resume.journal.done.size + changesDoneNow,
              earlier: request.resume.journal.done.size,
            }
          : undefined,
        reportPath,
        sinkDir: paths.sink,
        nextSteps: after && afterRotationLines(after, printedCommand(io, [])),
        resumeCommand: exitCode === ExitCode.ok ? undefined : resumeCommand,
        attackerWindow,
        ...(exitCode === ExitCode.manualPending
          ? {
              attestable: attestableSteps(appliedPlan, pending),
              configFile: loaded.config.file && shownPath(io.cwd, loaded.config.file),
              finishedAt: `${new Date().toISOString().slice(0, 19)}Z`,
            }
          : {}),
      });
      if (notifications) {
        notifications.finished(status, exitCode, written?.report);
        await notifications.close();
        await journal.close().catch(() => undefined);
      }
    }
    for (const lock of locks.reverse()) await lock.release().catch(() => undefined);
    // Only a run that has a directory has something to show there.
    if (journal) await request.onFinished?.({ runDir: paths.dir, exitCode, reportPath });
  }

  /** The actor of this attempt; its name, once known, also signs the manual steps' attestations. */
  async function identify(): Promise<Actor> {
    const actor = await completeActor(request.actor, mode.interactive ? request.prompter : undefined);
    deps.operator = actor.operator;
    return actor;
  }

  /** The start screen and its question; Enter alone never starts a plan that revokes, deletes or suspends. */
  async function confirmStart(
    prompter: Prompter,
    summary: PlannedStepSummary[],
    resumed: boolean,
  ): Promise<boolean> {
    prompter.say(
      formatStartScreen(summary, {
        colour: planColour(mode, io),
        seeAll: "the same command with --dry-run --full lists every one",
      }),
      { painted: true },
    );
    const count = summary.reduce((n, s) => n + s.changes.length, 0);
    const destructive = summary.some((s) => s.changes.some((c) => isDestructive(c.kind)));
    return prompter.confirm({
      message: `${resumed ? "Continue" : "Start"}: ${count} change(s) on account ${gateway.apiKey}${resumed ? `, run directory ${paths.dir}` : ""}. Proceed?`,
      default: !destructive,
    });
  }
}

/** Every change of the plan, plain, beside the journal: where a confirm screen that shows a few points. */
async function writePlanList(runDir: string, thePlan: Plan): Promise<void> {
  await writePrivateFile(
    join(runDir, PLAN_LIST_FILE),
    `${formatPlan(redact(summarisePlan(thePlan)), { colour: false, full: true })}\n`,
  );
}

let version: Promise<string> | undefined;

/** This tool's version (package.json), journaled in every run header. */
export function toolVersion(): Promise<string> {
  version ??= readFile(new URL("../../package.json", import.meta.url), "utf8").then(
    (text) => (JSON.parse(text) as { version: string }).version,
  );
  return version;
}

/** A path as the operator would type it from here: relative below the working directory, else absolute. */
function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** The pending changes a config's `attest:` can settle: manual ones, once per step, with their evidence fields. */
function attestableSteps(
  thePlan: Plan | undefined,
  pending: { stepId: string; changeId: string }[],
): AttestableStep[] {
  const changes = new Map((thePlan?.steps ?? []).flatMap((s) => s.changes.map((c) => [c.id, c] as const)));
  const steps = new Map<string, AttestableStep>();
  for (const p of pending) {
    const manual = changes.get(p.changeId)?.manual;
    if (!manual || steps.has(p.stepId)) continue;
    steps.set(p.stepId, {
      stepId: p.stepId,
      evidence: manual.evidence.map((f) => ({ id: f.id, label: f.label, required: f.required })),
    });
  }
  return [...steps.values()];
}

/**
 * The summary's steps for the whole run: after a resume, the steps earlier attempts finished (from the journal)
 * and not run again are listed too, marked as such, in plan order.
 */
function wholeRunSteps(
  now: { stepId: string; status: StepStatus; durationMs: number; earlier?: boolean }[],
  journal: JournalState | undefined,
  order: readonly string[],
): { stepId: string; status: StepStatus; durationMs: number; earlier?: boolean }[] {
  if (journal === undefined) return now;
  const startedAt = new Map<string, number>();
  const earlier = new Map<
    string,
    { stepId: string; status: StepStatus; durationMs: number; earlier: true }
  >();
  for (const record of journal.records) {
    if (record.t !== "step") continue;
    const at = Date.parse(record.ts);
    if (record.status === "started") {
      startedAt.set(record.stepId, at);
      continue;
    }
    const from = startedAt.get(record.stepId);
    earlier.set(record.stepId, {
      stepId: record.stepId,
      status: record.status,
      durationMs: from === undefined || Number.isNaN(at) ? 0 : Math.max(0, at - from),
      earlier: true,
    });
  }
  const ranNow = new Set(now.map((s) => s.stepId));
  const merged = [...now, ...[...earlier.values()].filter((s) => !ranNow.has(s.stepId))];
  const rank = (id: string) => {
    const index = order.indexOf(id);
    return index < 0 ? order.length : index;
  };
  return merged.sort((a, b) => rank(a.stepId) - rank(b.stepId));
}

/** A full (or failing) disk says so and what to do next, instead of reading as a bug or a failed step. */
function diskError(error: unknown, next: string): StorageError | undefined {
  const problem = diskProblemOf(error);
  if (!(error instanceof StorageError) && problem === undefined) return undefined;
  const message = error instanceof StorageError ? error.message : `${problem}: ${messageOf(error)}`;
  return new StorageError(message, `free space on the disk, ${next}`, { cause: error });
}

/**
 * For the chaos suite only: `VONAGE_IR_TEST_KILL_AT=<point>` SIGKILLs the CLI at that named point between two
 * file operations, where no request is in flight for a request-count kill to land on.
 */
function testKillPoint(io: CliIo, point: string): void {
  if (io.env.VONAGE_IR_TEST_KILL_AT === point) process.kill(process.pid, "SIGKILL");
}

/** Reads the journal of a run to resume; unknown ids list what is there. */
export async function loadResume(outDir: string, runId: string): Promise<JournalState> {
  const { readdir } = await import("node:fs/promises");
  if (!RUN_ID_PATTERN.test(runId))
    throw new UsageError(`"${runId}" is not a run id (they look like 20261122-193000-a1b2c3)`);
  const journalPath = join(resolve(outDir), runId, "journal.jsonl");
  try {
    return await readJournal(journalPath);
  } catch (error) {
    if (error instanceof VonageIrError && /cannot read journal/.test(error.message)) {
      const runs = await readdir(resolve(outDir)).catch(() => [] as string[]);
      // A run directory appears with its journal's header and plan (createRunDirectory); one without a
      // journal was left by an older version stopped before its plan was recorded: it changed nothing.
      if (runs.includes(runId)) {
        throw new UsageError(
          `run ${runId} has no journal: it stopped before its plan was recorded, so it changed nothing and cannot be resumed`,
          "start a new run with the same runbook and config (vonage-ir run <runbook> --config FILE)",
        );
      }
      const known = runs
        .filter((r) => RUN_ID_PATTERN.test(r))
        .sort()
        .slice(-5);
      throw new UsageError(
        `unknown run id ${runId} in ${resolve(outDir)}`,
        known.length
          ? `recent runs there: ${known.join(", ")} (or pass --out)`
          : "no runs there: pass the --out directory the run used",
      );
    }
    throw error;
  }
}
