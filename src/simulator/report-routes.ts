// Reports API 3.1.4, GET /v2/reports/records: SMS, VOICE-CALL and MESSAGES (outbound) records of the primary
// account, filtered by date, 1,000 a page with an opaque cursor; 403 when the account lacks the product.

import { randomBytes } from "node:crypto";

import { PROBLEM_JSON, problem, json, type Reply } from "./reply.js";
import type { RouteHandler } from "./sim-context.js";
import {
  indexAt,
  liveUntilFor,
  recordAt,
  recordCount,
  trafficOf,
  TRAFFIC_PRODUCTS,
  type TrafficProduct,
} from "./traffic-records.js";

/** Reports 3.1.4: up to 1,000 records a page (the simulator may be told to use fewer, to exercise paging). */
export const MAX_RECORDS_PAGE = 1000;
const ERR = "https://developer.vonage.com/api-errors/reports";

function fail(status: number, kind: string, title: string, detail: string): Reply {
  return { ...problem(status, `${ERR}#${kind}`, title, detail), contentType: PROBLEM_JSON };
}

export const reportRoutes: RouteHandler = (ctx, req) => {
  if (req.path !== "/v2/reports/records") return undefined;
  if (req.method !== "GET") return fail(405, "method-not-allowed", "Method Not Allowed", req.method);
  const q = req.query;
  const product = q.get("product");
  const accountId = q.get("account_id");
  if (product === null || accountId === null) {
    return fail(422, "validation", "Invalid parameters", "product and account_id are required");
  }
  if (!ctx.behaviour.reportsAvailable) {
    return fail(403, "forbidden", "Forbidden", "This account does not have access to the Reports API");
  }
  const direction = q.get("direction");
  if ((product === "SMS" || product === "MESSAGES") && direction === null) {
    return fail(422, "validation", "Invalid parameters", `direction is required for ${product}`);
  }
  const caller = req.caller.account.apiKey;
  const mayRead =
    accountId === caller ||
    (req.caller.kind === "primary" && ctx.state.subaccounts.some((s) => s.apiKey === accountId));
  if (!mayRead) return fail(403, "forbidden", "Forbidden", `No access to account ${accountId}`);
  const traffic = trafficOf(ctx.state, accountId);
  const known = (TRAFFIC_PRODUCTS as readonly string[]).includes(product);
  // Only outbound traffic of these three products, of the primary and of subaccounts given traffic, is generated.
  const generated = traffic !== undefined && known && direction !== "inbound";
  let from = 0;
  let to = 0;
  if (generated) {
    const p = product as TrafficProduct;
    const startMs = q.get("date_start") === null ? -Infinity : Date.parse(q.get("date_start") ?? "");
    const endMs = q.get("date_end") === null ? Infinity : Date.parse(q.get("date_end") ?? "");
    if (Number.isNaN(startMs) || Number.isNaN(endMs)) {
      return fail(422, "validation", "Invalid parameters", "date_start and date_end must be ISO-8601");
    }
    const total = recordCount(traffic, p, liveUntilFor(ctx.state, accountId, ctx.now()));
    // Records are dated up to now at most, however long the attacker stays.
    from = indexAt(traffic, p, startMs, total);
    to = indexAt(traffic, p, Math.min(endMs, ctx.now() + 1), total);
  }
  const cursor = q.get("cursor");
  if (cursor !== null) {
    const text = Buffer.from(cursor, "base64url").toString("utf8");
    const decoded = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(decoded)) {
      return fail(422, "validation", "Invalid parameters", "cursor is not one this API returned");
    }
    from = Math.max(from, decoded);
  }
  const last = Math.min(to, from + ctx.behaviour.reportsPageSize);
  const records: Record<string, string>[] = [];
  const rules = ctx.state.fraudRules.filter((r) => r.owner === accountId);
  for (let i = from; i < last && traffic !== undefined; i++) {
    records.push(recordAt(traffic, product as TrafficProduct, i, accountId, rules));
  }
  const self = `${req.baseUrl}/v2/reports/records?${q.toString()}`;
  const body: Record<string, unknown> = {
    _links: { self: { href: self } },
    request_id: ctx.newId(),
    request_status: "SUCCESS",
    received_at: new Date(ctx.now()).toISOString(),
    product,
    items_count: records.length,
    records,
  };
  if (last < to) {
    const next = Buffer.from(String(last)).toString("base64url");
    const nextQuery = new URLSearchParams(q);
    nextQuery.set("cursor", next);
    nextQuery.set("iv", randomBytes(8).toString("hex"));
    body["cursor"] = next;
    body["iv"] = nextQuery.get("iv");
    (body["_links"] as Record<string, unknown>)["next"] = {
      href: `${req.baseUrl}/v2/reports/records?${nextQuery.toString()}`,
    };
  }
  return json(200, body);
};
