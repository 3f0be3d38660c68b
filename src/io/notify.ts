// Notifications: a run's events POSTed to a URL (JSON, or Slack incoming-webhook text) from a bounded queue, one
// request at a time in event order, each with a timeout and a few retries. Never blocks or fails the run: a
// failure is reported to `onFailure` (the run warns and journals it). Every body is redacted; the URL is a
// credential (a Slack webhook URL is one) and is only ever shown as scheme, host and a fingerprint.
import { createHash } from "node:crypto";
import type { Event } from "./events.js";
import { redact, redactText, registerSecret } from "../core/redact.js";

export type NotifyFormat = "json" | "slack";

export interface NotifyTarget {
  url: string;
  format: NotifyFormat;
  /** Per request (default 5 s). */
  timeoutMs?: number | undefined;
}

/** What is posted for one event (before formatting). */
export interface Notification {
  event: "run.started" | "step.finished" | "change.failed" | "change.pending" | "run.finished";
  runId: string;
  at: string;
  text: string;
  data: Record<string, unknown>;
}

export interface NotifierOptions {
  onFailure: (failure: { event: string; target: string; error: string; attempts: number }) => void;
  /** Events held at most; more are dropped (and said once). */
  queueLimit?: number | undefined;
  /** Tries per event (default 3). */
  attempts?: number | undefined;
  /** The first retry's wait; doubled each time (default 500 ms). */
  backoffMs?: number | undefined;
  now?: (() => Date) | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** `https://hooks.slack.com/… (url sha256:1a2b3c4d)`: enough to tell targets apart, nothing to post with. */
export function describeTarget(url: string): string {
  const fingerprint = createHash("sha256").update(url).digest("hex").slice(0, 8);
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}/… (url sha256:${fingerprint})`;
  } catch {
    return `(url sha256:${fingerprint})`;
  }
}

/**
 * Registers the URL (and its path and query, the part a Slack webhook keeps secret) for redaction. A URL that
 * is only a scheme and a host holds no secret (and would blank the host wherever it is shown).
 */
export function registerTargetSecret(url: string): void {
  try {
    const parsed = new URL(url);
    const tail = `${parsed.pathname}${parsed.search}${parsed.hash}`;
    if (tail.length <= 1 && !parsed.username && !parsed.password) return;
    registerSecret(url);
    registerSecret(parsed.href);
    if (tail.length >= 8) registerSecret(tail);
  } catch {
    registerSecret(url);
  }
}

/** The body of a notification in the target's format, redacted as a whole. */
export function notificationBody(notification: Notification, format: NotifyFormat): string {
  const body =
    format === "slack"
      ? { text: `vonage-ir ${notification.runId}: ${notification.text}` }
      : { source: "vonage-ir", ...notification };
  return redactText(JSON.stringify(redact(body)));
}

/** ` (ECONNREFUSED)`: a failed fetch's code only, as its message and cause can quote the URL. */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === "string" && /^[A-Z_]+$/.test(code) ? ` (${code})` : "";
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export class Notifier {
  private readonly queue: Notification[] = [];
  private worker: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private dropped = 0;
  /** False after an event failed every try: later ones get one try each until one is delivered. */
  private healthy = true;
  /** Notifications delivered (2xx). */
  delivered = 0;

  constructor(
    private readonly target: NotifyTarget,
    private readonly options: NotifierOptions,
  ) {}

  /** Where it posts, as it may be shown. */
  get shown(): string {
    return describeTarget(this.target.url);
  }

  /** Queues a notification; returns at once. */
  post(notification: Notification): void {
    if (this.stop.signal.aborted) return;
    if (this.queue.length >= (this.options.queueLimit ?? 100)) {
      if (this.dropped++ === 0)
        this.fail(notification.event, "the queue is full: later events are dropped", 0);
      return;
    }
    this.queue.push(notification);
    this.worker ??= this.drain().finally(() => (this.worker = undefined));
  }

  /** Waits up to `budgetMs` for the queue to empty, then gives up on what is left (said as a failure). */
  async close(budgetMs: number): Promise<void> {
    if (this.worker) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
      await Promise.race([this.worker, expired]);
      clearTimeout(timer);
    }
    this.stop.abort();
    const left = this.queue.splice(0);
    if (left.length > 0)
      this.fail(left[0]!.event, `${left.length} notification(s) not sent before the run ended`, 0);
    await this.worker;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.deliver(next);
      if (this.stop.signal.aborted) return;
    }
  }

  private async deliver(notification: Notification): Promise<void> {
    const attempts = this.healthy ? (this.options.attempts ?? 3) : 1;
    const body = notificationBody(notification, this.target.format);
    let error = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await this.send(body);
      if (outcome === undefined) {
        this.delivered++;
        this.healthy = true;
        return;
      }
      error = outcome.error;
      if (!outcome.retry || this.stop.signal.aborted || attempt === attempts) break;
      await sleep((this.options.backoffMs ?? 500) * 2 ** (attempt - 1), this.stop.signal);
    }
    this.healthy = false;
    this.fail(notification.event, error, attempts);
  }

  /** One POST: undefined when delivered, else why and whether another try may help. */
  private async send(body: string): Promise<{ error: string; retry: boolean } | undefined> {
    const timeoutMs = this.target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // A timer of our own: a fetch given AbortSignal.any(AbortSignal.timeout(...)) may never be aborted.
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), request.abort()), timeoutMs);
    const stop = () => request.abort();
    this.stop.signal.addEventListener("abort", stop, { once: true });
    try {
      const response = await fetch(this.target.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: request.signal,
        redirect: "error",
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return undefined;
      return { error: `HTTP ${response.status}`, retry: response.status >= 500 || response.status === 429 };
    } catch (caught) {
      const why = timedOut ? `no answer within ${timeoutMs} ms` : `unreachable${errorCode(caught)}`;
      return { error: why, retry: !this.stop.signal.aborted };
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener("abort", stop);
    }
  }

  private fail(event: string, error: string, attempts: number): void {
    this.options.onFailure({ event, target: this.shown, error: redactText(error), attempts });
  }
}

/** The notification an event of the run makes, if any (run started, step finished, change failed or pending, run finished). */
export function notificationOf(event: Event, runId: string, at: string): Notification | undefined {
  const base = { runId, at };
  switch (event.kind) {
    case "run.started":
      return {
        ...base,
        event: "run.started",
        text: `${event.resumed ? "resumed" : "started"} runbook ${event.runbook} on account ${event.account} (${event.mode})`,
        data: { runbook: event.runbook, account: event.account, mode: event.mode, resumed: event.resumed },
      };
    case "step.finished":
      return {
        ...base,
        event: "step.finished",
        text: `step ${event.stepId}: ${event.status}${event.reason ? ` (${event.reason})` : ""}`,
        data: {
          stepId: event.stepId,
          status: event.status,
          durationMs: event.durationMs,
          reason: event.reason,
        },
      };
    case "change.finished":
      if (event.status !== "failed" && event.status !== "pending") return undefined;
      return {
        ...base,
        event: event.status === "failed" ? "change.failed" : "change.pending",
        text: `${event.status === "failed" ? "FAILED" : "waiting for a person"}: ${event.summary}${event.detail ? ` (${event.detail})` : ""}`,
        data: { changeId: event.changeId, summary: event.summary, detail: event.detail },
      };
    default:
      return undefined;
  }
}
