// The end screen of a run (its `run.finished` event): the steps of the whole run, the changes done, the report,
// what to do next after a rotation, the resume command, the attacker window, and what a config can attest.
import { relative } from "node:path";
import { describeAttackerWindow } from "../actions/attacker-window.js";
import { afterRotationLines } from "../actions/render-report.js";
import { type Report } from "../actions/build-report.js";
import { ExitCode } from "../core/errors.js";
import type { JournalState } from "../core/journal-records.js";
import type { Plan } from "../core/plan.js";
import type { AttackerWindowSummary, AttestableStep, Event } from "../io/events.js";
import { printedCommand } from "./printed-command.js";
import type { FinishedStep, RunContext, RunProgress } from "./run-context.js";

/** The `run.finished` event of a run that has a journal; `written` is its report, if it could be written. */
export function runFinishedEvent(
  ctx: RunContext,
  progress: RunProgress,
  written: { markdown: string; report: Report } | undefined,
): Extract<Event, { kind: "run.finished" }> {
  const { request, runId, finished, paths } = ctx;
  const { io, loaded, resume } = request;
  const { status, exitCode, pending } = progress;
  const after = request.rehearsal ? undefined : written?.report.afterRotation;
  return {
    kind: "run.finished",
    runId,
    status,
    exitCode,
    pending,
    steps: wholeRunSteps(finished.steps, resume?.journal, progress.stepOrder),
    changesDone: resume
      ? {
          total: resume.journal.done.size + finished.changesDone,
          earlier: resume.journal.done.size,
        }
      : undefined,
    reportPath: written?.markdown,
    sinkDir: paths.sink,
    nextSteps: after && afterRotationLines(after, printedCommand(io, [])),
    resumeCommand: exitCode === ExitCode.ok ? undefined : ctx.resumeCommand,
    attackerWindow: attackerWindowOf(written?.report),
    ...(exitCode === ExitCode.manualPending
      ? {
          attestable: attestableSteps(progress.appliedPlan, pending),
          configFile: loaded.config.file && shownPath(io.cwd, loaded.config.file),
          finishedAt: `${new Date().toISOString().slice(0, 19)}Z`,
        }
      : {}),
  };
}

/** The report's attacker window, as the end screen shows it. */
function attackerWindowOf(report: Report | undefined): AttackerWindowSummary | undefined {
  const window = report?.attackerWindow;
  if (!window) return undefined;
  return {
    seconds: window.seconds,
    last: window.last,
    alive: window.alive.map((a) => `${a.credential} (${a.status})`),
    line: describeAttackerWindow(window),
  };
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
  now: FinishedStep[],
  journal: JournalState | undefined,
  order: readonly string[],
): FinishedStep[] {
  if (journal === undefined) return now;
  const startedAt = new Map<string, number>();
  const earlier = new Map<string, FinishedStep & { earlier: true }>();
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
