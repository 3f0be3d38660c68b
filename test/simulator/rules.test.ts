// The Vonage rules the simulator enforces, each observed through the SDK or over plain HTTP.

import { Audit } from "@vonage/audit";
import { Vonage } from "@vonage/server-sdk";
import { SubAccounts } from "@vonage/subaccounts";
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";

import type { RunningSimulator } from "../../src/simulator/index.js";
import { raw } from "./raw-request.js";
import { sdkFailure } from "./sdk-errors.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({
  scenario: "compromised",
  rateLimit: 0,
  scenarioParams: { now: "2026-01-15T12:00:00Z" },
});

function client(
  sim: RunningSimulator,
  apiKey = sim.primary.apiKey,
  apiSecret = sim.primary.apiSecret,
): Vonage {
  return new Vonage({ apiKey, apiSecret }, { apiHost: sim.url, restHost: sim.url });
}

function secretValue(sim: RunningSimulator, apiKey: string, id: string): string {
  const state = sim.dumpState();
  const account =
    state.primary.apiKey === apiKey ? state.primary : state.subaccounts.find((s) => s.apiKey === apiKey);
  return account?.secrets.find((s) => s.id === id)?.value ?? "";
}

describe("secrets", () => {
  it("refuses a third secret with 403 #add-excess-secret, as Vonage's newest fixtures show", async () => {
    const sim = await start();
    const failure = await sdkFailure(
      client(sim).secrets.createSecret(sim.primary.apiKey, "Another-Secret-9"),
    );
    expect(failure.status).toBe(403);
    expect(failure.body).toMatchObject({
      type: "https://developer.nexmo.com/api-errors/account/secret-management#add-excess-secret",
      title: "Secret Addition Forbidden",
      detail: "Account reached maximum number [2] of allowed secrets",
    });
  });

  it("refuses to revoke the last secret with 403 #delete-last-secret", async () => {
    const sim = await start({ scenario: "clean" });
    const id = sim.meta.legitimateSecretIds[0] ?? "";
    const failure = await sdkFailure(client(sim).secrets.deleteSecret(sim.primary.apiKey, id));
    expect(failure.status).toBe(403);
    expect(failure.body).toMatchObject({
      type: expect.stringMatching(/#delete-last-secret$/),
      title: "Secret Deletion Forbidden",
    });
  });

  it.each([
    ["short", "Ab1defg"],
    ["too long", "Ab1" + "x".repeat(23)],
    ["no upper case", "abcdefgh1"],
    ["no lower case", "ABCDEFGH1"],
    ["no digit", "Abcdefghij"],
  ])("rejects a secret that is %s with 400 #validation", async (_label, secret) => {
    const sim = await start({ scenario: "clean" });
    const failure = await sdkFailure(client(sim).secrets.createSecret(sim.primary.apiKey, secret));
    expect(failure.status).toBe(400);
    expect(failure.body).toMatchObject({
      type: expect.stringMatching(/#validation$/),
      invalid_parameters: [{ name: "secret", reason: expect.any(String) }],
    });
  });

  it("accepts 8 and 25 character secrets with other characters", async () => {
    const sim = await start({ scenario: "clean" });
    await client(sim).secrets.createSecret(sim.primary.apiKey, "Ab1-!xyz");
    const revoke = sim.meta.legitimateSecretIds[0] ?? "";
    await client(sim).secrets.deleteSecret(sim.primary.apiKey, revoke);
    const again = await raw(sim, "POST", `/accounts/${sim.primary.apiKey}/secrets`, {
      auth: [sim.primary.apiKey, "Ab1-!xyz"],
      json: { secret: "Ab1" + "y".repeat(22) },
    });
    expect(again.status).toBe(201);
  });

  it("authenticates with any live secret and stops accepting a revoked one immediately", async () => {
    const sim = await start();
    const key = sim.primary.apiKey;
    const attackerId = sim.meta.attackerSecretIds[0] ?? "";
    const attacker = client(sim, key, secretValue(sim, key, attackerId));
    expect((await attacker.accounts.getBalance()).value).toBe(1234.56);
    await client(sim).secrets.deleteSecret(key, attackerId);
    expect((await sdkFailure(attacker.accounts.getBalance())).status).toBe(401);
    expect((await sdkFailure(attacker.secrets.listSecrets(key))).status).toBe(401);
    expect((await client(sim).accounts.getBalance()).value).toBe(1234.56);
  });

  it("lets primary credentials manage a subaccount's secrets, but not the reverse", async () => {
    const sim = await start();
    const sub = sim.meta.legitimateSubaccountKeys[0] ?? "";
    const created = await client(sim).secrets.createSecret(sub, "Sub-Secret-777");
    expect((await client(sim).secrets.listSecrets(sub))._embedded.secrets.map((s) => s.id)).toContain(
      created.id,
    );
    const subClient = client(sim, sub, "Sub-Secret-777");
    expect((await subClient.accounts.getBalance()).value).toBe(1234.56);
    expect((await sdkFailure(subClient.secrets.listSecrets(sim.primary.apiKey))).status).toBe(404);
  });
});

describe("subaccounts", () => {
  it("a suspended subaccount's credentials stop working, and work again when reinstated", async () => {
    const sim = await start();
    const rogue = sim.meta.attackerSubaccountKeys[0] ?? "";
    const state = sim.dumpState();
    const secret = state.subaccounts.find((s) => s.apiKey === rogue)?.secrets[0]?.value ?? "";
    const rogueClient = client(sim, rogue, secret);
    await rogueClient.accounts.getBalance();
    const subs = new SubAccounts(sim.primary, { apiHost: sim.url, restHost: sim.url });
    await subs.updateSubAccount(rogue, { suspended: true });
    expect((await sdkFailure(rogueClient.accounts.getBalance())).status).toBe(401);
    expect((await sdkFailure(rogueClient.applications.listApplications({}))).status).toBe(401);
    await subs.updateSubAccount(rogue, { suspended: false });
    await rogueClient.accounts.getBalance();
    const events = sim.dumpState().auditEvents.filter((e) => e.event_type === "USER_STATUS");
    expect(events.map((e) => e.context)).toEqual([
      { subaccount_api_key: rogue, suspended: true },
      { subaccount_api_key: rogue, suspended: false },
    ]);
  });

  it("only the primary may use the Subaccounts API", async () => {
    const sim = await start();
    const sub = sim.meta.legitimateSubaccountKeys[0] ?? "";
    const secret = sim.dumpState().subaccounts.find((s) => s.apiKey === sub)?.secrets[0]?.value ?? "";
    const res = await raw(sim, "GET", `/accounts/${sub}/subaccounts`, { auth: [sub, secret] });
    expect(res.status).toBe(404);
  });
});

describe("applications", () => {
  it("listAllApplications follows _links.next over more than 100 applications", async () => {
    const sim = await start({
      scenario: "large",
      scenarioParams: { applications: 150, numbers: 10, linkedNumbers: 5, subaccounts: 1 },
    });
    const ids: string[] = [];
    for await (const app of client(sim).applications.listAllApplications()) ids.push(app.id ?? "");
    expect(ids).toHaveLength(150);
    expect(new Set(ids).size).toBe(150);
    expect(sim.requests().filter((r) => r.path === "/v2/applications")).toHaveLength(2);
  });

  it("puts _links.next on every page but the last, and validates page_size", async () => {
    const sim = await start({
      scenario: "large",
      scenarioParams: { applications: 25, numbers: 0, linkedNumbers: 0, subaccounts: 0 },
    });
    for (const [page, hasNext] of [
      [1, true],
      [2, true],
      [3, false],
    ] as const) {
      const res = await raw(sim, "GET", `/v2/applications?page_size=10&page=${page}`);
      expect(res.body).toMatchObject({
        page,
        page_size: 10,
        total_items: 25,
        total_pages: 3,
        _links: { self: expect.any(Object) },
      });
      expect(Boolean((res.body as { _links: { next?: unknown } })._links.next)).toBe(hasNext);
    }
    for (const size of ["0", "101", "x"]) {
      const bad = await raw(sim, "GET", `/v2/applications?page_size=${size}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({
        type: expect.stringMatching(/#list-validation$/),
        invalid_parameters: [{ name: "page_size" }],
      });
    }
  });

  it("keeps a supplied public key and returns no private key", async () => {
    const sim = await start();
    const { publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const res = await raw(sim, "POST", "/v2/applications", {
      json: { name: "own-keys", keys: { public_key: publicKey } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ keys: { public_key: publicKey } });
    expect(res.body).not.toHaveProperty("keys.private_key");
    const bad = await raw(sim, "POST", "/v2/applications", {
      json: { name: "x", keys: { public_key: "not a key" } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ invalid_parameters: [{ name: "keys.public_key" }] });
  });

  it("PUT replaces the object and requires a name", async () => {
    const sim = await start();
    const app = sim.dumpState().applications[0];
    const id = app?.id ?? "";
    const missing = await raw(sim, "PUT", `/v2/applications/${id}`, { json: { capabilities: {} } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ invalid_parameters: [{ name: "name" }] });
    const res = await raw(sim, "PUT", `/v2/applications/${id}`, { json: { name: "renamed" } });
    expect(res.body).toMatchObject({
      id,
      name: "renamed",
      capabilities: {},
      keys: { public_key: app?.keys.public_key },
    });
  });

  it("orphan (default): deleting an application with numbers leaves them pointing at the dead id", async () => {
    const sim = await start();
    const vonage = client(sim);
    const shop = sim.dumpState().applications.find((a) => a.name === "shop-voice")?.id ?? "";
    await vonage.applications.deleteApplication(shop);
    const orphans = await vonage.numbers.getOwnedNumbers({ applicationId: shop });
    expect(orphans.count).toBe(3);
    expect((await sdkFailure(vonage.applications.getApplication(shop))).status).toBe(404);
  });

  it("refuse: deleting an application with numbers is a 409 until they are relinked", async () => {
    const sim = await start({ deleteAppWithNumbers: "refuse" });
    const vonage = client(sim);
    const apps = sim.dumpState().applications;
    const support = apps.find((a) => a.name === "support-messages")?.id ?? "";
    const alerts = apps.find((a) => a.name === "alerts")?.id ?? "";
    const failure = await sdkFailure(vonage.applications.deleteApplication(support));
    expect(failure.status).toBe(409);
    expect(failure.body).toMatchObject({
      type: expect.stringMatching(/#numbers-linked$/),
      detail: expect.stringContaining("2 linked"),
    });
    for (const n of (await vonage.numbers.getOwnedNumbers({ applicationId: support })).numbers ?? []) {
      await vonage.numbers.updateNumber({
        country: n.country,
        msisdn: n.msisdn,
        applicationId: alerts,
      } as never);
    }
    await vonage.applications.deleteApplication(support);
    expect((await vonage.numbers.getOwnedNumbers({ applicationId: alerts })).count).toBe(3);
  });
});

describe("numbers", () => {
  it("an update without app_id unlinks the number", async () => {
    const sim = await start();
    const vonage = client(sim);
    const ivr = sim.dumpState().applications.find((a) => a.name === "ivr-legacy")?.id ?? "";
    const [first] = (await vonage.numbers.getOwnedNumbers({ applicationId: ivr })).numbers ?? [];
    const hook = `${sim.url}/_hooks/sms/${first?.msisdn ?? ""}`;
    await vonage.numbers.updateNumber({
      country: first?.country ?? "",
      msisdn: first?.msisdn ?? "",
      moHttpUrl: hook,
    } as never);
    const after = await vonage.numbers.getOwnedNumbers({ pattern: first?.msisdn ?? "" } as never);
    expect(after.numbers?.[0]).not.toHaveProperty("app_id");
    expect(after.numbers?.[0]).toMatchObject({ moHttpUrl: hook });
    expect((await vonage.numbers.getOwnedNumbers({ applicationId: ivr })).count).toBe(1);
    const types = sim
      .dumpState()
      .auditEvents.slice(-2)
      .map((e) => e.event_type);
    expect(types).toEqual(["NUMBER_UNLINKED", "NUMBER_UPDATED"]);
  });

  it("pages with index and size (max 100) and filters by pattern and has_application", async () => {
    const sim = await start({
      scenario: "large",
      scenarioParams: { applications: 2, numbers: 250, linkedNumbers: 100, subaccounts: 0 },
    });
    const page3 = await raw(sim, "GET", "/account/numbers?size=100&index=3");
    expect(page3.body).toMatchObject({ count: 250 });
    expect((page3.body as { numbers: unknown[] }).numbers).toHaveLength(50);
    expect((await raw(sim, "GET", "/account/numbers")).body).toMatchObject({
      count: 250,
      numbers: expect.any(Array),
    });
    expect(((await raw(sim, "GET", "/account/numbers")).body as { numbers: unknown[] }).numbers).toHaveLength(
      10,
    );
    expect((await raw(sim, "GET", "/account/numbers?size=101")).status).toBe(400);
    expect((await raw(sim, "GET", "/account/numbers?has_application=true")).body).toMatchObject({
      count: 100,
    });
    expect(
      (await raw(sim, "GET", "/account/numbers?pattern=447700000250&search_pattern=0")).body,
    ).toMatchObject({ count: 1 });
    expect((await raw(sim, "GET", "/account/numbers?pattern=25&search_pattern=2")).body).toMatchObject({
      count: 3,
    });
    expect((await raw(sim, "GET", "/account/numbers?index=99")).body).toEqual({ count: 250 });
  });

  it("answers 420 for a number the account does not own", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/number/update", { form: { country: "GB", msisdn: "449999999999" } });
    expect(res.status).toBe(420);
    expect(res.body).toMatchObject({ "error-code": "420" });
  });
});

describe("account", () => {
  it("top-up needs auto-reload; the dashboard switch turns it off", async () => {
    const sim = await start();
    const vonage = client(sim);
    await vonage.accounts.topUpBalance("trx-1");
    const off = await raw(sim, "POST", "/_sim/dashboard/autoreload", {
      auth: null,
      bearer: sim.adminToken,
      json: { enabled: false },
    });
    expect(off.body).toEqual({ autoReload: false });
    expect((await vonage.accounts.getBalance()).autoReload).toBe(false);
    const failure = await sdkFailure(vonage.accounts.topUpBalance("trx-2"));
    expect(failure).toMatchObject({
      status: 401,
      body: {
        type: "https://developer.nexmo.com/api-errors#unauthorized",
        detail: "not auto-reload enabled",
      },
    });
  });

  it("settings reject a non-URL callback", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/account/settings", { form: { moCallBackUrl: "not a url" } });
    expect(res.status).toBe(400);
  });
});

describe("audit", () => {
  it("records the simulator's own mutations next to the loaded events", async () => {
    const sim = await start();
    const vonage = client(sim);
    const before = sim.dumpState().auditEvents.length;
    const app = await vonage.applications.createApplication({ name: "audit-me" } as never);
    await vonage.applications.updateApplication({ id: app.id, name: "audit-me-2" } as never);
    await vonage.accounts.updateAccountCallbacks({ moCallBackUrl: "https://x.example/mo" });
    await vonage.secrets.deleteSecret(sim.primary.apiKey, sim.meta.attackerSecretIds[0] ?? "");
    await vonage.applications.deleteApplication(app.id ?? "");
    await raw(sim, "POST", "/_sim/dashboard/autoreload", {
      auth: null,
      bearer: sim.adminToken,
      json: { enabled: false },
    });
    const added = sim.dumpState().auditEvents.slice(before);
    expect(added.map((e) => e.event_type)).toEqual([
      "APP_CREATE",
      "APP_UPDATE",
      "ACCOUNT_UPDATE_SETTINGS_API",
      "ACCOUNT_SECRET_DELETE",
      "APP_DELETE",
      "AUTORELOAD_DISABLE",
    ]);
    expect(added.at(-1)).toMatchObject({ source: "CD", source_description: "Customer Dashboard" });
    expect(added[0]).toMatchObject({
      source: "DEVAPI",
      source_ip: "127.0.0.1",
      account_id: sim.primary.apiKey,
    });
    const audit = new Audit(sim.primary, { apiHost: sim.url });
    const seen: string[] = [];
    for await (const e of audit.getEvents({
      eventType: "APP_CREATE,APP_DELETE",
      searchText: "audit-me",
    } as never))
      seen.push(e.eventType);
    expect(seen.sort()).toEqual(["APP_CREATE", "APP_DELETE"]);
  });

  it("answers size outside 1..100 with the audit error body", async () => {
    const sim = await start();
    const res = await raw(sim, "GET", "/beta/audit/events?size=0");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, error: "Bad Request", message: expect.any(String) });
  });

  it("the compromised scenario's story is in the log: login, secret, subaccount, webhook change", async () => {
    const sim = await start();
    const since = sim.meta.compromisedSince ?? "";
    const res = await raw(sim, "GET", `/beta/audit/events?date_from=${encodeURIComponent(since)}&size=100`);
    const types = (res.body as { _embedded: { events: { event_type: string }[] } })._embedded.events.map(
      (e) => e.event_type,
    );
    expect(types.sort()).toEqual(["ACCOUNT_SECRET_CREATE", "APP_UPDATE", "USER_CREATE", "USER_LOGIN"]);
  });
});
