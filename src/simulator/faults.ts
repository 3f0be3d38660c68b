// Fault injection: latency with jitter, a per-API-key rate limit (429 + Retry-After + X-RateLimit-*), a 5xx
// rate per route, and dropped connections on chosen request numbers. Set at start, via /_sim/faults or setFaults.

import { z } from "zod";

export const FaultsSchema = z.object({
  latencyMs: z.number().int().min(0).default(0),
  jitterMs: z.number().int().min(0).default(0),
  /** Requests per API key per second; 0 = unlimited. */
  rateLimit: z.number().int().min(0).default(0),
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

/** Fixed one-second windows per API key. */
export class RateLimiter {
  private window = -1;
  private counts = new Map<string, number>();

  /** Counts one request; returns the headers to send and whether it is over the limit. */
  take(apiKey: string, limit: number, nowMs: number): { limited: boolean; headers: Record<string, string> } {
    const window = Math.floor(nowMs / 1000);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const used = (this.counts.get(apiKey) ?? 0) + 1;
    this.counts.set(apiKey, used);
    const limited = used > limit;
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, limit - used)),
      "X-RateLimit-Reset": String(window + 1),
    };
    // The window resets within a second, and Retry-After is whole seconds.
    if (limited) headers["Retry-After"] = "1";
    return { limited, headers };
  }

  reset(): void {
    this.window = -1;
    this.counts.clear();
  }
}
