// Paces requests per Vonage API key (token bucket + bounded concurrency) and retries what is safe to retry:
// 429s always (Vonage did not execute the request), 5xx/network/timeouts only for idempotent requests.

export interface RequestSchedulerOptions {
  /** Requests per second per API key until Vonage advertises its limit. Default 25 (its default is about 30). */
  ratePerSecond?: number;
  /** Never pace faster than this, whatever the server advertises. Default: no cap beyond the advertised limit. */
  maxRatePerSecond?: number;
  /** Fraction of an advertised `X-RateLimit-Limit` to use (other clients may share the key). Default 0.95. */
  headroom?: number;
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
  /** Cap for one backoff or Retry-After wait. Default 30 s. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); used for jitter. */
  random?: () => number;
  now?: () => number;
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
  | { kind: "rate-limited"; waitMs: number | undefined; limit: number | undefined }
  | { kind: "retryable" }
  | { kind: "final" };

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

/** Milliseconds until `X-RateLimit-Reset`: an epoch (seconds or ms) or seconds from now, as APIs differ. */
function resetWaitMs(headers: HeaderBag, nowMs: number): number | undefined {
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
      return {
        kind: "rate-limited",
        waitMs: rateLimitWaitMs(response.headers, nowMs),
        limit: parseSeconds(response.headers?.get("x-ratelimit-limit")),
      };
    }
    if (response.status >= 500) return { kind: "retryable" };
    return { kind: "final" };
  }
  return isNetworkError(error) ? { kind: "retryable" } : { kind: "final" };
}

interface KeyState {
  intervalMs: number;
  /** The rate recovery climbs back to after a 429: configured, or derived from X-RateLimit-Limit. */
  ceilingRate: number;
  limitSeen: boolean;
  /** GCRA theoretical arrival time. */
  tat: number;
  pausedUntil: number;
  active: number;
  waiting: (() => void)[];
  stats: { requests: number; rateLimited: number; retries: number };
}

export class RequestScheduler {
  private readonly rate: number;
  private readonly maxRate: number;
  private readonly headroom: number;
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
    this.rate = positive(options.ratePerSecond, 25);
    this.maxRate = positive(options.maxRatePerSecond, Number.POSITIVE_INFINITY);
    this.headroom = Math.min(1, positive(options.headroom, 0.95));
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
        this.slowDown(state, failure.limit);
        const waitMs = Math.min(this.maxDelayMs, failure.waitMs ?? this.backoff(rateLimits));
        // Every request for this key waits, not only the one that was refused.
        state.pausedUntil = Math.max(state.pausedUntil, this.now() + waitMs);
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
   * Feeds response headers of key `key` to the pacing: `X-RateLimit-Limit` sets the rate (with headroom),
   * `X-RateLimit-Remaining: 0` holds every request of the key until `X-RateLimit-Reset`. The gateway calls this for
   * successful responses too (the SDK itself drops their headers).
   */
  observe(key: string, headers: HeaderBag): void {
    const state = this.state(key);
    const limit = parseSeconds(headers.get("x-ratelimit-limit"));
    if (limit !== undefined && limit > 0) {
      state.ceilingRate = Math.max(1, Math.min(this.maxRate, limit * this.headroom));
      if (!state.limitSeen || 1000 / state.intervalMs > state.ceilingRate)
        state.intervalMs = 1000 / state.ceilingRate;
      state.limitSeen = true;
    }
    if (headers.get("x-ratelimit-remaining")?.trim() === "0") {
      const waitMs = resetWaitMs(headers, this.now());
      if (waitMs !== undefined) {
        state.pausedUntil = Math.max(state.pausedUntil, this.now() + Math.min(this.maxDelayMs, waitMs));
      }
    }
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
        limitSeen: false,
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

  /** After a 429: multiplicative decrease, and at most 90% of an advertised limit. */
  private slowDown(state: KeyState, limit: number | undefined): void {
    const current = 1000 / state.intervalMs;
    const next = limit !== undefined && limit > 0 ? Math.min(current * 0.8, limit * 0.9) : current * 0.8;
    state.intervalMs = 1000 / Math.max(1, next);
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
