// Paces requests per Vonage API key (token bucket + bounded concurrency) and retries what is safe to retry:
// 429s always (Vonage did not execute the request), 5xx/network/timeouts only for idempotent requests.
//
// The rate: Vonage's one published figure, 30 requests/s per API key, until the account's own
// `max-calls-per-second` is read (setAccountRate). `X-RateLimit-Limit` never sets it: Account 1.0.4 documents it as
// "Request limit per hour", other APIs send a per-second window, and the header does not say which. Read as per
// second, an hourly 3600 would pace at 3600/s (no pacing at all); read as per hour, a per-second 30 would pace at
// one request every two minutes. `X-RateLimit-Remaining`/`-Reset` carry no unit and are honoured, and a 429 slows
// the key down and waits for as long as Vonage asks.

export interface RequestSchedulerOptions {
  /** Requests per second per API key until the account's own rate is known. Default 30 (Vonage's published one). */
  ratePerSecond?: number;
  /** Never pace faster than this, whatever the account's settings say. Default: no cap. */
  maxRatePerSecond?: number;
  /** Whether setAccountRate changes the pacing. Default true; tests that pace freely turn it off. */
  followAccountRate?: boolean;
  /** Requests that may start back to back before pacing applies. Default 1 (strict pacing). */
  burst?: number;
  /** Requests in flight at once per API key. Default 8. */
  concurrency?: number;
  /** Attempts (first try included) for idempotent requests failing with 5xx, network errors or timeouts. Default 4. */
  maxAttempts?: number;
  /** Retries after 429 before giving up. Default 8. */
  maxRateLimitRetries?: number;
  /** First backoff step; doubles on each retry (full jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** Cap for one backoff of ours, and for a hold on `X-RateLimit-Remaining: 0`. Default 30 s. */
  maxDelayMs?: number;
  /** The longest wait Vonage may ask for (Retry-After, Reset) that is waited out; longer fails. Default 15 min. */
  maxServerWaitMs?: number;
  /** Told when Vonage asks a key to wait `NOTICE_WAIT_MS` or longer, once per wait, before it starts. */
  onWait?: (wait: RateLimitWait) => void;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); used for jitter. */
  random?: () => number;
  now?: () => number;
}

export interface RateLimitWait {
  key: string;
  waitMs: number;
}

/** Waits Vonage asks for from this long are shown (`onWait`); shorter ones are routine. */
export const NOTICE_WAIT_MS = 5_000;

/** The text shown for a wait, e.g. "Vonage asked to wait 90 s: waiting". */
export function describeWait(wait: RateLimitWait): string {
  return `Vonage asked to wait ${Math.ceil(wait.waitMs / 1000)} s: waiting`;
}

export interface RunOptions {
  /** Safe to repeat when the outcome is unknown (reads, DELETE, PATCH suspend, number link). Never a create. */
  idempotent: boolean;
}

export interface SchedulerStats {
  /** Attempts started (every HTTP request, retries included). */
  requests: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Attempts that were repeats of an earlier failed attempt. */
  retries: number;
  byKey: Record<string, { requests: number; rateLimited: number; retries: number }>;
}

/** How the scheduler sees a failure; read from the SDK error's response status and headers only. */
export type FailureClass =
  { kind: "rate-limited"; waitMs: number | undefined } | { kind: "retryable" } | { kind: "final" };

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

interface HeaderBag {
  get(name: string): string | null;
}

function responseOf(error: unknown): { status: number; headers: HeaderBag | undefined } | undefined {
  if (typeof error !== "object" || error === null || !("response" in error)) return undefined;
  const response = (error as { response: unknown }).response;
  if (typeof response !== "object" || response === null) return undefined;
  const status = (response as { status?: unknown }).status;
  if (typeof status !== "number") return undefined;
  const headers = (response as { headers?: unknown }).headers;
  const bag =
    typeof headers === "object" && headers !== null && typeof (headers as HeaderBag).get === "function"
      ? (headers as HeaderBag)
      : undefined;
  return { status, headers: bag };
}

/** True for failures where no HTTP answer arrived: connection refused/reset, DNS, socket hang-up, timeouts. */
export function isNetworkError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; type?: unknown; cause?: unknown; message?: unknown };
  if (e.name === "AbortError" || e.name === "TimeoutError") return true;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  if (e.name === "FetchError" && (e.type === "system" || e.type === "request-timeout")) return true;
  if (typeof e.message === "string" && /socket hang up|fetch failed|premature close/i.test(e.message))
    return true;
  if (e.cause !== undefined && e.cause !== error) return isNetworkError(e.cause);
  return false;
}

function parseSeconds(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Milliseconds to wait from `Retry-After` (seconds or HTTP date), else from `X-RateLimit-Reset`. */
export function rateLimitWaitMs(headers: HeaderBag | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const retryAfter = headers.get("retry-after");
  const seconds = parseSeconds(retryAfter);
  if (seconds !== undefined) return seconds * 1000;
  if (retryAfter) {
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  return resetWaitMs(headers, nowMs);
}

/**
 * Milliseconds until `X-RateLimit-Reset`, told apart by magnitude: an epoch in milliseconds (Account 1.0.4's
 * example, above 1e12), an epoch in seconds (above 1e9), else seconds from now.
 */
export function resetWaitMs(headers: HeaderBag, nowMs: number): number | undefined {
  const reset = parseSeconds(headers.get("x-ratelimit-reset"));
  if (reset === undefined) return undefined;
  if (reset > 1e12) return Math.max(0, reset - nowMs);
  if (reset > 1e9) return Math.max(0, reset * 1000 - nowMs);
  return reset * 1000;
}

export function classifyFailure(error: unknown, nowMs: number): FailureClass {
  const response = responseOf(error);
  if (response) {
    if (response.status === 429) {
      return { kind: "rate-limited", waitMs: rateLimitWaitMs(response.headers, nowMs) };
    }
    if (response.status >= 500) return { kind: "retryable" };
    return { kind: "final" };
  }
  return isNetworkError(error) ? { kind: "retryable" } : { kind: "final" };
}

interface KeyState {
  intervalMs: number;
  /** The rate recovery climbs back to after a 429: configured, or the account's own. */
  ceilingRate: number;
  /** GCRA theoretical arrival time. */
  tat: number;
  pausedUntil: number;
  active: number;
  waiting: (() => void)[];
  stats: { requests: number; rateLimited: number; retries: number };
}

/** Vonage's published default: 30 requests per second per API key (support article 203993598). */
export const DEFAULT_RATE_PER_SECOND = 30;

export class RequestScheduler {
  private readonly rate: number;
  private readonly maxRate: number;
  private readonly followAccountRate: boolean;
  private readonly maxServerWaitMs: number;
  private readonly onWait: ((wait: RateLimitWait) => void) | undefined;
  private readonly burst: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly maxRateLimitRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly keys = new Map<string, KeyState>();

  constructor(options: RequestSchedulerOptions = {}) {
    this.rate = positive(options.ratePerSecond, DEFAULT_RATE_PER_SECOND);
    this.maxRate = positive(options.maxRatePerSecond, Number.POSITIVE_INFINITY);
    this.followAccountRate = options.followAccountRate ?? true;
    this.maxServerWaitMs = options.maxServerWaitMs ?? 15 * 60_000;
    this.onWait = options.onWait;
    this.burst = Math.max(1, Math.floor(positive(options.burst, 1)));
    this.concurrency = Math.max(1, Math.floor(positive(options.concurrency, 8)));
    this.maxAttempts = Math.max(1, Math.floor(positive(options.maxAttempts, 4)));
    this.maxRateLimitRetries = Math.max(0, Math.floor(options.maxRateLimitRetries ?? 8));
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `fn` for API key `key` once a token and a concurrency slot are free. `fn` gets the attempt number
   * (1-based) so a DELETE retried after an unknown outcome can treat 404 as done.
   */
  async run<T>(key: string, options: RunOptions, fn: (attempt: number) => Promise<T>): Promise<T> {
    const state = this.state(key);
    let attempt = 0;
    let failures = 0;
    let rateLimits = 0;
    for (;;) {
      attempt++;
      await this.acquire(state);
      state.stats.requests++;
      if (attempt > 1) state.stats.retries++;
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await fn(attempt) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        this.release(state);
      }
      if (outcome.ok) {
        this.speedUp(state);
        return outcome.value;
      }
      const error = outcome.error;
      const headers = responseOf(error)?.headers;
      if (headers) this.observe(key, headers);
      const failure = classifyFailure(error, this.now());
      if (failure.kind === "rate-limited") {
        state.stats.rateLimited++;
        rateLimits++;
        if (rateLimits > this.maxRateLimitRetries) throw error;
        // Waited out in full, however long, up to maxServerWaitMs: retrying earlier only earns another 429.
        if (failure.waitMs !== undefined && failure.waitMs > this.maxServerWaitMs) throw error;
        this.slowDown(state);
        this.pause(key, state, failure.waitMs ?? this.backoff(rateLimits), failure.waitMs !== undefined);
        continue;
      }
      if (failure.kind === "retryable" && options.idempotent) {
        failures++;
        if (failures >= this.maxAttempts) throw error;
        await this.sleep(this.backoff(failures));
        continue;
      }
      throw error;
    }
  }

  stats(): SchedulerStats {
    const byKey: SchedulerStats["byKey"] = {};
    let requests = 0;
    let rateLimited = 0;
    let retries = 0;
    for (const [key, state] of this.keys) {
      byKey[key] = { ...state.stats };
      requests += state.stats.requests;
      rateLimited += state.stats.rateLimited;
      retries += state.stats.retries;
    }
    return { requests, rateLimited, retries, byKey };
  }

  /**
   * Feeds response headers of key `key` to the pacing: `X-RateLimit-Remaining: 0` holds every request of the key
   * until `X-RateLimit-Reset` (at most maxDelayMs: the window may be an hour, and a 429 then says how long to
   * wait). The gateway calls this for successful responses too (the SDK itself drops their headers).
   */
  observe(key: string, headers: HeaderBag): void {
    const state = this.state(key);
    if (headers.get("x-ratelimit-remaining")?.trim() === "0") {
      const waitMs = resetWaitMs(headers, this.now());
      if (waitMs !== undefined) this.pause(key, state, Math.min(this.maxDelayMs, waitMs), true);
    }
  }

  /**
   * The account's own rate (`max-calls-per-second` of its settings) for key `key`: pacing moves to it, unless
   * 429s already slowed the key below it (recovery then climbs back to it).
   */
  setAccountRate(key: string, ratePerSecond: number): void {
    if (!this.followAccountRate || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) return;
    const state = this.state(key);
    const rate = Math.min(this.maxRate, ratePerSecond);
    state.ceilingRate = rate;
    if (state.stats.rateLimited === 0 || 1000 / state.intervalMs > rate) state.intervalMs = 1000 / rate;
  }

  /** Current pacing for a key, in requests per second (lowered after 429s). */
  currentRate(key: string): number {
    return 1000 / this.state(key).intervalMs;
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = {
        intervalMs: 1000 / Math.min(this.rate, this.maxRate),
        ceilingRate: Math.min(this.rate, this.maxRate),
        tat: 0,
        pausedUntil: 0,
        active: 0,
        waiting: [],
        stats: { requests: 0, rateLimited: 0, retries: 0 },
      };
      this.keys.set(key, state);
    }
    return state;
  }

  private backoff(failures: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
    // Full jitter, but never less than half the step, so retries do not hammer a struggling server.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /**
   * Holds every request of the key (not only the refused one) for `waitMs`. A wait Vonage asked for
   * (`fromServer`) of NOTICE_WAIT_MS or more is told to onWait, once: not again for each request caught in it.
   */
  private pause(key: string, state: KeyState, waitMs: number, fromServer: boolean): void {
    const until = this.now() + waitMs;
    const extension = until - state.pausedUntil;
    state.pausedUntil = Math.max(state.pausedUntil, until);
    if (fromServer && waitMs >= NOTICE_WAIT_MS && extension >= 1000) this.onWait?.({ key, waitMs });
  }

  /** After a 429: multiplicative decrease. */
  private slowDown(state: KeyState): void {
    state.intervalMs = 1000 / Math.max(1, (1000 / state.intervalMs) * 0.8);
  }

  /** After a success: additive increase back towards the ceiling. */
  private speedUp(state: KeyState): void {
    const current = 1000 / state.intervalMs;
    if (current < state.ceilingRate) {
      state.intervalMs = 1000 / Math.min(state.ceilingRate, current + state.ceilingRate * 0.02);
    }
  }

  private async acquire(state: KeyState): Promise<void> {
    if (state.active >= this.concurrency) {
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    } else {
      state.active++;
    }
    // A slot is held from here. Wait out any 429 pause, then reserve a start time (GCRA) and wait for it.
    const pausedFor = state.pausedUntil - this.now();
    if (pausedFor > 0) await this.sleep(pausedFor);
    const now = this.now();
    const tolerance = state.intervalMs * (this.burst - 1);
    const tat = Math.max(state.tat, now);
    state.tat = tat + state.intervalMs;
    const startAt = tat - tolerance;
    if (startAt > now) await this.sleep(startAt - now);
  }

  private release(state: KeyState): void {
    const next = state.waiting.shift();
    // Hand the slot straight to the next waiter; `active` stays the same.
    if (next) next();
    else state.active--;
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
