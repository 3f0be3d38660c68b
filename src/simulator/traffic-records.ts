// Traffic records for the Reports API, computed from a few parameters in the state instead of stored: record i
// of a product is a pure function of (seed, product, i), at evenly spaced times, so 200,000 records cost nothing
// until a page is asked for. Normal traffic before `fraudFrom`; after it, bursts to premium-rate destinations.

import { seededRandom } from "./seeded-random.js";
import type { SimTraffic } from "./sim-state.js";
import { isoSeconds } from "./timestamps.js";

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

/** Index of the first record at or after `ms` (records are evenly spaced over [start, end)). */
export function indexAt(traffic: SimTraffic, product: TrafficProduct, ms: number): number {
  const count = traffic.counts[product];
  const start = Date.parse(traffic.start);
  const span = Date.parse(traffic.end) - start;
  if (count === 0 || span <= 0) return 0;
  return Math.min(count, Math.max(0, Math.ceil(((ms - start) * count) / span)));
}

export function recordAt(
  traffic: SimTraffic,
  product: TrafficProduct,
  index: number,
  accountId: string,
): Record<string, string> {
  const start = Date.parse(traffic.start);
  const span = Date.parse(traffic.end) - start;
  const at = start + Math.floor((index * span) / traffic.counts[product]);
  const rng = seededRandom((traffic.seed * 31 + TRAFFIC_PRODUCTS.indexOf(product) * 1_000_003 + index) >>> 0);
  // Two of three records after the compromise are fraud: bursts, not a clean switch.
  const fraud = at >= Date.parse(traffic.fraudFrom) && index % 3 !== 0;
  const dest = fraud ? rng.pick(PREMIUM_DESTINATIONS) : rng.pick(NORMAL);
  const to = `${dest.prefix}${String(rng.int(0, 10 ** (12 - dest.prefix.length) - 1)).padStart(12 - dest.prefix.length, "0")}`;
  const id = rng.uuid();
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
      status: "completed",
      price: dest.price.toFixed(4),
      total_price: (dest.price * minutes).toFixed(4),
    };
  }
  return {
    ...common,
    message_id: id,
    from: fraud ? "Verify" : "ExampleLtd",
    date_received: isoSeconds(at),
    status: "delivered",
    total_price: dest.price.toFixed(4),
    ...(product === "MESSAGES" ? { provider: "sms" } : {}),
  };
}
