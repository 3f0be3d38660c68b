// One run of a runbook, shared by `run`, `apply`, `drill` and `restore`: mode, reporters, lock, run directory,
// journal, plan (or the saved plan, or the journaled plan on resume), apply, report, exit code. Each phase is a
// module of its own: run-context (what the phases share), dry-run, lock-account, start-run or resume-run,
// finish-run (with end-screen).
import {
  AbortError,
  DriftError,
  ExitCode,
  LockError,
  StorageError,
  VonageIrError,
  diskProblemOf,
  messageOf,
} from "../core/errors.js";
import type { JournalState } from "../core/journal-records.js";
import type { Plan } from "../core/plan.js";
import { apply } from "../engine/apply.js";
import { confirmStart } from "./confirm-start.js";
import { dryRun } from "./dry-run.js";
import { finishRun } from "./finish-run.js";
import { lockAccount } from "./lock-account.js";
import { resumeRun } from "./resume-run.js";
import {
  runContext,
  type OpenedRun,
  type RunContext,
  type RunProgress,
  type RunRequest,
} from "./run-context.js";
import { summarisePlan } from "./run-reporters.js";
import { startRun } from "./start-run.js";

export async function executeRun(request: RunRequest): Promise<number> {
  const ctx = await runContext(request);
  if (request.dryRun) return dryRun(ctx);
  const progress: RunProgress = {
    locks: [],
    journal: undefined,
    exitCode: ExitCode.stepFailed,
    status: "failed",
    pending: [],
    appliedPlan: undefined,
    started: Boolean(request.resume),
    stepOrder: [],
  };
  try {
    await lockAccount(ctx, progress.locks);
    const journalState = request.resume?.journal;
    const opened = request.resume
      ? await resumeRun(ctx, progress, request.resume)
      : await startRun(ctx, progress);
    // Declined before the run directory exists: nothing was done.
    if (!opened) return ExitCode.ok;
    progress.started = true;
    announceStart(ctx, progress, opened);
    if (!(await showPlan(ctx, progress, opened.plan, journalState))) return progress.exitCode;
    return await applyPlan(ctx, progress, opened, journalState);
  } catch (caught) {
    throw await failure(ctx, progress, caught);
  } finally {
    await finishRun(ctx, progress);
  }
}

/** The run has a journal from here on: its notifications start, and so does its screen. */
function announceStart(ctx: RunContext, progress: RunProgress, opened: OpenedRun): void {
  const { request, events, notifications, runId, gateway, paths } = ctx;
  if (notifications) {
    notifications.attach(opened.journal);
    events.emit({ kind: "info", message: `Notifications go to ${notifications.shown}` });
  }
  progress.stepOrder = opened.plan.steps.map((step) => step.id);
  events.emit({
    kind: "run.started",
    runId,
    runbook: request.loaded.loaded.runbook.id,
    account: gateway.apiKey,
    mode: request.mode.interactive ? "interactive" : "non-interactive",
    dryRun: false,
    resumed: Boolean(request.resume),
    runDir: paths.dir,
  });
}

/**
 * The plan left to apply, printed, or on a resumed run in a terminal the question to continue (a new run asked
 * before its directory existed). False when declined: what is left stays pending for a later resume.
 */
async function showPlan(
  ctx: RunContext,
  progress: RunProgress,
  thePlan: Plan,
  journalState: JournalState | undefined,
): Promise<boolean> {
  const { request, events, runId } = ctx;
  const hide = journalState
    ? { done: new Set(journalState.done.keys()), skipped: new Set(journalState.skipped.keys()) }
    : undefined;
  const summary = summarisePlan(thePlan, hide);
  if (!request.prompter || !request.mode.interactive) {
    events.emit({ kind: "plan.ready", runId, steps: summary });
  } else if (request.resume && !(await confirmStart(ctx, request.prompter, summary, true))) {
    // Declined: this attempt changed nothing; what is left stays pending for a later resume.
    events.emit({ kind: "info", message: "Declined: nothing more was done; the run stays resumable." });
    progress.pending = summary.flatMap((step) =>
      step.changes.map((c) => ({ stepId: step.id, changeId: c.id, summary: c.summary })),
    );
    progress.status = "pending";
    progress.exitCode = ExitCode.manualPending;
    return false;
  }
  return true;
}

/** Applies the plan (the engine) and turns its outcome into the run's status and exit code. */
async function applyPlan(
  ctx: RunContext,
  progress: RunProgress,
  opened: OpenedRun,
  journalState: JournalState | undefined,
): Promise<number> {
  const { request } = ctx;
  progress.appliedPlan = opened.plan;
  const result = await apply(
    opened.plan,
    ctx.deps,
    ctx.state,
    opened.journal,
    journalState,
    request.inputs,
    request.attestations,
  );
  progress.pending = result.pending;
  progress.status = result.status === "done" ? "done" : result.status === "pending" ? "pending" : "failed";
  progress.exitCode =
    result.status === "done"
      ? ExitCode.ok
      : result.status === "pending"
        ? ExitCode.manualPending
        : ExitCode.stepFailed;
  return progress.exitCode;
}

/** The error a failed run throws, its status and exit code set; an interruption is journaled. */
async function failure(ctx: RunContext, progress: RunProgress, caught: unknown): Promise<unknown> {
  const error =
    diskError(caught, progress.started ? `then resume: ${ctx.resumeCommand}` : "then start the run again") ??
    caught;
  progress.exitCode = error instanceof VonageIrError ? error.exitCode : ExitCode.stepFailed;
  progress.status =
    error instanceof AbortError
      ? "aborted"
      : error instanceof DriftError || error instanceof LockError
        ? "refused"
        : "failed";
  if (error instanceof AbortError && progress.journal) {
    await progress.journal.append({
      t: "interrupted",
      signal: String(ctx.request.io.signal.reason ?? "operator"),
    });
    // The summary below ends with the exact resume command: one hint on the screen, not a second, vaguer one.
    return new AbortError(error.message);
  }
  return error;
}

/** A full (or failing) disk says so and what to do next, instead of reading as a bug or a failed step. */
function diskError(error: unknown, next: string): StorageError | undefined {
  const problem = diskProblemOf(error);
  if (!(error instanceof StorageError) && problem === undefined) return undefined;
  const message = error instanceof StorageError ? error.message : `${problem}: ${messageOf(error)}`;
  return new StorageError(message, `free space on the disk, ${next}`, { cause: error });
}
