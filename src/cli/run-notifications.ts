// A run's notifications (io/notify.ts): where to (--notify-url, VONAGE_IR_NOTIFY_URL, or notify.url in the
// config), which events, and what a failed delivery leaves behind: a warning and a `notify` journal record.
import type { Report } from "../actions/build-report.js";
import { UsageError } from "../core/errors.js";
import type { Journal } from "../engine/journal.js";
import type { Event, EventSink } from "../io/events.js";
import {
  Notifier,
  describeTarget,
  notificationOf,
  registerTargetSecret,
  type NotifyTarget,
} from "../io/notify.js";
import { isHttpUrl, type RunConfig } from "../runbook/config.js";
import type { Values } from "./command.js";
import type { CliIo } from "./io.js";

/** The target of a run's notifications, registered for redaction at once; undefined when none is set. */
export function notifyTargetOf(values: Values, io: CliIo, config: RunConfig): NotifyTarget | undefined {
  const flag = values["notify-url"] as string | undefined;
  const env = io.env.VONAGE_IR_NOTIFY_URL?.trim() || undefined;
  const url = flag ?? env ?? config.notify?.url;
  if (url === undefined) return undefined;
  registerTargetSecret(url);
  if (flag !== undefined) {
    io.stderr.write(
      "note: a URL given with --notify-url is visible to other users of this machine (ps) and kept in your shell history; prefer VONAGE_IR_NOTIFY_URL or notify.url in the config\n",
    );
  }
  if (!isHttpUrl(url)) {
    // Never the value: it is a credential.
    throw new UsageError(
      `${flag !== undefined ? "--notify-url" : env !== undefined ? "VONAGE_IR_NOTIFY_URL" : "notify.url"} is not an http:// or https:// URL`,
    );
  }
  const seconds = config.notify?.timeoutSeconds;
  return {
    url,
    format: config.notify?.format ?? "json",
    ...(seconds === undefined ? {} : { timeoutMs: Math.round(seconds * 1000) }),
  };
}

/** Wires a Notifier to one run: its events in, its failures out as warnings and journal records. */
export class RunNotifications {
  private readonly notifier: Notifier;
  private journal: Journal | undefined;

  constructor(
    private readonly target: NotifyTarget,
    private readonly runId: string,
    private readonly warnings: EventSink,
  ) {
    this.notifier = new Notifier(target, {
      onFailure: (failure) => {
        this.warnings.emit({
          kind: "warning",
          message: `notification "${failure.event}" to ${failure.target} failed: ${failure.error}${failure.attempts > 1 ? ` (after ${failure.attempts} tries)` : ""}; the run goes on`,
        });
        void this.journal?.append({ t: "notify", ...failure }).catch(() => undefined);
      },
    });
  }

  /** Failures are journaled from now on. */
  attach(journal: Journal): void {
    this.journal = journal;
  }

  /** Where they go, as it may be shown. */
  get shown(): string {
    return describeTarget(this.target.url);
  }

  onEvent(event: Event): void {
    const notification = notificationOf(event, this.runId, new Date().toISOString());
    if (notification) this.notifier.post(notification);
  }

  /** The last notification: the run's end with the report's summary (and the journal's final hash). */
  finished(status: string, exitCode: number, report: Report | undefined): void {
    const count = (state: string) => report?.changes.filter((c) => c.status === state).length ?? 0;
    const summary = report && {
      changesDone: count("done"),
      pending: report.pending.length,
      failed: count("failed"),
      attackerWindow: report.attackerWindow?.seconds,
      journalSha256: report.journal.finalHash,
    };
    this.notifier.post({
      event: "run.finished",
      runId: this.runId,
      at: new Date().toISOString(),
      text: `finished: ${status} (exit ${exitCode})${summary ? `; ${summary.changesDone} change(s) done, ${summary.pending} pending, ${summary.failed} failed; journal sha256 ${summary.journalSha256}` : ""}`,
      data: { status, exitCode, ...summary },
    });
  }

  /** Waits a bounded time for what is queued; failures are journaled while the journal is still open. */
  async close(): Promise<void> {
    await this.notifier.close((this.target.timeoutMs ?? 5000) + 1000);
    this.journal = undefined;
  }
}
