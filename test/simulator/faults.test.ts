// Fault injection as a client sees it: 429 with rate-limit headers, injected 5xx, dropped connections, latency.

import { Vonage } from "@vonage/server-sdk";
import { describe, expect, it } from "vitest";

import type { RunningSimulator } from "../../src/simulator/index.js";
import { admin, raw } from "./raw-request.js";
import { sdkFailure } from "./sdk-errors.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "clean" });

function client(sim: RunningSimulator): Vonage {
  return new Vonage(sim.primary, { apiHost: sim.url, restHost: sim.url });
}

describe("rate limit", () => {
  it("answers 429 with Retry-After and X-RateLimit-* once a key exceeds its per-second limit", async () => {
    const sim = await start({ rateLimit: 3 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => raw(sim, "GET", "/account/get-balance")),
    );
    const limited = responses.filter((r) => r.status === 429);
    // Even if the burst straddles a one-second window, at most 6 of 10 fit.
    expect(limited.length).toBeGreaterThanOrEqual(4);
    const first = limited[0];
    expect(first?.headers.get("retry-after")).toBe("1");
    expect(first?.headers.get("x-ratelimit-limit")).toBe("3");
    expect(first?.headers.get("x-ratelimit-remaining")).toBe("0");
    // Epoch milliseconds, as Account API 1.0.4's example shows it.
    const reset = Number(first?.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(Date.now() - 2000);
    expect(reset).toBeLessThan(Date.now() + 2000);
    // Account API 1.0.4: the 429 of /account/* is RFC 7807 problem JSON.
    expect(first?.contentType).toBe("application/problem+json");
    expect(first?.body).toMatchObject({
      title: "Rate Limit Hit",
      type: expect.stringMatching(/#throttled$/),
    });
    const ok = responses.find((r) => r.status === 200);
    expect(ok?.headers.get("x-ratelimit-limit")).toBe("3");
  });

  it("defaults to 30 requests per second per API key", async () => {
    const sim = await start();
    const responses = await Promise.all(
      Array.from({ length: 70 }, () => raw(sim, "GET", "/v2/applications?page_size=1")),
    );
    expect(responses[0]?.headers.get("x-ratelimit-limit")).toBe("30");
    // 70 requests span at most two one-second windows: at least 10 are refused.
    expect(responses.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(10);
  });

  it("a long Retry-After fault asks for 90 s and keeps the key refused until it is lifted", async () => {
    const sim = await start({ rateLimit: 1 });
    const set = await admin(sim, "POST", "/_sim/faults", { retryAfterSeconds: 90 });
    expect(set.body).toMatchObject({ rateLimit: 1, retryAfterSeconds: 90 });
    const burst = await Promise.all(Array.from({ length: 3 }, () => raw(sim, "GET", "/account/get-balance")));
    const limited = burst.find((r) => r.status === 429);
    expect(limited?.headers.get("retry-after")).toBe("90");
    expect(Number(limited?.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() + 85_000);
    await new Promise((r) => setTimeout(r, 1100));
    const later = await raw(sim, "GET", "/account/get-balance");
    expect(later.status).toBe(429);
    expect(Number(later.headers.get("retry-after"))).toBeGreaterThan(80);
    await admin(sim, "POST", "/_sim/faults", { retryAfterSeconds: 0 });
    expect((await raw(sim, "GET", "/account/get-balance")).status).toBe(200);
  });

  it("limits each API key separately and uses each family's error body", async () => {
    const sim = await start();
    sim.setFaults({ rateLimit: 1 });
    const problems = await Promise.all(Array.from({ length: 4 }, () => raw(sim, "GET", "/v2/applications")));
    const limited = problems.find((r) => r.status === 429);
    expect(limited?.body).toMatchObject({
      title: "Rate Limit Hit",
      type: expect.stringMatching(/#throttled$/),
    });
    const other = await raw(sim, "GET", "/v2/applications", { auth: ["otherkey", "Whatever-1"] });
    expect(other.status).toBe(401);
  });

  it("is visible to the SDK as a 429 rejection", async () => {
    const sim = await start({ rateLimit: 1 });
    const vonage = client(sim);
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => vonage.accounts.getBalance()));
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    const failure = await sdkFailure(Promise.reject((rejected[0] as PromiseRejectedResult).reason));
    expect(failure.status).toBe(429);
  });
});

describe("server errors", () => {
  it("fails only the configured route, with the route's error family", async () => {
    const sim = await start();
    sim.setFaults({ errorRate: { "GET /account/get-balance": 1, "DELETE /v2/applications/{id}": 1 } });
    const vonage = client(sim);
    const failure = await sdkFailure(vonage.accounts.getBalance());
    expect(failure).toMatchObject({
      status: 500,
      body: { type: "https://developer.nexmo.com/api-errors#internal-error", title: "Internal Server Error" },
    });
    const app = sim.dumpState().applications[0]?.id ?? "";
    const del = await sdkFailure(vonage.applications.deleteApplication(app));
    expect(del.status).toBe(500);
    expect(del.body).toMatchObject({ title: "Internal Server Error" });
    expect((await vonage.applications.getApplication(app)).id).toBe(app);
    sim.setFaults({ errorRate: { "GET /account/numbers": 1 } });
    // The Numbers API keeps its own error body.
    expect((await raw(sim, "GET", "/account/numbers")).body).toEqual({
      "error-code": "500",
      "error-code-label": "internal error",
    });
  });

  it('"*" with a custom status applies everywhere; set through /_sim/faults', async () => {
    const sim = await start();
    const set = await admin(sim, "POST", "/_sim/faults", { errorRate: { "*": 1 }, errorStatus: 503 });
    expect(set.body).toMatchObject({ errorRate: { "*": 1 }, errorStatus: 503 });
    const res = await raw(sim, "GET", "/beta/audit/events");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 503, error: "Internal Server Error" });
    await admin(sim, "DELETE", "/_sim/faults");
    expect((await raw(sim, "GET", "/beta/audit/events")).status).toBe(200);
  });
});

describe("dropped connections", () => {
  it("destroys the socket on the chosen request numbers only", async () => {
    const sim = await start();
    sim.setFaults({ dropConnectionOn: [2] });
    const vonage = client(sim);
    await vonage.accounts.getBalance();
    const dropped = await vonage.accounts.getBalance().then(
      () => "answered",
      (err: unknown) => (err as Error).message,
    );
    expect(dropped).not.toBe("answered");
    expect(dropped).not.toMatch(/status code/);
    await vonage.accounts.getBalance();
    expect(sim.requests().map((r) => r.status)).toEqual([200, 0, 200]);
    expect(sim.requestCount()).toBe(3);
  });
});

describe("latency", () => {
  it("delays responses by at least the configured latency (checked in the request log)", async () => {
    const sim = await start({ latencyMs: 40, jitterMs: 10 });
    await client(sim).accounts.getBalance();
    expect(sim.requests()[0]?.durationMs).toBeGreaterThanOrEqual(40);
  });
});

describe("onRequest", () => {
  it("reports every API request with its number, method, path and API key", async () => {
    const seen: string[] = [];
    const sim = await start({
      onRequest: (n, info) => seen.push(`${n} ${info.method} ${info.path} ${info.apiKey ?? "-"}`),
    });
    await client(sim).accounts.getBalance();
    await raw(sim, "GET", "/v2/applications", { auth: null });
    await admin(sim, "GET", "/_sim/state");
    expect(seen).toEqual([`1 GET /account/get-balance ${sim.primary.apiKey}`, "2 GET /v2/applications -"]);
  });
});
