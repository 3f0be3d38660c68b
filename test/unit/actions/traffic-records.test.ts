// traffic.records against the simulator: exact totals, destinations and senders of a generated record set read
// across many small pages and a subaccount; the records streamed to evidence/traffic/ with a manifest; a 403
// (no Reports product) noted as "not available", never a failure.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { trafficRecords } from "../../../src/actions/traffic-records.js";
import { plannedTraffic, readTraffic } from "../../../src/actions/traffic-read.js";
import type { SimState } from "../../../src/simulator/sim-state.js";
import {
  PREMIUM_DESTINATIONS,
  recordAt,
  trafficOf,
  TRAFFIC_PRODUCTS,
} from "../../../src/simulator/traffic-records.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";
import { admin } from "../../simulator/raw-request.js";

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The compromised scenario with a small, known record set: the primary's and the rogue subaccount's. */
async function withTraffic(options: Parameters<typeof createHarness>[0] = {}) {
  const h = await createHarness({ scenario: "compromised", reportsPageSize: 7, ...options });
  harnesses.push(h);
  const state = h.sim.dumpState();
  const now = Date.now();
  const rogue = state.meta.attackerSubaccountKeys[0] ?? "";
  state.traffic = {
    seed: 11,
    start: iso(now - 4 * HOUR),
    end: iso(now - HOUR),
    fraudFrom: iso(now - 2 * HOUR),
    counts: { SMS: 90, "VOICE-CALL": 30, MESSAGES: 45 },
    attackPerMinute: 0,
    subaccounts: {
      [rogue]: {
        start: iso(now - 2 * HOUR),
        counts: { SMS: 40, "VOICE-CALL": 5, MESSAGES: 0 },
        attackPerMinute: 0,
      },
    },
  };
  expect((await admin(h.sim, "PUT", "/_sim/state", state)).status).toBe(200);
  return {
    h,
    state,
    rogue,
    window: { since: state.traffic.fraudFrom, from: state.traffic.start, until: state.traffic.end },
  };
}

/** What the records should add up to, computed record by record from the generator itself. */
function expected(state: SimState, accounts: string[], since: string) {
  const products: Record<string, { before: number; after: number; beforeCost: number; afterCost: number }> =
    {};
  const countries = new Map<string, { cost: number; numbers: string[] }>();
  const senders = new Map<string, number>();
  const fraud = new Map<string, number>();
  for (const account of accounts) {
    const traffic = trafficOf(state, account);
    if (!traffic) continue;
    for (const product of TRAFFIC_PRODUCTS) {
      const p = (products[product] ??= { before: 0, after: 0, beforeCost: 0, afterCost: 0 });
      for (let i = 0; i < traffic.counts[product]; i++) {
        const r = recordAt(traffic, product, i, account);
        const price = Number(r.total_price);
        const after = (r.date_received ?? r.date_start ?? "") >= since;
        if (!after) {
          p.before++;
          p.beforeCost += price;
          continue;
        }
        p.after++;
        p.afterCost += price;
        const c = countries.get(r.country ?? "") ?? { cost: 0, numbers: [] };
        c.cost += price;
        countries.set(r.country ?? "", c);
        senders.set(account, (senders.get(account) ?? 0) + 1);
        if (PREMIUM_DESTINATIONS.some((d) => (r.to ?? "").startsWith(d.prefix)))
          fraud.set(account, (fraud.get(account) ?? 0) + 1);
      }
    }
  }
  return { products, countries, senders, fraud };
}

describe("traffic.records", () => {
  it("gives exact totals, top destinations and senders across pages and a subaccount", async () => {
    const { h, state, rogue, window } = await withTraffic();
    const accounts = [h.sim.primary.apiKey, rogue];
    const summary = await readTraffic(h.context(), h.gateway, accounts, window);
    const want = expected(state, accounts, window.since);
    for (const product of TRAFFIC_PRODUCTS) {
      const w = want.products[product];
      expect(summary.products[product].before.records).toBe(w?.before);
      expect(summary.products[product].after.records).toBe(w?.after);
      expect(summary.products[product].before.cost).toBeCloseTo(w?.beforeCost ?? -1, 3);
      expect(summary.products[product].after.cost).toBeCloseTo(w?.afterCost ?? -1, 3);
    }
    const top = [...want.countries.entries()].sort((a, b) => b[1].cost - a[1].cost).map(([c]) => c);
    expect(summary.destinations.filter((d) => d.after.records > 0).map((d) => d.country)).toEqual(top);
    // The premium ranges the generator uses, named by the prefix their numbers share; the account's own not suspects.
    const byCountry = new Map(summary.destinations.map((d) => [d.country, d]));
    expect(byCountry.get("XS")?.prefix.startsWith("88213")).toBe(true);
    expect(byCountry.get("XS")?.suspect).toBe(true);
    expect(byCountry.get("GB")?.suspect).toBe(false);
    expect(new Map(summary.senders.map((s) => [s.accountId, s.after.records]))).toEqual(want.senders);
    // Which key sent the fraud: the records to the destinations that stand out (the premium ranges), per key.
    expect(new Map(summary.senders.map((s) => [s.accountId, s.fraud.records]))).toEqual(want.fraud);
    expect((summary.firstFraud?.at ?? "") >= window.since).toBe(true);
    // Seven records a page: every stream took many pages.
    const pages = h.sim.requests().filter((r) => r.path === "/v2/reports/records").length;
    expect(pages).toBeGreaterThan((90 + 30 + 45 + 40 + 5) / 7);
  });

  it("plans from one read however long the questions between traffic.records and traffic.block take", async () => {
    const { h, window } = await withTraffic();
    let now = Date.now();
    const clock = { now: () => new Date(now), sleep: async () => {} };
    // Each step plans with a context (and a read-only gateway) of its own.
    const first = await plannedTraffic({ ...h.context({ planning: true }), clock }, window.since);
    const pages = h.sim.requests().filter((r) => r.path === "/v2/reports/records").length;
    // The operator answers the secrets question for three minutes before traffic.block plans.
    now += 3 * 60_000;
    const second = await plannedTraffic({ ...h.context({ planning: true }), clock }, window.since);
    expect(second).toBe(first);
    expect(h.sim.requests().filter((r) => r.path === "/v2/reports/records").length).toBe(pages);
  });

  it("plans with the damage in its notes and attention, and streams every record to evidence/traffic/", async () => {
    const { h, window } = await withTraffic();
    const params = trafficRecords.params.parse({ compromisedSince: window.since });
    const planned = await trafficRecords.plan(h.context({ planning: true }), params);
    expect(planned.notes?.join("\n")).toMatch(/records after the compromise/);
    expect(planned.notes?.join("\n")).toMatch(/destination XS \+88213/);
    expect(planned.attention?.[0]).toMatch(/destinations your account did not use before/);
    const [draft] = planned.changes;
    const change = changeOf(trafficRecords, "traffic.records", draft!);
    const outcome = await trafficRecords.apply(h.context(), change, {});
    expect(outcome.status).toBe("done");
    const dir = join(h.dir, "evidence", "traffic");
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as {
      files: Record<string, { records: number }>;
    };
    let lines = 0;
    for (const [name, file] of Object.entries(manifest.files)) {
      if (!name.endsWith(".jsonl")) continue;
      const text = await readFile(join(dir, name), "utf8");
      const count = text === "" ? 0 : text.trimEnd().split("\n").length;
      expect(count, name).toBe(file.records);
      lines += count;
    }
    expect(outcome.status === "done" && outcome.output?.records).toBe(lines);
    expect(lines).toBeGreaterThanOrEqual(90 + 30 + 45 + 40 + 5);
  });

  it("a 403 (no Reports product) is 'not available', never a failure", async () => {
    const { h, window } = await withTraffic({ reportsAvailable: false });
    const params = trafficRecords.params.parse({ compromisedSince: window.since });
    const planned = await trafficRecords.plan(h.context({ planning: true }), params);
    expect(planned.notes?.join("\n")).toMatch(/not available: the Reports API/);
    const change = changeOf(trafficRecords, "traffic.records", planned.changes[0]!);
    const outcome = await trafficRecords.apply(h.context(), change, {});
    expect(outcome.status).toBe("done");
    expect(outcome.status === "done" && outcome.note).toMatch(/not available/);
  });
});
