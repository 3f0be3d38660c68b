import { afterEach, describe, expect, it } from "vitest";
import { VonageApiError } from "../../../src/core/errors.js";
import {
  describeWait,
  RequestScheduler,
  type RateLimitWait,
  type RequestSchedulerOptions,
} from "../../../src/vonage/request-scheduler.js";
import { createSdkGateway } from "../../../src/vonage/sdk-gateway.js";
import { startTinyServer, type Reply, type TinyServer } from "./tiny-server.js";

/** A clock that only moves when the scheduler sleeps: waits are recorded, never spent. */
function fakeTime() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function scheduler(extra: RequestSchedulerOptions = {}) {
  const time = fakeTime();
  // A large burst keeps pacing out of the way so only retry waits are recorded.
  const s = new RequestScheduler({
    burst: 1000,
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...extra,
  });
  return { s, time };
}

const creds = { apiKey: "abcd1234", apiSecret: "Sched-Secret-123" };
const secretBody = { _links: { self: { href: "x" } }, id: "s-1", created_at: "2024-01-01T00:00:00Z" };
const secretsBody = { _links: { self: { href: "x" } }, _embedded: { secrets: [secretBody] } };

let server: TinyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function gatewayAgainst(replies: Reply[], s: RequestScheduler) {
  server = await startTinyServer(replies);
  return createSdkGateway({ credentials: creds, apiHost: server.url, restHost: server.url, scheduler: s });
}

describe("RequestScheduler over real HTTP", () => {
  it("waits for Retry-After after a 429 and then retries", async () => {
    const { s, time } = scheduler();
    const gw = await gatewayAgainst(
      [
        { status: 429, headers: { "retry-after": "2" }, body: { title: "Too Many Requests" } },
        { status: 200, body: secretsBody },
      ],
      s,
    );
    await expect(gw.listSecrets(creds.apiKey)).resolves.toEqual([
      { id: "s-1", createdAt: "2024-01-01T00:00:00Z" },
    ]);
    expect(server?.seen).toHaveLength(2);
    expect(time.sleeps).toContain(2000);
    expect(s.stats()).toMatchObject({ requests: 2, rateLimited: 1, retries: 1 });
  });

  it("retries a create after a 429, because Vonage did not execute it", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst(
      [
        { status: 429, headers: { "retry-after": "1" } },
        { status: 201, body: secretBody },
      ],
      s,
    );
    await expect(gw.createSecret(creds.apiKey, "NewSecret123")).resolves.toEqual({
      id: "s-1",
      createdAt: "2024-01-01T00:00:00Z",
    });
    expect(server?.seen.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("never retries a create after a 5xx: the error surfaces for reconciliation", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst(
      [
        { status: 500, body: { title: "Internal Error" } },
        { status: 201, body: secretBody },
      ],
      s,
    );
    const error = await gw.createSecret(creds.apiKey, "NewSecret123").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VonageApiError);
    expect((error as VonageApiError).kind).toBe("server");
    expect(server?.seen).toHaveLength(1);
  });

  it("never retries a create after a dropped connection", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst([{ drop: true }, { status: 201, body: secretBody }], s);
    const error = await gw.createSecret(creds.apiKey, "NewSecret123").catch((e: unknown) => e);
    expect((error as VonageApiError).kind).toBe("unreachable");
    expect(server?.seen).toHaveLength(1);
  });

  it("retries idempotent reads on 5xx and dropped connections with growing jittered backoff", async () => {
    const { s, time } = scheduler();
    const gw = await gatewayAgainst(
      [{ status: 503 }, { drop: true }, { status: 502 }, { status: 200, body: secretsBody }],
      s,
    );
    await expect(gw.listSecrets(creds.apiKey)).resolves.toHaveLength(1);
    expect(server?.seen).toHaveLength(4);
    expect(time.sleeps).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = time.sleeps;
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
    expect(s.stats()).toMatchObject({ requests: 4, retries: 3, rateLimited: 0 });
  });

  it("gives up after 4 attempts and maps the last error", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst([{ status: 500, body: { title: "Internal Error", detail: "boom" } }], s);
    const error = (await gw.getBalance().catch((e: unknown) => e)) as VonageApiError;
    expect(error.kind).toBe("server");
    expect(error.message).toContain("boom");
    expect(server?.seen).toHaveLength(4);
  });

  it("retries a DELETE after a 5xx and treats 404 on the retry as already done", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst([{ status: 500 }, { status: 404, body: { title: "Not Found" } }], s);
    await expect(gw.revokeSecret(creds.apiKey, "s-1")).resolves.toBeUndefined();
    expect(server?.seen.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("reports a 404 on the first DELETE attempt as not-found", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst([{ status: 404, body: { title: "Not Found", type: "x#invalid-id" } }], s);
    await expect(gw.revokeSecret(creds.apiKey, "s-1")).rejects.toMatchObject({ kind: "not-found" });
  });

  it("waits until X-RateLimit-Reset and slows down", async () => {
    const { s, time } = scheduler({ ratePerSecond: 25 });
    const gw = await gatewayAgainst(
      [
        {
          status: 429,
          headers: { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" },
        },
        { status: 200, body: secretsBody },
      ],
      s,
    );
    await gw.listSecrets(creds.apiKey);
    expect(time.sleeps).toContain(3000);
    // 30/s lowered by a fifth after the 429, then one success's small step back up.
    expect(s.currentRate(creds.apiKey)).toBeLessThan(22);
  });

  it("waits out a Retry-After longer than 30 s in full, telling onWait once, and the request succeeds", async () => {
    const waits: RateLimitWait[] = [];
    const { s, time } = scheduler({ onWait: (w) => waits.push(w) });
    const gw = await gatewayAgainst(
      [
        { status: 429, headers: { "retry-after": "90" }, body: { title: "Too Many Requests" } },
        { status: 200, body: secretsBody },
      ],
      s,
    );
    await expect(gw.listSecrets(creds.apiKey)).resolves.toHaveLength(1);
    expect(time.sleeps).toContain(90_000);
    expect(waits).toEqual([{ key: creds.apiKey, waitMs: 90_000 }]);
    expect(describeWait(waits[0] as RateLimitWait)).toBe("Vonage asked to wait 90 s: waiting");
  });

  it("tells one wait once, however many requests of the key it refused", async () => {
    const waits: RateLimitWait[] = [];
    // The refusals arrive together, as they do from Vonage: a clock that does not move while they do.
    const s = new RequestScheduler({
      burst: 1000,
      concurrency: 4,
      now: () => 1_000_000,
      sleep: async () => undefined,
      onWait: (w) => waits.push(w),
    });
    let refused = 0;
    server = await startTinyServer(() =>
      refused++ < 3 ? { status: 429, headers: { "retry-after": "60" } } : { status: 200, body: secretsBody },
    );
    const gw = createSdkGateway({
      credentials: creds,
      apiHost: server.url,
      restHost: server.url,
      scheduler: s,
    });
    await Promise.all([1, 2, 3].map(() => gw.listSecrets(creds.apiKey)));
    expect(refused).toBeGreaterThanOrEqual(4);
    expect(waits).toHaveLength(1);
  });

  it("short waits are routine: not told", async () => {
    const waits: RateLimitWait[] = [];
    const { s } = scheduler({ onWait: (w) => waits.push(w) });
    const gw = await gatewayAgainst(
      [
        { status: 429, headers: { "retry-after": "2" } },
        { status: 200, body: secretsBody },
      ],
      s,
    );
    await gw.listSecrets(creds.apiKey);
    expect(waits).toEqual([]);
  });

  it("fails, without retrying, when Vonage asks for a wait beyond maxServerWaitMs", async () => {
    const { s, time } = scheduler({ maxServerWaitMs: 60_000 });
    const gw = await gatewayAgainst([{ status: 429, headers: { "retry-after": "3600" } }], s);
    await expect(gw.getBalance()).rejects.toMatchObject({ kind: "rate-limited", status: 429 });
    expect(server?.seen).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it("reads X-RateLimit-Reset as an epoch in milliseconds or in seconds, by its magnitude", async () => {
    for (const [reset, expected] of [
      [String(1_000_000 + 45_000 + 1_700_000_000_000), 45_000],
      [String(1_700_000_045), 45_000],
    ] as const) {
      const { s, time } = scheduler({
        now: () => (reset.length > 10 ? 1_700_000_000_000 + 1_000_000 : 1_700_000_000_000),
      });
      const gw = await gatewayAgainst(
        [
          { status: 429, headers: { "x-ratelimit-reset": reset } },
          { status: 200, body: secretsBody },
        ],
        s,
      );
      await gw.listSecrets(creds.apiKey);
      expect(time.sleeps[0]).toBe(expected);
      await server?.close();
      server = undefined;
    }
  });

  it("gives up after too many 429s and maps them to rate-limited", async () => {
    const { s } = scheduler({ maxRateLimitRetries: 2 });
    const gw = await gatewayAgainst([{ status: 429, headers: { "retry-after": "1" } }], s);
    await expect(gw.getBalance()).rejects.toMatchObject({ kind: "rate-limited", status: 429 });
    expect(server?.seen).toHaveLength(3);
    expect(s.stats().rateLimited).toBe(3);
  });
});

describe("RequestScheduler rate: Vonage's 30/s, the account's own, never X-RateLimit-Limit", () => {
  it("paces at 30 requests/s per key by default", async () => {
    const time = fakeTime();
    const s = new RequestScheduler({ sleep: time.sleep, now: time.now });
    expect(s.currentRate("k")).toBeCloseTo(30);
    for (let i = 0; i < 3; i++) await s.run("k", { idempotent: true }, async () => i);
    expect(time.sleeps.map((ms) => Math.round(ms))).toEqual([33, 33]);
  });

  it("moves to the account's max-calls-per-second once the settings are read", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst(
      [{ status: 200, body: { "mo-callback-url": "", "dr-callback-url": "", "max-calls-per-second": 12 } }],
      s,
    );
    await expect(gw.getAccountSettings()).resolves.toMatchObject({ maxCallsPerSecond: 12 });
    expect(s.currentRate(creds.apiKey)).toBeCloseTo(12);
  });

  it("an account rate above a 429-lowered pace is the ceiling recovery climbs to, not a jump", async () => {
    const { s } = scheduler();
    let calls = 0;
    const refusedOnce = async () => {
      if (calls++ === 0) throw { response: { status: 429, headers: new Headers({ "retry-after": "1" }) } };
      return 1;
    };
    await s.run("k", { idempotent: true }, refusedOnce);
    const lowered = s.currentRate("k");
    expect(lowered).toBeLessThan(30);
    s.setAccountRate("k", 50);
    expect(s.currentRate("k")).toBe(lowered);
    for (let i = 0; i < 20; i++) await s.run("k", { idempotent: true }, async () => i);
    expect(s.currentRate("k")).toBeGreaterThan(30);
    expect(s.currentRate("k")).toBeLessThanOrEqual(50);
  });

  it("keeps its configured rate when told not to follow the account's", () => {
    const { s } = scheduler({ followAccountRate: false });
    s.setAccountRate("k", 50);
    expect(s.currentRate("k")).toBeCloseTo(30);
  });

  it("does not take X-RateLimit-Limit as a per-second rate (Account 1.0.4: per hour)", async () => {
    const { s } = scheduler();
    const gw = await gatewayAgainst(
      [
        {
          status: 200,
          body: secretsBody,
          headers: { "x-ratelimit-limit": "3600", "x-ratelimit-remaining": "3599" },
        },
      ],
      s,
    );
    await gw.listSecrets(creds.apiKey);
    expect(s.currentRate(creds.apiKey)).toBeCloseTo(30);
  });

  it("never paces above maxRatePerSecond, whatever the account says", () => {
    const { s } = scheduler({ maxRatePerSecond: 40 });
    s.setAccountRate("k", 100);
    expect(s.currentRate("k")).toBeCloseTo(40);
  });

  it("holds every request of the key when Remaining is 0, until Reset", async () => {
    const { s, time } = scheduler();
    s.observe("k", new Headers({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2" }));
    await s.run("k", { idempotent: true }, async () => 1);
    await s.run("other", { idempotent: true }, async () => 1);
    expect(time.sleeps).toEqual([2000]);
  });

  it("climbs back towards the limit after a 429 slowed it down", async () => {
    const { s } = scheduler({ ratePerSecond: 50 });
    const gw = await gatewayAgainst(
      [
        { status: 429, headers: { "retry-after": "1" } },
        { status: 200, body: secretsBody },
      ],
      s,
    );
    await gw.listSecrets(creds.apiKey);
    const afterOne = s.currentRate(creds.apiKey);
    expect(afterOne).toBeLessThan(50);
    for (let i = 0; i < 5; i++) await gw.listSecrets(creds.apiKey);
    expect(s.currentRate(creds.apiKey)).toBeGreaterThan(afterOne);
    expect(s.currentRate(creds.apiKey)).toBeLessThanOrEqual(50);
  });
});

describe("RequestScheduler pacing and concurrency", () => {
  it("spaces requests of one key by the token interval", async () => {
    const time = fakeTime();
    const s = new RequestScheduler({ ratePerSecond: 10, sleep: time.sleep, now: time.now });
    for (let i = 0; i < 5; i++) await s.run("k", { idempotent: true }, async () => i);
    // The first request starts at once, each later one waits for its 100 ms slot.
    expect(time.sleeps).toEqual([100, 100, 100, 100]);
  });

  it("paces each API key separately", async () => {
    const time = fakeTime();
    const s = new RequestScheduler({ ratePerSecond: 10, sleep: time.sleep, now: time.now });
    await s.run("a", { idempotent: true }, async () => 1);
    await s.run("b", { idempotent: true }, async () => 1);
    expect(time.sleeps).toEqual([]);
    expect(Object.keys(s.stats().byKey).sort()).toEqual(["a", "b"]);
  });

  it("never runs more than `concurrency` requests of one key at once", async () => {
    const s = new RequestScheduler({ ratePerSecond: 1e6, burst: 1e6, concurrency: 3 });
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        s.run("k", { idempotent: true }, async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setImmediate(resolve));
          active--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(s.stats().requests).toBe(12);
  });

  it("does not retry errors that are not 429, 5xx or network failures", async () => {
    const { s } = scheduler();
    let calls = 0;
    const error = Object.assign(new Error("Request failed with status code 400"), {
      response: { status: 400, headers: new Headers() },
    });
    await expect(
      s.run("k", { idempotent: true }, async () => {
        calls++;
        throw error;
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });
});
