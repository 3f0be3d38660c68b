// Reports API records and Fraud Defender rules, wire to our types: the query a records page is asked with
// (Reports 3.1.4), a record's summary fields, and a created rule (fraud-defender-notes.md 2.1).
import type { FraudRule, TrafficProduct, TrafficQuery, TrafficRecord } from "./gateway.js";

export const RECORDS_PATH = "/v2/reports/records";
export const FRAUD_RULES_PATH = "/v1/fraud-defender/rules";

type Json = Record<string, unknown>;

function str(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

/** The query of one page: `direction` is required for SMS and MESSAGES, optional for calls (we want outbound). */
export function recordsParams(query: TrafficQuery, cursor: { cursor: string; iv: string } | undefined) {
  const params: Record<string, string> = {
    product: query.product,
    account_id: query.accountId,
    direction: "outbound",
    date_start: query.dateStart,
  };
  if (query.dateEnd !== undefined) params.date_end = query.dateEnd;
  if (cursor) {
    params.cursor = cursor.cursor;
    if (cursor.iv !== "") params.iv = cursor.iv;
  }
  return params;
}

/** The next page's cursor, when the body says there is one (`cursor`, `iv`, or only `_links.next`). */
export function nextCursor(body: Json): { cursor: string; iv: string } | undefined {
  let cursor = str(body.cursor);
  let iv = str(body.iv);
  const links = body._links as Json | undefined;
  const next = str((links?.next as Json | undefined)?.href);
  if (cursor === "" && next !== "") {
    const url = new URL(next, "http://next.invalid");
    cursor = url.searchParams.get("cursor") ?? "";
    iv = url.searchParams.get("iv") ?? "";
  }
  return cursor === "" ? undefined : { cursor, iv };
}

export function normaliseTrafficRecord(product: TrafficProduct, value: unknown): TrafficRecord {
  const raw = (typeof value === "object" && value !== null ? value : {}) as Json;
  const price = Number(str(raw.total_price));
  return {
    product,
    accountId: str(raw.account_id),
    id: str(raw.id ?? raw.message_id ?? raw.call_id),
    to: str(raw.to),
    country: str(raw.country),
    at: str(product === "VOICE-CALL" ? (raw.date_start ?? raw.date_received) : raw.date_received),
    price: Number.isFinite(price) ? price : 0,
    currency: str(raw.currency),
    status: str(raw.status),
    applicationId: str(raw.application_id) || undefined,
    raw,
  };
}

export function normaliseFraudRule(value: unknown): FraudRule {
  const raw = (typeof value === "object" && value !== null ? value : {}) as Json;
  return {
    id: str(raw.id),
    product: raw.product === "voice" ? "voice" : "sms",
    prefix: str(raw.prefix),
    action: raw.action === "allow" ? "allow" : "block",
    status: str(raw.status),
  };
}
