// Audit API (beta, /beta/audit/events): filtered, paged event list (1-based `page`, as @vonage/audit pages it
// via `page.totalPages`), single event, and OPTIONS for the event types. Its errors are `{status,error,message}`.

import { AUDIT_EVENT_TYPES } from "./audit-event-types.js";
import { auditError, json, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimAuditEvent } from "./sim-state.js";
import { parseAuditTime } from "./timestamps.js";

export const auditRoutes: RouteHandler = (ctx, req) => {
  const m = /^\/beta\/audit\/events(?:\/([^/]+))?\/?$/.exec(req.path);
  if (!m) return undefined;
  if (!ctx.behaviour.auditAvailable)
    return auditError(404, "Not Found", "The Audit API is not available for this account");
  const id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  if (id === undefined && req.method === "OPTIONS") {
    return json(200, {
      eventTypes: Object.entries(AUDIT_EVENT_TYPES).map(([type, description]) => ({ type, description })),
    });
  }
  if (req.method !== "GET")
    return auditError(405, "Method Not Allowed", `Request method '${req.method}' not supported`);
  const visible = visibleEvents(ctx, req);
  if (id === undefined) return list(req, visible);
  const event = visible.find((e) => e.id === id);
  if (!event) return auditError(404, "Not Found", `Event with provided id: ${id} was not found`);
  return json(200, eventView(req.baseUrl, event));
};

/** A primary sees its own and its subaccounts' events; a subaccount only its own. */
function visibleEvents(ctx: SimContext, req: ApiRequest): SimAuditEvent[] {
  const key = req.caller.account.apiKey;
  if (req.caller.kind === "subaccount") return ctx.state.auditEvents.filter((e) => e.account_id === key);
  const keys = new Set([key, ...ctx.state.subaccounts.map((s) => s.apiKey)]);
  return ctx.state.auditEvents.filter((e) => keys.has(e.account_id));
}

function eventView(baseUrl: string, event: SimAuditEvent): Record<string, unknown> {
  return { ...event, _links: { self: { href: `${baseUrl}/beta/audit/events/${event.id}` } } };
}

function list(req: ApiRequest, events: SimAuditEvent[]): Reply {
  const q = req.query;
  const size = q.get("size") === null ? 30 : Number(q.get("size"));
  const page = q.get("page") === null ? 1 : Number(q.get("page"));
  if (!Number.isInteger(size) || size < 1 || size > 100)
    return auditError(400, "Bad Request", "size must be between 1 and 100");
  if (!Number.isInteger(page) || page < 1)
    return auditError(400, "Bad Request", "page must be a positive integer");
  const types = q
    .get("event_type")
    ?.split(",")
    .filter((t) => t !== "");
  const from = q.get("date_from") === null ? undefined : parseAuditTime(q.get("date_from") ?? "");
  const to = q.get("date_to") === null ? undefined : parseAuditTime(q.get("date_to") ?? "");
  if (Number.isNaN(from) || Number.isNaN(to))
    return auditError(400, "Bad Request", "date_from and date_to must be ISO-8601 dates");
  // The SDK's own docs call it `search`; the spec calls it `search_text`. Accept both.
  const text = (q.get("search_text") ?? q.get("search"))?.toLowerCase();
  const matches = events
    .filter((e) => {
      if (types && types.length > 0 && !types.includes(e.event_type)) return false;
      const at = parseAuditTime(e.created_at);
      if (from !== undefined && at < from) return false;
      if (to !== undefined && at > to) return false;
      if (text && !JSON.stringify(e).toLowerCase().includes(text)) return false;
      return true;
    })
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  const totalPages = Math.ceil(matches.length / size);
  const link = (p: number): { href: string } => {
    const params = new URLSearchParams(q);
    params.set("page", String(p));
    params.set("size", String(size));
    return { href: `${req.baseUrl}/beta/audit/events?${params.toString()}` };
  };
  const links: Record<string, { href: string }> = { self: link(page) };
  if (page < totalPages) links["next"] = link(page + 1);
  if (totalPages > 0) links["last"] = link(totalPages);
  return json(200, {
    _embedded: {
      events: matches.slice((page - 1) * size, page * size).map((e) => eventView(req.baseUrl, e)),
    },
    _links: links,
    page: { size, totalElements: matches.length, totalPages, number: page },
  });
}
