// Every gateway method round-trips against the stateful simulator (real HTTP, the real SDK).
import { carriedConfig, numberAfterRelink } from "../../helpers/carried-over.js";
import { generateKeyPairSync } from "node:crypto";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VonageApiError } from "../../../src/core/errors.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import {
  AUTH_FAILED_MESSAGE,
  createDryRunGateway,
  createSdkGateway,
  GATEWAY_METHODS,
  RequestScheduler,
  type Gateway,
} from "../../../src/vonage/index.js";

function publicKeyPem(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048 })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
}

function fastScheduler(): RequestScheduler {
  return new RequestScheduler({ ratePerSecond: 1000, burst: 100, concurrency: 8 });
}

function gatewayFor(sim: RunningSimulator, scheduler = fastScheduler()): Gateway {
  return createSdkGateway({ credentials: sim.primary, apiHost: sim.url, restHost: sim.url, scheduler });
}

async function failure(promise: Promise<unknown>): Promise<VonageApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VonageApiError);
  return error as VonageApiError;
}

function withoutIdentity(app: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, keys: _keys, owner: _owner, ...rest } = app;
  return rest;
}

describe("gateway against the simulator (compromised)", () => {
  let sim: RunningSimulator;
  let gw: Gateway;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, scenario: "compromised" });
    gw = gatewayFor(sim);
  });
  afterAll(async () => {
    await sim.close();
  });

  it("reads secrets, balance and settings", async () => {
    const state = sim.dumpState();
    const secrets = await gw.listSecrets(sim.primary.apiKey);
    expect(secrets.map((s) => s.id).sort()).toEqual(state.primary.secrets.map((s) => s.id).sort());
    expect(secrets.every((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(s.createdAt))).toBe(true);
    await expect(gw.getBalance()).resolves.toEqual({
      value: state.primary.balance,
      autoReload: state.primary.autoReload,
    });
    const settings = await gw.getAccountSettings();
    expect(settings.moCallbackUrl).toBe(state.primary.settings.moCallbackUrl || undefined);
    expect(settings.drCallbackUrl).toBe(state.primary.settings.drCallbackUrl || undefined);
  });

  it("getApplication and listApplications return wire config without id, keys or camelCase twins", async () => {
    const state = sim.dumpState();
    const apps = await gw.listApplications();
    expect(apps.map((a) => a.id).sort()).toEqual(state.applications.map((a) => a.id).sort());
    for (const app of apps) {
      const stored = state.applications.find((a) => a.id === app.id);
      expect(stored).toBeDefined();
      expect(app.publicKey).toBe(stored?.keys.public_key);
      expect(app.config).toEqual(withoutIdentity(stored as Record<string, unknown>));
      expect(await gw.getApplication(app.id)).toEqual(app);
    }
    await expect(gw.getApplication("00000000-0000-4000-8000-000000000000")).resolves.toBeUndefined();
  });

  it("creates a replacement equal to the original, relinks its numbers, deletes the original", async () => {
    const state = sim.dumpState();
    const original = state.applications.find((a) => state.numbers.some((n) => n.appId === a.id));
    expect(original).toBeDefined();
    const oldId = original?.id ?? "";
    const record = await gw.getApplication(oldId);
    const pem = publicKeyPem();
    const created = await gw.createApplication({ ...(record?.config ?? {}), name: record?.name ?? "" }, pem);
    expect(created.publicKey).toBe(pem);
    expect(carriedConfig(created.config)).toEqual(carriedConfig(record?.config ?? {}));

    const after = sim.dumpState();
    const stored = after.applications.find((a) => a.id === created.id);
    expect(stored?.keys.public_key).toBe(pem);
    expect(carriedConfig(withoutIdentity(stored as Record<string, unknown>))).toEqual(
      carriedConfig(withoutIdentity(original as Record<string, unknown>)),
    );

    const linked = await gw.listNumbers({ applicationId: oldId });
    expect(linked.length).toBe(state.numbers.filter((n) => n.appId === oldId).length);
    expect(linked.length).toBeGreaterThan(0);
    for (const number of linked) await gw.linkNumber(number, created.id);
    await expect(gw.listNumbers({ applicationId: oldId })).resolves.toEqual([]);
    const moved = await gw.listNumbers({ applicationId: created.id });
    expect(moved.map((n) => n.msisdn).sort()).toEqual(linked.map((n) => n.msisdn).sort());

    // Nothing but the link changed on each number.
    const relinked = sim.dumpState().numbers;
    for (const before of state.numbers.filter((n) => n.appId === oldId)) {
      const now = relinked.find((n) => n.msisdn === before.msisdn);
      expect(now).toEqual(numberAfterRelink(before, created.id));
    }

    await gw.deleteApplication(oldId);
    await expect(gw.getApplication(oldId)).resolves.toBeUndefined();
    expect(sim.dumpState().applications.some((a) => a.id === oldId)).toBe(false);
  });

  it("lists external accounts without Messenger's token in raw, links and unlinks one (409 when linked elsewhere)", async () => {
    const state = sim.dumpState();
    const listed = await gw.listExternalAccounts();
    if (!listed.available) throw new Error(listed.reason);
    expect(listed.value.map((a) => `${a.provider} ${a.externalId}`).sort()).toEqual(
      state.externalAccounts.map((a) => `${a.provider} ${a.externalId}`).sort(),
    );
    const messenger = listed.value.find((a) => a.provider === "messenger")!;
    expect(messenger.accessToken).toBe(
      state.externalAccounts.find((a) => a.provider === "messenger")?.accessToken,
    );
    expect(messenger.raw).not.toHaveProperty("access_token");
    const rcs = listed.value.find((a) => a.provider === "rcs")!;
    const [owner] = rcs.applicationIds;
    const other = state.applications.find((a) => a.id !== owner)!;
    const conflict = await failure(gw.linkExternalAccount(rcs, other.id));
    expect(conflict.status).toBe(409);
    await gw.unlinkExternalAccount(rcs, owner!);
    await gw.linkExternalAccount(rcs, other.id);
    await gw.linkExternalAccount(rcs, other.id); // linking the linked application again is a no-op
    expect(sim.dumpState().externalAccounts.find((a) => a.provider === "rcs")?.applications).toEqual([
      other.id,
    ]);
    await gw.unlinkExternalAccount(rcs, other.id);
    await gw.linkExternalAccount(rcs, owner!);
  });

  it("lists subaccounts and suspends one", async () => {
    const subs = await gw.listSubaccounts();
    expect(subs.available).toBe(true);
    const keys = subs.available ? subs.value.map((s) => s.apiKey).sort() : [];
    expect(keys).toEqual(
      sim
        .dumpState()
        .subaccounts.map((s) => s.apiKey)
        .sort(),
    );
    const target = sim.dumpState().meta.attackerSubaccountKeys[0] ?? "";
    const updated = await gw.setSubaccountSuspended(target, true);
    expect(updated).toMatchObject({ apiKey: target, suspended: true });
    expect(sim.dumpState().subaccounts.find((s) => s.apiKey === target)?.suspended).toBe(true);
    const again = await gw.listSubaccounts();
    expect(again.available && again.value.find((s) => s.apiKey === target)?.suspended).toBe(true);
  });

  it("lists audit events since the compromise", async () => {
    const since = sim.dumpState().meta.compromisedSince ?? "";
    const all = await gw.listAuditEvents({});
    const recent = await gw.listAuditEvents({ since });
    expect(all.available && recent.available).toBe(true);
    if (!all.available || !recent.available) return;
    expect(recent.value.length).toBeGreaterThan(0);
    expect(recent.value.length).toBeLessThan(all.value.length);
    expect(recent.value.map((e) => e.eventType)).toContain("ACCOUNT_SECRET_CREATE");
    expect(recent.value[0]?.raw).toHaveProperty("event_type");
  });

  it("refuses a third secret (limit) and revoking the last one (forbidden)", async () => {
    expect(await gw.listSecrets(sim.primary.apiKey)).toHaveLength(2);
    const limit = await failure(gw.createSecret(sim.primary.apiKey, "Third-Secret-123"));
    expect(limit.kind).toBe("limit");
    expect(limit.type).toMatch(/#(add-excess-secret|maximum-secrets-allowed)$/);
  });

  it("rotates: create, switch with withSecret, prove it works, revoke the others; the old secret then fails", async () => {
    const key = sim.primary.apiKey;
    const attacker = sim.dumpState().meta.attackerSecretIds;
    for (const id of attacker) await gw.revokeSecret(key, id);
    const newSecret = "Fresh-Secret-2024x";
    const meta = await gw.createSecret(key, newSecret);
    expect(sim.dumpState().primary.secrets.map((s) => s.id)).toContain(meta.id);
    const next = gw.withSecret(newSecret);
    expect(next.apiKey).toBe(key);
    await expect(gw.checkCredentials({ apiKey: key, apiSecret: newSecret })).resolves.toBe(true);
    for (const s of await next.listSecrets(key)) if (s.id !== meta.id) await next.revokeSecret(key, s.id);
    expect((await next.listSecrets(key)).map((s) => s.id)).toEqual([meta.id]);
    await expect(next.checkCredentials(sim.primary)).resolves.toBe(false);
    const auth = await failure(gw.getBalance());
    expect(auth).toMatchObject({ kind: "auth", status: 401, message: AUTH_FAILED_MESSAGE });

    const last = await failure(next.revokeSecret(key, meta.id));
    expect(last.kind).toBe("forbidden");
    expect(last.type).toMatch(/#delete-last-secret$/);
  });
});

describe("gateway against the simulator (large): paging", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      scenario: "large",
      scenarioParams: { applications: 150, numbers: 320, linkedNumbers: 250, subaccounts: 3 },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("lists more than 100 applications and more than 100 numbers, each exactly once", async () => {
    const scheduler = fastScheduler();
    const gw = gatewayFor(sim, scheduler);
    const state = sim.dumpState();
    const progress: number[] = [];
    const apps = await gw.listApplications((done) => progress.push(done));
    expect(apps).toHaveLength(150);
    expect(new Set(apps.map((a) => a.id)).size).toBe(150);
    expect(progress.at(-1)).toBe(150);
    const numbers = await gw.listNumbers();
    expect(numbers).toHaveLength(320);
    expect(new Set(numbers.map((n) => n.msisdn)).size).toBe(320);
    expect(numbers.filter((n) => n.appId !== undefined)).toHaveLength(
      state.numbers.filter((n) => n.appId).length,
    );
    // Minimal requests: 2 application pages + 4 number pages.
    expect(scheduler.stats().requests).toBe(6);
    const log = sim.requests();
    expect(log.filter((r) => r.path === "/v2/applications")).toHaveLength(2);
    expect(log.filter((r) => r.path === "/account/numbers")).toHaveLength(4);
  });

  it("lists more than 100 external accounts, each exactly once", async () => {
    const state = sim.dumpState();
    const base = state.externalAccounts[0]!;
    const extra = Array.from({ length: 230 }, (_, i) => ({
      ...base,
      provider: "whatsapp" as const,
      externalId: `4477009${String(i).padStart(5, "0")}`,
      applications: [],
    }));
    const other = await startSimulator({
      port: 0,
      state: { ...state, externalAccounts: [...state.externalAccounts, ...extra] },
    });
    try {
      const listed = await gatewayFor(other).listExternalAccounts();
      if (!listed.available) throw new Error(listed.reason);
      const ids = listed.value.map((a) => `${a.provider} ${a.externalId}`);
      expect(new Set(ids).size).toBe(state.externalAccounts.length + 230);
      expect(ids).toHaveLength(state.externalAccounts.length + 230);
      const pages = other.requests().filter((r) => r.path === "/beta/chatapp-accounts");
      expect(pages.map((r) => new URLSearchParams(r.query).get("page_number"))).toEqual(["1", "2", "3"]);
    } finally {
      await other.close();
    }
  });

  it("filters numbers by application across pages", async () => {
    const gw = gatewayFor(sim);
    const appId = sim.dumpState().numbers.find((n) => n.appId)?.appId ?? "";
    const expected = sim.dumpState().numbers.filter((n) => n.appId === appId).length;
    await expect(gw.listNumbers({ applicationId: appId })).resolves.toHaveLength(expected);
  });

  it("rides out the simulator's rate limit: 429s are waited out and every request succeeds", async () => {
    sim.setFaults({ rateLimit: 2 });
    try {
      const scheduler = new RequestScheduler({ ratePerSecond: 1000, burst: 100, concurrency: 8 });
      const gw = gatewayFor(sim, scheduler);
      const numbers = await gw.listNumbers();
      expect(numbers).toHaveLength(320);
      expect(scheduler.stats().rateLimited).toBeGreaterThan(0);
    } finally {
      sim.setFaults({ rateLimit: 0 });
    }
  });

  it("paces by Vonage's 30/s, not by X-RateLimit-Limit, whose unit Vonage does not give", async () => {
    sim.setFaults({ rateLimit: 20 });
    try {
      const scheduler = new RequestScheduler();
      await gatewayFor(sim, scheduler).listSecrets(sim.primary.apiKey);
      expect(scheduler.currentRate(sim.primary.apiKey)).toBeCloseTo(30);
    } finally {
      sim.setFaults({ rateLimit: 0 });
    }
  });

  it("a dry-run gateway sends no mutating request", async () => {
    const before = sim.requests().length;
    const gw = createDryRunGateway(gatewayFor(sim));
    const app = (await gw.listApplications())[0];
    const number = (await gw.listNumbers({ applicationId: app?.id ?? "" }))[0];
    await expect(gw.createSecret(sim.primary.apiKey, "Dry-Run-Secret-1")).rejects.toThrow("dry-run");
    await expect(gw.createApplication({ name: "x" }, publicKeyPem())).rejects.toThrow("dry-run");
    if (number) await expect(gw.linkNumber(number, "x")).rejects.toThrow("dry-run");
    await expect(gw.deleteApplication(app?.id ?? "")).rejects.toThrow("dry-run");
    await expect(gw.withSecret("other").revokeSecret(sim.primary.apiKey, "x")).rejects.toThrow("dry-run");
    const sent = sim.requests().slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => r.method !== "GET")).toEqual([]);
    expect(Object.values(GATEWAY_METHODS)).toContain("write");
  });
});

describe("gateway against the simulator: unavailable APIs and errors", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      scenario: "clean",
      subaccountsAvailable: false,
      auditAvailable: false,
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("retries a read whose connection dropped, but never a create", async () => {
    const gw = gatewayFor(sim);
    sim.setFaults({ dropConnectionOn: [sim.requestCount() + 1] });
    await expect(gw.getBalance()).resolves.toMatchObject({ autoReload: expect.any(Boolean) });
    const secretsBefore = sim.dumpState().primary.secrets.length;
    const seq = sim.requestCount() + 1;
    sim.setFaults({ dropConnectionOn: [seq] });
    const error = await failure(gw.createSecret(sim.primary.apiKey, "Dropped-Secret-1"));
    expect(error.kind).toBe("unreachable");
    expect(sim.requestCount()).toBe(seq);
    expect(sim.requests().filter((r) => r.method === "POST" && r.path.endsWith("/secrets"))).toHaveLength(1);
    expect(sim.dumpState().primary.secrets.length).toBe(secretsBefore);
    sim.setFaults({ dropConnectionOn: [] });
  });

  it("reports subaccounts and audit as not available", async () => {
    const gw = gatewayFor(sim);
    const subs = await gw.listSubaccounts();
    const audit = await gw.listAuditEvents({ since: "2020-01-01T00:00:00Z" });
    expect(subs).toMatchObject({ available: false });
    expect(audit).toMatchObject({ available: false });
    expect(subs.available ? "" : subs.reason).not.toBe("");
  });

  it("maps 404 for an unknown api key", async () => {
    const gw = gatewayFor(sim);
    await expect(gw.listSecrets("ffffffff")).rejects.toMatchObject({
      kind: expect.stringMatching(/not-found|forbidden/),
    });
  });

  it("401 and 500 errors never carry the secret or the Authorization header", async () => {
    const wrong = "Wrong-Secret-987";
    const bad = createSdkGateway({
      credentials: { apiKey: sim.primary.apiKey, apiSecret: wrong },
      apiHost: sim.url,
      restHost: sim.url,
      scheduler: fastScheduler(),
    });
    const e401 = await failure(bad.listSecrets(sim.primary.apiKey));
    expect(e401.kind).toBe("auth");
    sim.setFaults({ errorRate: { "*": 1 } });
    let e500: VonageApiError;
    try {
      const noRetry = new RequestScheduler({ maxAttempts: 1, burst: 100, ratePerSecond: 1000 });
      e500 = await failure(gatewayFor(sim, noRetry).listApplications());
    } finally {
      sim.setFaults({ errorRate: {} });
    }
    expect(e500.kind).toBe("server");
    for (const [error, secret] of [
      [e401, wrong],
      [e500, sim.primary.apiSecret],
    ] as const) {
      const basic = Buffer.from(`${sim.primary.apiKey}:${secret}`).toString("base64");
      for (const text of [
        error.message,
        JSON.stringify(error),
        inspect(error, { depth: 10 }),
        String(error.stack),
      ]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(basic);
        expect(text).not.toContain("Basic ");
      }
    }
  });
});

describe("gateway against the simulator: relinking keeps a number's other callbacks", () => {
  it("re-sends moHttpUrl and SIP voice routing; the voice status callback, which cannot be read back, is cleared", async () => {
    const sim = await startSimulator({ port: 0, scenario: "compromised" });
    try {
      const state = sim.dumpState();
      const [first, second] = state.applications;
      const number = state.numbers.find((n) => n.appId === first?.id);
      expect(first && second && number).toBeTruthy();
      if (!first || !second || !number) return;
      // Vonage probes an SMS webhook before it accepts it: the simulator's own hook answers on loopback.
      const hook = `${sim.url}/_hooks/sms/${number.msisdn}`;
      Object.assign(number, {
        moHttpUrl: hook,
        voiceCallbackType: "sip",
        voiceCallbackValue: "sip:pbx@example.com",
        voiceStatusCallback: "https://hooks.example.com/voice-status",
      });
      const loaded = await fetch(`${sim.url}/_sim/state`, {
        method: "PUT",
        headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(state),
      });
      expect(loaded.status).toBe(200);
      const gw = gatewayFor(sim);
      const listed = (await gw.listNumbers({ applicationId: first.id })).find(
        (n) => n.msisdn === number.msisdn,
      );
      expect(listed).toBeDefined();
      if (!listed) return;
      await gw.linkNumber(listed, second.id);
      const after = sim.dumpState().numbers.find((n) => n.msisdn === number.msisdn);
      expect(after).toMatchObject({
        appId: second.id,
        moHttpUrl: hook,
        voiceCallbackType: "sip",
        voiceCallbackValue: "sip:pbx@example.com",
      });
      expect(after?.voiceStatusCallback).toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});
