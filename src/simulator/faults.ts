// Fault injection: latency with jitter, a per-API-key rate limit (Vonage's published default of 30 requests/s;
// 429 + Retry-After + X-RateLimit-*), a long Retry-After on demand, a 5xx rate per route, and dropped connections
// on chosen request numbers. Set at start, via /_sim/faults or setFaults.

import { z } from "zod";

export const FaultsSchema = z.object({
  latencyMs: z.number().int().min(0).default(0),
  jitterMs: z.number().int().min(0).default(0),
  /** Requests per API key per second; 0 = unlimited. Default 30, Vonage's one published figure. */
  rateLimit: z.number().int().min(0).default(30),
  /**
   * When above 0, a 429 asks for this many seconds in Retry-After (e.g. 90) instead of the one second the
   * window needs, and the key stays refused for that long.
   */
  retryAfterSeconds: z.number().int().min(0).max(86_400).default(0),
  /**
   * Probability (0..1) of a 5xx, keyed by route: `"GET /v2/applications"`, `"DELETE /accounts/{api_key}/secrets/{id}"`
   * style patterns (see routeKey), or `"*"` for every API route.
   */
  errorRate: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** Status used for injected server errors. */
  errorStatus: z.number().int().min(500).max(599).default(500),
  /** 1-based API request numbers (as counted by requestCount) whose connection is destroyed unanswered. */
  dropConnectionOn: z.array(z.number().int().min(1)).default([]),
});

export type Faults = z.infer<typeof FaultsSchema>;
export type FaultsInput = z.input<typeof FaultsSchema>;

export function noFaults(): Faults {
  return FaultsSchema.parse({});
}

/** Merges a partial update into the current faults, validating the result. */
export function mergeFaults(current: Faults, update: unknown): Faults {
  if (typeof update !== "object" || update === null || Array.isArray(update)) {
    throw new Error("faults must be a JSON object");
  }
  // Only the keys the caller sent: parsing a partial would fill the others with their defaults.
  return FaultsSchema.parse({ ...current, ...update });
}

/**
 * The route pattern of a path, used as the errorRate key: ids and keys become placeholders so one entry covers
 * every application or secret.
 */
export function routeKey(method: string, path: string): string {
  const pattern = path
    .replace(/^\/accounts\/[^/]+\/secrets\/[^/]+$/, "/accounts/{api_key}/secrets/{secret_id}")
    .replace(/^\/accounts\/[^/]+\/secrets$/, "/accounts/{api_key}/secrets")
    .replace(/^\/accounts\/[^/]+\/subaccounts\/[^/]+$/, "/accounts/{api_key}/subaccounts/{subaccount_key}")
    .replace(/^\/accounts\/[^/]+\/subaccounts$/, "/accounts/{api_key}/subaccounts")
    .replace(/^\/v2\/applications\/[^/]+$/, "/v2/applications/{id}")
    .replace(/^\/beta\/audit\/events\/[^/]+$/, "/beta/audit/events/{id}");
  return `${method} ${pattern.replace(/\/$/, "") || "/"}`;
}

/** Fixed one-second windows per API key, plus keys held back until a long Retry-After has passed. */
export class RateLimiter {
  private window = -1;
  private counts = new Map<string, number>();
  private blockedUntil = new Map<string, number>();

  /**
   * Counts one request; returns the headers to send and whether it is over the limit. X-RateLimit-Reset is the
   * epoch in milliseconds when the key may send again, as Account API 1.0.4's example shows it.
   */
  take(
    apiKey: string,
    limit: number,
    nowMs: number,
    retryAfterSeconds = 0,
  ): { limited: boolean; headers: Record<string, string> } {
    const window = Math.floor(nowMs / 1000);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const used = (this.counts.get(apiKey) ?? 0) + 1;
    this.counts.set(apiKey, used);
    const blocked = this.blockedUntil.get(apiKey);
    const held = blocked !== undefined && blocked > nowMs;
    const limited = held || used > limit;
    let resetMs = (window + 1) * 1000;
    let retryAfter = 1;
    if (held) {
      resetMs = blocked;
      retryAfter = Math.ceil((blocked - nowMs) / 1000);
    } else if (limited && retryAfterSeconds > 0) {
      resetMs = nowMs + retryAfterSeconds * 1000;
      retryAfter = retryAfterSeconds;
      this.blockedUntil.set(apiKey, resetMs);
    }
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(limited ? 0 : Math.max(0, limit - used)),
      "X-RateLimit-Reset": String(resetMs),
    };
    if (limited) headers["Retry-After"] = String(retryAfter);
    return { limited, headers };
  }

  reset(): void {
    this.window = -1;
    this.counts.clear();
    this.blockedUntil.clear();
  }
}
