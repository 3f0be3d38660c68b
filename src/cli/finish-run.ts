// The end of every real run, however it stopped: the journal's end record, the report, the end screen, the last
// notification, the locks released, and the caller's own summary (drill).
import { messageOf } from "../core/errors.js";
import type { Journal } from "../engine/journal.js";
import { runFinishedEvent } from "./end-screen.js";
import { rewriteReport } from "./rewrite-report.js";
import type { RunContext, RunProgress } from "./run-context.js";

export async function finishRun(ctx: RunContext, progress: RunProgress): Promise<void> {
  const { journal, exitCode } = progress;
  const reportPath = journal ? await endJournal(ctx, progress, journal) : undefined;
  for (const lock of progress.locks.reverse()) await lock.release().catch(() => undefined);
  // Only a run that has a directory has something to show there.
  if (journal) await ctx.request.onFinished?.({ runDir: ctx.paths.dir, exitCode, reportPath });
}

/** Ends the journal, rewrites the report and shows the end screen; returns the report's path if written. */
async function endJournal(
  ctx: RunContext,
  progress: RunProgress,
  journal: Journal,
): Promise<string | undefined> {
  const { events, notifications, paths } = ctx;
  const { status, exitCode } = progress;
  await journal.append({ t: "end", status, exitCode }, true).catch(() => undefined);
  // Open until the last notification is sent or given up on: a failed one is journaled after the end.
  if (!notifications) await journal.close().catch(() => undefined);
  const written = await rewriteReport(paths.dir).catch((error: unknown) => {
    events.emit({ kind: "warning", message: `could not write the report: ${messageOf(error)}` });
    return undefined;
  });
  events.emit(runFinishedEvent(ctx, progress, written));
  if (notifications) {
    notifications.finished(status, exitCode, written?.report);
    await notifications.close();
    await journal.close().catch(() => undefined);
  }
  return written?.markdown;
}
