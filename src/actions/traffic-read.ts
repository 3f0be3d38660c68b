// Reads every outbound SMS, call and Messages record of the primary and each subaccount for a window, one page
// at a time (the gateway pages by cursor, the scheduler paces), handing each record to a visitor: the tally, and
// in apply a JSONL writer. Progress with an ETA from how far into the window the last record is.
import type { ActionContext } from "./action.js";
import { TrafficTally, type TrafficSummary } from "./traffic-summary.js";
import {
  TRAFFIC_PRODUCTS,
  type Gateway,
  type TrafficProduct,
  type TrafficRecord,
} from "../vonage/gateway.js";

export interface TrafficWindow {
  /** The compromise time: records at or after it are "after". */
  since: string;
  /** Start of the read: a baseline before `since` to compare with. */
  from: string;
  until: string;
}

const DAY = 86_400_000;

/** The window: as long a baseline before the compromise as after it, one to seven days. */
export function trafficWindow(since: string, now: Date): TrafficWindow {
  const sinceMs = Date.parse(since);
  const baseline = Math.min(7 * DAY, Math.max(DAY, now.getTime() - sinceMs));
  return { since, from: iso(sinceMs - baseline), until: iso(now.getTime()) };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The primary key and every subaccount's (subaccounts unavailable: the primary alone). */
export async function trafficAccounts(gateway: Gateway): Promise<string[]> {
  const subs = await gateway.listSubaccounts();
  return [gateway.apiKey, ...(subs.available ? subs.value.map((s) => s.apiKey) : [])];
}

export interface ReadVisitor {
  record(record: TrafficRecord): void;
  /** After each (account, product) stream ends; writers close their file here. */
  end?(accountId: string, product: TrafficProduct): Promise<void>;
  /** Before each page is handed over; writers may wait for their file to drain. */
  page?(accountId: string, product: TrafficProduct, records: TrafficRecord[]): Promise<void>;
}

/** Reads the window for every account and product; returns the summary of what was read. */
export async function readTraffic(
  ctx: Pick<ActionContext, "progress" | "clock">,
  gateway: Gateway,
  accounts: readonly string[],
  window: TrafficWindow,
  visitor?: ReadVisitor,
): Promise<TrafficSummary> {
  const tally = new TrafficTally(window.since, window.from, window.until);
  const unavailable: string[] = [];
  const streams = accounts.length * TRAFFIC_PRODUCTS.length;
  const fromMs = Date.parse(window.from);
  const span = Math.max(1, Date.parse(window.until) - fromMs);
  const started = ctx.clock.now().getTime();
  let stream = 0;
  for (const accountId of accounts) {
    for (const product of TRAFFIC_PRODUCTS) {
      const query = { accountId, product, dateStart: window.from, dateEnd: window.until };
      const read = await gateway.readTrafficRecords(query, async (records) => {
        await visitor?.page?.(accountId, product, records);
        for (const r of records) {
          tally.add(r);
          visitor?.record(r);
        }
        const last = records.at(-1);
        const within = last ? Math.min(1, (Date.parse(last.at) - fromMs) / span) : 1;
        const fraction = (stream + (Number.isFinite(within) ? within : 0)) / streams;
        ctx.progress(tally.records, undefined, progressLabel(fraction, ctx.clock.now().getTime() - started));
      });
      await visitor?.end?.(accountId, product);
      stream++;
      if (!read.available) {
        unavailable.push(`${product} records of ${accountId}: ${read.reason}`);
        // A 403 is the account's product, not one query's: the other products answer the same.
        if (unavailable.length === 1 && accountId === accounts[0] && product === TRAFFIC_PRODUCTS[0]) {
          return tally.summary([`the Reports API (${read.reason})`]);
        }
      }
    }
  }
  return tally.summary(unavailable);
}

function progressLabel(fraction: number, elapsedMs: number): string {
  const pct = Math.round(fraction * 100);
  if (fraction <= 0.01 || elapsedMs < 1000) return `traffic records (${pct}%)`;
  const eta = Math.round(((1 - fraction) * elapsedMs) / fraction / 1000);
  return `traffic records (${pct}%, about ${eta} s left)`;
}

/**
 * One read per plan for traffic.records and traffic.block (planned one after another or at once, however long the
 * operator takes over the questions between them): the same gateway and compromise time give the same summary, so
 * the figures of "Read this first" and of the destinations checkbox agree.
 */
const planned = new Map<string, Promise<TrafficSummary>>();
/** Plans kept: a process plans one run at a time (tests run a few side by side). */
const KEPT_PLANS = 8;

export function plannedTraffic(
  ctx: Pick<ActionContext, "progress" | "clock" | "gateway" | "runId">,
  since: string,
): Promise<TrafficSummary> {
  // Each step's context has its own read-only gateway wrapper: the run, account and compromise time are the key.
  const key = `${ctx.runId} ${ctx.gateway.apiKey} ${since}`;
  let read = planned.get(key);
  if (!read) {
    read = trafficAccounts(ctx.gateway).then((accounts) =>
      readTraffic(ctx, ctx.gateway, accounts, trafficWindow(since, ctx.clock.now())),
    );
    read.catch(() => planned.delete(key));
    planned.set(key, read);
    for (const old of planned.keys()) if (planned.size > KEPT_PLANS) planned.delete(old);
  }
  return read;
}
