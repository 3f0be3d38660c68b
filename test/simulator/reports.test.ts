// Reports API GET /v2/reports/records: deterministic, lazily computed traffic with normal records before the
// compromise and premium-rate bursts after it; cursor paging; 403 without the product.

import { describe, expect, it } from "vitest";

import type { RunningSimulator } from "../../src/simulator/index.js";
import { PREMIUM_DESTINATIONS } from "../../src/simulator/traffic-records.js";
import { admin, raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const NOW = "2026-01-15T12:00:00Z";
const start = simulatorStarter({ scenario: "compromised", scenarioParams: { now: NOW }, rateLimit: 0 });

interface Page {
  records: Record<string, string>[];
  items_count: number;
  cursor?: string;
  _links: { next?: { href: string } };
}

async function page(sim: RunningSimulator, query: string): Promise<Page> {
  const res = await raw(sim, "GET", `/v2/reports/records?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Page;
}

const premium = (to: string): boolean => PREMIUM_DESTINATIONS.some((d) => to.startsWith(d.prefix));

describe("GET /v2/reports/records", () => {
  it("fraud keeps coming while an attacker credential is live, unless a BLOCK rule rejects it (not charged)", async () => {
    const sim = await start();
    const state = sim.dumpState();
    const now = Date.now();
    const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    // 100 SMS over 10 s: one every 100 ms, fraud from the start, history ending 2 s ago.
    state.traffic = {
      seed: 3,
      start: iso(now - 12_000),
      end: iso(now - 2000),
      fraudFrom: iso(now - 12_000),
      counts: { SMS: 100, "VOICE-CALL": 0, MESSAGES: 0 },
      attackPerMinute: 0,
      subaccounts: {},
    };
    expect((await admin(sim, "PUT", "/_sim/state", state)).status).toBe(200);
    const q = `product=SMS&direction=outbound&account_id=${sim.primary.apiKey}`;
    const count = async (): Promise<number> => (await page(sim, q)).items_count;
    const first = await count();
    expect(first).toBeGreaterThan(110);
    const rule = await raw(sim, "POST", "/v1/fraud-defender/rules", {
      json: { product: "sms", prefix: "88213", reason: "incident", action: "block" },
    });
    expect(rule.status).toBe(201);
    await new Promise((r) => setTimeout(r, 2100));
    const live = await page(sim, q);
    expect(live.items_count).toBeGreaterThan(first + 10);
    const since = Date.parse(`${(rule.body as { created_timestamp: string }).created_timestamp}Z`) + 1000;
    const afterRule = live.records.filter(
      (r) => Date.parse(r.date_received ?? "") >= since && (r.to ?? "").startsWith("88213"),
    );
    expect(afterRule.length).toBeGreaterThan(0);
    expect(afterRule.every((r) => r.status === "rejected" && r.total_price === "0.0000")).toBe(true);
    expect(
      live.records.some(
        (r) => (r.to ?? "").startsWith("2449") && r.status === "delivered" && Number(r.total_price) > 0,
      ),
    ).toBe(true);
    // Revoke the attacker's secret and suspend their subaccount: the fraud stops.
    expect(
      (
        await raw(
          sim,
          "DELETE",
          `/accounts/${sim.primary.apiKey}/secrets/${sim.meta.attackerSecretIds[0] ?? ""}`,
        )
      ).status,
    ).toBe(204);
    const rogue = sim.meta.attackerSubaccountKeys[0] ?? "";
    expect(
      (
        await raw(sim, "PATCH", `/accounts/${sim.primary.apiKey}/subaccounts/${rogue}`, {
          json: { suspended: true },
        })
      ).status,
    ).toBe(200);
    const stopped = await count();
    await new Promise((r) => setTimeout(r, 1100));
    expect(await count()).toBe(stopped);
  });

  it("SMS: normal traffic before compromisedSince, premium-rate bursts with prices after it", async () => {
    const sim = await start();
    const key = sim.primary.apiKey;
    const since = sim.meta.compromisedSince ?? "";
    const before = await page(sim, `product=SMS&direction=outbound&account_id=${key}&date_end=${since}`);
    expect(before.items_count).toBeGreaterThan(0);
    expect(before.records.every((r) => !premium(r.to ?? ""))).toBe(true);
    const after = await page(sim, `product=SMS&direction=outbound&account_id=${key}&date_start=${since}`);
    const fraud = after.records.filter((r) => premium(r.to ?? ""));
    expect(fraud.length).toBeGreaterThan(after.records.length / 2);
    expect(new Set(fraud.map((r) => r.country)).size).toBeLessThanOrEqual(PREMIUM_DESTINATIONS.length);
    expect(Number(fraud[0]?.total_price)).toBeGreaterThan(0.4);
    expect(fraud[0]).toMatchObject({ account_id: key, currency: "EUR", direction: "outbound" });
    expect(after.records.every((r) => (r.date_received ?? "") >= since)).toBe(true);
  });

  it("is deterministic per seed, and pages 1,000 records at a time with an opaque cursor", async () => {
    const a = await start({ seed: 5 });
    const b = await start({ seed: 5 });
    // Bounded by the scenario's now: its attacker secret is still live, so later records keep coming.
    const q = (s: RunningSimulator): string =>
      `product=SMS&direction=outbound&account_id=${s.primary.apiKey}&date_end=${NOW}`;
    const first = await page(a, q(a));
    expect(first.items_count).toBe(1000);
    expect(first.cursor).toBeDefined();
    const same = await page(b, q(b));
    expect(same.records.map((r) => [r.id, r.to, r.total_price])).toEqual(
      first.records.map((r) => [r.id, r.to, r.total_price]),
    );
    const second = await page(a, `${q(a)}&cursor=${first.cursor ?? ""}`);
    expect(second.items_count).toBe(1000);
    expect(second.records[0]?.id).not.toBe(first.records[0]?.id);
    // compromised has 2,000 SMS records up to its now: the second page is the last.
    expect(second.cursor).toBeUndefined();
    expect(second._links.next).toBeUndefined();
    expect((await raw(a, "GET", `/v2/reports/records?${q(a)}&cursor=not-ours`)).status).toBe(422);
  });

  it("VOICE-CALL and MESSAGES records; large pages deep into 200,000 SMS without building them", async () => {
    const sim = await start();
    const key = sim.primary.apiKey;
    const calls = await page(sim, `product=VOICE-CALL&account_id=${key}`);
    expect(calls.records[0]).toMatchObject({
      call_id: expect.any(String),
      duration: expect.any(String),
      price: expect.any(String),
    });
    const messages = await page(sim, `product=MESSAGES&direction=outbound&account_id=${key}`);
    expect(messages.records[0]).toMatchObject({ provider: "sms", total_price: expect.any(String) });
    const large = await start({
      scenario: "large",
      scenarioParams: { now: NOW, applications: 2, numbers: 2, linkedNumbers: 2, subaccounts: 0 },
    });
    const lk = large.primary.apiKey;
    const deep = await page(
      large,
      `product=SMS&direction=outbound&account_id=${lk}&cursor=${Buffer.from("199500").toString("base64url")}`,
    );
    expect(deep.items_count).toBe(500);
    expect(deep.records.filter((r) => premium(r.to ?? "")).length).toBeGreaterThan(250);
  });

  it("403 without the product, 422 without product, account_id or an SMS direction", async () => {
    const sim = await start();
    const key = sim.primary.apiKey;
    expect((await raw(sim, "GET", `/v2/reports/records?product=SMS&account_id=${key}`)).status).toBe(422);
    expect((await raw(sim, "GET", "/v2/reports/records?product=SMS")).status).toBe(422);
    const off = await start({ reportsAvailable: false });
    const denied = await raw(
      off,
      "GET",
      `/v2/reports/records?product=VOICE-CALL&account_id=${off.primary.apiKey}`,
    );
    expect(denied.status).toBe(403);
    expect(denied.contentType).toBe("application/problem+json");
  });
});
