// Every simulated endpoint driven through the real SDKs (@vonage/server-sdk, @vonage/subaccounts,
// @vonage/audit) pointed at the simulator, as vonage-ir's gateway will use them.

import { Audit } from "@vonage/audit";
import { Vonage } from "@vonage/server-sdk";
import { SubAccounts } from "@vonage/subaccounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";

let sim: RunningSimulator;
let vonage: Vonage;
let subaccounts: SubAccounts;
let audit: Audit;

beforeAll(async () => {
  // No rate limit: these round trips are about shapes, and the SDK never retries a 429.
  sim = await startSimulator({
    scenario: "compromised",
    scenarioParams: { now: "2026-01-15T12:00:00Z" },
    rateLimit: 0,
  });
  const creds = { apiKey: sim.primary.apiKey, apiSecret: sim.primary.apiSecret };
  const opts = { apiHost: sim.url, restHost: sim.url };
  vonage = new Vonage(creds, opts);
  subaccounts = new SubAccounts(creds, opts);
  audit = new Audit(creds, opts);
});
afterAll(() => sim.close());

describe("@vonage/server-sdk", () => {
  it("secrets: list, get, delete, create", async () => {
    const key = sim.primary.apiKey;
    const list = await vonage.secrets.listSecrets(key);
    const ids = list._embedded.secrets.map((s) => s.id);
    expect(ids).toEqual([...sim.meta.legitimateSecretIds, ...sim.meta.attackerSecretIds]);
    const attacker = sim.meta.attackerSecretIds[0] ?? "";
    const one = await vonage.secrets.getSecret(key, attacker);
    expect(one.id).toBe(attacker);
    await vonage.secrets.deleteSecret(key, attacker);
    const created = await vonage.secrets.createSecret(key, "Fresh-Secret-42");
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await vonage.secrets.listSecrets(key))._embedded.secrets.map((s) => s.id)).toContain(created.id);
  });

  it("accounts: balance, top-up, callbacks", async () => {
    expect(await vonage.accounts.getBalance()).toEqual({ value: 1234.56, autoReload: true });
    const topUp = await vonage.accounts.topUpBalance("8ef2447e69604f642ae59363aa5f781b");
    expect(topUp).toMatchObject({ "error-code": "200" });
    expect((await vonage.accounts.getBalance()).value).toBe(1734.56);
    const settings = await vonage.accounts.updateAccountCallbacks({});
    expect(settings["mo-callback-url"]).toBe("https://hooks.example.com/inbound-sms");
    const changed = await vonage.accounts.updateAccountCallbacks({
      drCallBackUrl: "https://new.example.com/dr",
    });
    expect(changed["dr-callback-url"]).toBe("https://new.example.com/dr");
  });

  it("applications: list, list all, create, get, update, delete", async () => {
    const page = await vonage.applications.listApplications({ pageSize: 3, page: 1 });
    expect(page.totalItems).toBe(5);
    expect(page._embedded.applications).toHaveLength(3);
    const names: string[] = [];
    for await (const app of vonage.applications.listAllApplications({ pageSize: 1 })) names.push(app.name);
    expect(names).toEqual(["shop-voice", "support-messages", "ivr-legacy", "alerts", "chat-bot"]);
    const created = await vonage.applications.createApplication({
      name: "replacement",
      capabilities: {
        voice: { webhooks: { answerUrl: { address: "https://x.example/a", httpMethod: "GET" } } },
      },
    } as never);
    expect(created.keys?.privateKey).toContain("PRIVATE KEY");
    const got = await vonage.applications.getApplication(created.id ?? "");
    expect(got.name).toBe("replacement");
    const updated = await vonage.applications.updateApplication({ ...got, name: "replacement-2" } as never);
    expect(updated.name).toBe("replacement-2");
    await vonage.applications.deleteApplication(created.id ?? "");
    await expect(vonage.applications.getApplication(created.id ?? "")).rejects.toThrow(/404/);
  });

  it("numbers: owned list with filters, update", async () => {
    const state = sim.dumpState();
    const shop = state.applications.find((a) => a.name === "shop-voice");
    const alerts = state.applications.find((a) => a.name === "alerts");
    const linked = await vonage.numbers.getOwnedNumbers({ applicationId: shop?.id ?? "" });
    expect(linked.count).toBe(3);
    const unlinked = await vonage.numbers.getOwnedNumbers({ hasApplication: false } as never);
    expect(unlinked.count).toBe(3);
    const target = linked.numbers?.[0];
    const result = await vonage.numbers.updateNumber({
      country: target?.country ?? "",
      msisdn: target?.msisdn ?? "",
      applicationId: alerts?.id ?? "",
    } as never);
    expect(result).toEqual({ errorCode: "200", errorCodeLabel: "success" });
    expect((await vonage.numbers.getOwnedNumbers({ applicationId: shop?.id ?? "" })).count).toBe(2);
  });
});

describe("@vonage/subaccounts", () => {
  it("list, primary, get, create, update", async () => {
    const list = await subaccounts.listSubAccounts();
    expect(list.map((s) => s.apiKey)).toEqual([
      ...sim.meta.legitimateSubaccountKeys,
      ...sim.meta.attackerSubaccountKeys,
    ]);
    expect((await subaccounts.getPrimaryAccount()).apiKey).toBe(sim.primary.apiKey);
    const rogue = sim.meta.attackerSubaccountKeys[0] ?? "";
    expect((await subaccounts.getSubAccount(rogue)).name).toBe("svc-backup");
    const suspended = await subaccounts.updateSubAccount(rogue, { suspended: true });
    expect(suspended.suspended).toBe(true);
    const created = await subaccounts.createSubAccount({ name: "drill-sub" } as never);
    expect(created.name).toBe("drill-sub");
  });
});

describe("@vonage/audit", () => {
  it("getEvents pages through every event via page.totalPages, getEvent fetches one", async () => {
    const state = sim.dumpState();
    const seen: string[] = [];
    for await (const event of audit.getEvents({ size: 2 } as never)) seen.push(event.id);
    expect(seen).toHaveLength(state.auditEvents.length);
    expect(new Set(seen).size).toBe(seen.length);
    const first = await audit.getEvent(seen[0] ?? "");
    expect(first.id).toBe(seen[0]);
  });

  it("filters by type and date", async () => {
    const creates: string[] = [];
    for await (const event of audit.getEvents({
      eventType: "ACCOUNT_SECRET_CREATE",
      dateFrom: sim.meta.compromisedSince,
    } as never)) {
      // The SDK deep-camelCases the context.
      const context = event.context as { secretId?: string; secret_id?: string };
      creates.push(context.secretId ?? context.secret_id ?? "");
    }
    // The attacker's secret, and the one this file created (recorded with the real clock, after the scenario).
    expect(creates).toContain(sim.meta.attackerSecretIds[0]);
    expect(creates.length).toBeGreaterThanOrEqual(1);
  });
});
