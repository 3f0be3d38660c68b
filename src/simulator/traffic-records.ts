// Traffic records for the Reports API, computed from a few parameters in the state instead of stored: record i
// of a product is a pure function of (seed, product, i), at evenly spaced times, so 200,000 records cost nothing
// until a page is asked for. Normal traffic before `fraudFrom`; after it, bursts to premium-rate destinations,
// continuing past the scenario's end while an attacker credential is live; a Fraud Defender BLOCK rule rejects.

import { seededRandom } from "./seeded-random.js";
import type { SimFraudRule, SimState, SimTraffic } from "./sim-state.js";
import { isoSeconds, parseAuditTime } from "./timestamps.js";

export const TRAFFIC_PRODUCTS = ["SMS", "VOICE-CALL", "MESSAGES"] as const;
export type TrafficProduct = (typeof TRAFFIC_PRODUCTS)[number];

/** Where the fraud goes: international premium-rate ranges, with what one message or call minute costs (EUR). */
export const PREMIUM_DESTINATIONS = [
  { prefix: "88213", country: "XS", name: "International Networks", price: 1.15 },
  { prefix: "2449", country: "AO", name: "Angola", price: 0.62 },
  { prefix: "37167", country: "LV", name: "Latvia", price: 0.48 },
] as const;

const NORMAL = [
  { prefix: "447700", country: "GB", name: "United Kingdom", price: 0.0393 },
  { prefix: "1555", country: "US", name: "United States", price: 0.0079 },
] as const;

/**
 * Until when the attacker keeps sending: now while any attacker credential of the scenario (a primary secret, an
 * unsuspended subaccount) is live, else the moment the last one was removed (from the audit log).
 */
export function fraudLiveUntil(state: SimState, nowMs: number): number {
  const { attackerSecretIds, attackerSubaccountKeys } = state.meta;
  const secretLive = state.primary.secrets.some((s) => attackerSecretIds.includes(s.id));
  const subLive = state.subaccounts.some((s) => attackerSubaccountKeys.includes(s.apiKey) && !s.suspended);
  if (secretLive || subLive) return nowMs;
  let last = -Infinity;
  for (const e of state.auditEvents) {
    const ctx = e.context;
    const removed =
      (e.event_type === "ACCOUNT_SECRET_DELETE" && attackerSecretIds.includes(String(ctx["secret_id"]))) ||
      (e.event_type === "USER_STATUS" &&
        ctx["suspended"] === true &&
        attackerSubaccountKeys.includes(String(ctx["subaccount_api_key"])));
    if (removed) last = Math.max(last, parseAuditTime(e.created_at));
  }
  return last;
}

/** One seed per account, so a subaccount's records differ from the primary's. */
function keySeed(seed: number, apiKey: string): number {
  let h = seed >>> 0;
  for (const ch of apiKey) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** The traffic `accountId` sends: the primary's, or a subaccount's own (its start and counts), or none. */
export function trafficOf(state: SimState, accountId: string): SimTraffic | undefined {
  const traffic = state.traffic;
  if (!traffic) return undefined;
  if (accountId === state.primary.apiKey) return traffic;
  const own = traffic.subaccounts[accountId];
  if (!own) return undefined;
  return {
    ...traffic,
    seed: keySeed(traffic.seed, accountId),
    start: own.start,
    counts: own.counts,
    attackPerMinute: own.attackPerMinute,
  };
}

/**
 * Until when `accountId` keeps sending past the scenario's end: the primary while an attacker credential is live
 * (fraudLiveUntil); a subaccount while it is not suspended, else until it was (from the audit log).
 */
export function liveUntilFor(state: SimState, accountId: string, nowMs: number): number {
  if (accountId === state.primary.apiKey) return fraudLiveUntil(state, nowMs);
  const sub = state.subaccounts.find((s) => s.apiKey === accountId);
  if (!sub) return -Infinity;
  if (!sub.suspended) return nowMs;
  let last = -Infinity;
  for (const e of state.auditEvents) {
    if (
      e.event_type === "USER_STATUS" &&
      e.context["suspended"] === true &&
      e.context["subaccount_api_key"] === accountId
    )
      last = Math.max(last, parseAuditTime(e.created_at));
  }
  return last;
}

/**
 * How many records a product has: the scenario's history, plus, past its end, the attacker's continuing traffic
 * at the same rate for as long as a credential of theirs was live.
 */
export function recordCount(traffic: SimTraffic, product: TrafficProduct, liveUntilMs: number): number {
  const count = traffic.counts[product];
  const start = Date.parse(traffic.start);
  const end = Date.parse(traffic.end);
  if (count === 0 || end <= start || liveUntilMs <= end) return count;
  if (traffic.attackPerMinute > 0)
    return count + Math.floor(((liveUntilMs - end) * traffic.attackPerMinute) / MINUTE);
  return count + Math.floor(((liveUntilMs - end) * count) / (end - start));
}

const MINUTE = 60_000;

/** When record `index` was sent: evenly over [start, end), then at `attackPerMinute` past the end. */
export function recordTime(traffic: SimTraffic, product: TrafficProduct, index: number): number {
  const count = traffic.counts[product];
  const start = Date.parse(traffic.start);
  const end = Date.parse(traffic.end);
  if (index < count || traffic.attackPerMinute <= 0)
    return start + Math.floor((index * (end - start)) / count);
  return end + Math.floor(((index - count) * MINUTE) / traffic.attackPerMinute);
}

/** Index of the first record at or after `ms` (records are evenly spaced from start, `count` per [start, end)). */
export function indexAt(traffic: SimTraffic, product: TrafficProduct, ms: number, total: number): number {
  const count = traffic.counts[product];
  const start = Date.parse(traffic.start);
  const span = Date.parse(traffic.end) - start;
  if (count === 0 || span <= 0) return 0;
  const end = start + span;
  if (ms > end && traffic.attackPerMinute > 0)
    return Math.min(total, count + Math.ceil(((ms - end) * traffic.attackPerMinute) / MINUTE));
  return Math.min(total, Math.max(0, Math.ceil(((ms - start) * count) / span)));
}

/**
 * The traffic rule that decides a destination (fraud-defender-notes 2.3): the longest matching prefix of the
 * caller's active rules for the product, `allow` winning a tie; only rules created by `atMs` count.
 */
function blockedBy(rules: SimFraudRule[], product: TrafficProduct, to: string, atMs: number): boolean {
  const kind = product === "VOICE-CALL" ? "voice" : "sms";
  let best: SimFraudRule | undefined;
  for (const r of rules) {
    if (r.product !== kind || !to.startsWith(r.prefix)) continue;
    if (Date.parse(`${r.createdTimestamp}Z`) > atMs) continue;
    if (
      r.status === "archived" &&
      r.archivedTimestamp !== undefined &&
      Date.parse(`${r.archivedTimestamp}Z`) <= atMs
    ) {
      continue;
    }
    if (
      !best ||
      r.prefix.length > best.prefix.length ||
      (r.prefix.length === best.prefix.length && r.action === "allow")
    ) {
      best = r;
    }
  }
  return best?.action === "block";
}

export function recordAt(
  traffic: SimTraffic,
  product: TrafficProduct,
  index: number,
  accountId: string,
  rules: SimFraudRule[] = [],
): Record<string, string> {
  const at = recordTime(traffic, product, index);
  const rng = seededRandom((traffic.seed * 31 + TRAFFIC_PRODUCTS.indexOf(product) * 1_000_003 + index) >>> 0);
  // Two of three records after the compromise are fraud: bursts, not a clean switch.
  const fraud = at >= Date.parse(traffic.fraudFrom) && index % 3 !== 0;
  const dest = fraud ? rng.pick(PREMIUM_DESTINATIONS) : rng.pick(NORMAL);
  const to = `${dest.prefix}${String(rng.int(0, 10 ** (12 - dest.prefix.length) - 1)).padStart(12 - dest.prefix.length, "0")}`;
  const id = rng.uuid();
  // A BLOCK traffic rule rejects the message and it is not charged (fraud-defender-notes 7).
  const blocked = blockedBy(rules, product, to, at);
  const common = {
    account_id: accountId,
    id,
    direction: "outbound",
    to,
    country: dest.country,
    country_name: dest.name,
    network: fraud ? "99999" : "23410",
    currency: "EUR",
  };
  if (product === "VOICE-CALL") {
    const seconds = fraud ? rng.int(600, 3600) : rng.int(20, 300);
    const minutes = Math.ceil(seconds / 60);
    return {
      ...common,
      call_id: id,
      from: "447700000001",
      date_start: isoSeconds(at),
      date_end: isoSeconds(at + seconds * 1000),
      duration: String(seconds),
      status: blocked ? "rejected" : "completed",
      price: dest.price.toFixed(4),
      total_price: blocked ? "0.0000" : (dest.price * minutes).toFixed(4),
    };
  }
  return {
    ...common,
    message_id: id,
    from: fraud ? "Verify" : "ExampleLtd",
    date_received: isoSeconds(at),
    status: blocked ? "rejected" : "delivered",
    total_price: blocked ? "0.0000" : dest.price.toFixed(4),
    ...(product === "MESSAGES" ? { provider: "sms" } : {}),
  };
}
