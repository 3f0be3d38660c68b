// The fraud's size from a stream of Reports API records, in constant memory: totals per product before and
// after the compromise time, per destination (country and the longest prefix its numbers share), per sender
// (API key, application), and the first fraudulent record. Destinations whose post-compromise cost stands out
// from the account's own earlier traffic are the suspects traffic.block proposes.
import type { JsonObject } from "../core/plan.js";
import { TRAFFIC_PRODUCTS, type TrafficProduct, type TrafficRecord } from "../vonage/gateway.js";

export interface Tally {
  records: number;
  cost: number;
}

export interface DestinationSummary {
  country: string;
  /** The longest prefix every number of this country in the window shares (at most 15 digits). */
  prefix: string;
  /** Fraud Defender products the post-compromise traffic used (`sms` for SMS and Messages). */
  ruleProducts: ("sms" | "voice")[];
  before: Tally;
  after: Tally;
  suspect: boolean;
}

export interface SenderSummary {
  /** The API key (primary or subaccount) and, when the record names one, the application. */
  accountId: string;
  applicationId: string | undefined;
  after: Tally;
  /** The part of `after` that went to destinations that stand out. */
  fraud: Tally;
}

export interface TrafficSummary {
  since: string;
  /** Start of the pre-compromise window the "before" figures cover, and the end of the read. */
  baselineFrom: string;
  until: string;
  currency: string;
  products: Record<TrafficProduct, { before: Tally; after: Tally }>;
  destinations: DestinationSummary[];
  senders: SenderSummary[];
  firstFraud: { at: string; product: string; accountId: string; to: string; country: string } | undefined;
  /** Why some records could not be read (403: the Reports product is not on the account), per account. */
  unavailable: string[];
}

/** How much more per hour after the compromise than before makes a destination a suspect. */
const STANDS_OUT = 5;

function lcp(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

const empty = (): Tally => ({ records: 0, cost: 0 });
const add = (t: Tally, price: number): void => {
  t.records++;
  t.cost += price;
};

interface Dest {
  prefix: string | undefined;
  before: Tally;
  after: Tally;
  products: Set<"sms" | "voice">;
  firstAfter: TrafficRecord | undefined;
}

/** Feeds records one at a time; holds one entry per country and per sender, never the records. */
export class TrafficTally {
  private readonly sinceMs: number;
  private readonly products = Object.fromEntries(
    TRAFFIC_PRODUCTS.map((p) => [p, { before: empty(), after: empty() }]),
  ) as TrafficSummary["products"];
  private readonly dests = new Map<string, Dest>();
  /** Per sender and destination country: bounded by keys × countries, never by records. */
  private readonly senders = new Map<
    string,
    { accountId: string; applicationId: string | undefined; country: string; after: Tally }
  >();
  private currency = "";
  private count = 0;

  constructor(
    private readonly since: string,
    private readonly baselineFrom: string,
    private readonly until: string,
  ) {
    this.sinceMs = Date.parse(since);
  }

  get records(): number {
    return this.count;
  }

  add(record: TrafficRecord): void {
    this.count++;
    if (this.currency === "" && record.currency !== "") this.currency = record.currency;
    const after = Date.parse(record.at) >= this.sinceMs;
    const product = this.products[record.product];
    add(after ? product.after : product.before, record.price);
    const country = record.country || "??";
    let dest = this.dests.get(country);
    if (!dest) {
      dest = {
        prefix: undefined,
        before: empty(),
        after: empty(),
        products: new Set(),
        firstAfter: undefined,
      };
      this.dests.set(country, dest);
    }
    const digits = record.to.replace(/\D/g, "").slice(0, 15);
    dest.prefix = dest.prefix === undefined ? digits : lcp(dest.prefix, digits);
    add(after ? dest.after : dest.before, record.price);
    if (!after) return;
    dest.products.add(record.product === "VOICE-CALL" ? "voice" : "sms");
    if (!dest.firstAfter || record.at < dest.firstAfter.at) dest.firstAfter = record;
    const key = `${record.accountId}/${record.applicationId ?? ""}/${country}`;
    let sender = this.senders.get(key);
    if (!sender) {
      sender = { accountId: record.accountId, applicationId: record.applicationId, country, after: empty() };
      this.senders.set(key, sender);
    }
    add(sender.after, record.price);
  }

  /** Each API key (and application) with all it sent since the compromise and the part that went to suspects. */
  private sendersOf(suspects: ReadonlySet<string>): SenderSummary[] {
    const by = new Map<string, SenderSummary>();
    for (const s of this.senders.values()) {
      const key = `${s.accountId}/${s.applicationId ?? ""}`;
      let sender = by.get(key);
      if (!sender) {
        sender = { accountId: s.accountId, applicationId: s.applicationId, after: empty(), fraud: empty() };
        by.set(key, sender);
      }
      merge(sender.after, s.after);
      if (suspects.has(s.country)) merge(sender.fraud, s.after);
    }
    const out = [...by.values()].map((s) => ({ ...s, after: rounded(s.after), fraud: rounded(s.fraud) }));
    return out.sort((a, b) => b.fraud.cost - a.fraud.cost || b.after.cost - a.after.cost);
  }

  summary(unavailable: string[] = []): TrafficSummary {
    const beforeHours = Math.max(1, (this.sinceMs - Date.parse(this.baselineFrom)) / 3_600_000);
    const afterHours = Math.max(1, (Date.parse(this.until) - this.sinceMs) / 3_600_000);
    const destinations = [...this.dests.entries()].map(([country, d]) => ({
      country,
      prefix: d.prefix ?? "",
      ruleProducts: [...d.products].sort(),
      before: rounded(d.before),
      after: rounded(d.after),
      suspect: d.after.cost > 0 && d.after.cost / afterHours >= (STANDS_OUT * d.before.cost) / beforeHours,
    }));
    destinations.sort((a, b) => b.after.cost - a.after.cost || a.country.localeCompare(b.country));
    const suspects = new Set(destinations.filter((d) => d.suspect).map((d) => d.country));
    let first: TrafficRecord | undefined;
    for (const [country, d] of this.dests)
      if (suspects.has(country) && d.firstAfter && (!first || d.firstAfter.at < first.at))
        first = d.firstAfter;
    const senders = this.sendersOf(suspects);
    return {
      since: this.since,
      baselineFrom: this.baselineFrom,
      until: this.until,
      currency: this.currency || "EUR",
      products: Object.fromEntries(
        TRAFFIC_PRODUCTS.map((p) => [
          p,
          { before: rounded(this.products[p].before), after: rounded(this.products[p].after) },
        ]),
      ) as TrafficSummary["products"],
      destinations,
      senders,
      firstFraud: first && {
        at: first.at,
        product: first.product,
        accountId: first.accountId,
        to: first.to,
        country: first.country,
      },
      unavailable,
    };
  }
}

function merge(into: Tally, t: Tally): void {
  into.records += t.records;
  into.cost += t.cost;
}

function rounded(t: Tally): Tally {
  return { records: t.records, cost: Math.round(t.cost * 10_000) / 10_000 };
}

export function money(cost: number, currency: string): string {
  return `${cost.toFixed(2)} ${currency}`;
}

/** The lines the plan, the report and the ticket show: totals, top destinations, senders, first fraud. */
export function summaryLines(s: TrafficSummary, top = 5): string[] {
  const lines: string[] = [];
  const total = (which: "before" | "after") =>
    TRAFFIC_PRODUCTS.map(
      (p) => `${p} ${s.products[p][which].records} (${money(s.products[p][which].cost, s.currency)})`,
    ).join(", ");
  lines.push(`records before the compromise (since ${s.baselineFrom}): ${total("before")}`);
  lines.push(`records after the compromise (${s.since} to ${s.until}): ${total("after")}`);
  const dests = s.destinations.filter((d) => d.after.records > 0).slice(0, top);
  for (const d of dests)
    lines.push(
      `destination ${d.country} +${d.prefix}: ${d.after.records} records, ${money(d.after.cost, s.currency)} after the compromise (before: ${d.before.records}, ${money(d.before.cost, s.currency)})${d.suspect ? " - stands out" : ""}`,
    );
  for (const sender of s.senders.slice(0, top))
    lines.push(
      `sent by API key ${sender.accountId}${sender.applicationId ? ` (application ${sender.applicationId})` : ""}: ${sender.fraud.records} records to destinations that stand out (${money(sender.fraud.cost, s.currency)}) of ${sender.after.records} since the compromise (${money(sender.after.cost, s.currency)})`,
    );
  if (s.firstFraud)
    lines.push(
      `first record to a suspect destination: ${s.firstFraud.at} ${s.firstFraud.product} from ${s.firstFraud.accountId} to ${s.firstFraud.country} +${s.firstFraud.to}`,
    );
  for (const u of s.unavailable) lines.push(`not available: ${u}`);
  return lines;
}

export function summaryJson(s: TrafficSummary): JsonObject {
  return JSON.parse(JSON.stringify(s)) as JsonObject;
}
