// The token-protected /_sim/ admin endpoints: read or replace the state, the request log, faults, reset, and
// dashboard actions an operator would take by hand (turning auto-reload on or off, now or after a delay).

import type { IncomingMessage } from "node:http";
import { safeEqual } from "./authenticate-caller.js";
import { mergeFaults, noFaults } from "./faults.js";
import { json, type Reply } from "./reply.js";
import { parseSimState } from "./sim-state.js";
import { clearTimers, pushAuditEvent, type SimServer } from "./sim-server.js";

/** The admin reply to `req`: 401 without the admin token, 400 for a body that is not JSON. */
export async function adminReply(
  server: SimServer,
  req: IncomingMessage,
  path: string,
  bodyText: string,
): Promise<Reply> {
  const auth = req.headers.authorization ?? "";
  if (!auth.startsWith("Bearer ") || !safeEqual(auth.slice(7), server.adminToken)) {
    return json(401, { error: "admin endpoints need Authorization: Bearer <adminToken>" });
  }
  let body: unknown = {};
  if (bodyText.trim() !== "") {
    try {
      body = JSON.parse(bodyText);
    } catch {
      return json(400, { error: "body must be JSON" });
    }
  }
  const route = `${req.method ?? "GET"} ${path}`;
  try {
    return adminRoute(server, route, body);
  } catch (err) {
    return json(400, { error: err instanceof Error ? err.message : String(err) });
  }
}

function adminRoute(server: SimServer, route: string, body: unknown): Reply {
  const { ctx } = server;
  switch (route) {
    case "GET /_sim/state":
      return json(200, ctx.state);
    case "PUT /_sim/state":
      server.initial = parseSimState(body);
      ctx.state = structuredClone(server.initial);
      return json(200, { ok: true });
    case "GET /_sim/fraud-rules":
      return json(200, { fraudRules: ctx.state.fraudRules });
    case "GET /_sim/external-accounts":
      return json(200, { externalAccounts: ctx.state.externalAccounts });
    case "GET /_sim/requests":
      return json(200, { count: server.count, requests: server.log });
    case "POST /_sim/reset":
      clearTimers(server);
      ctx.state = structuredClone(server.initial);
      server.faults = server.initialFaults;
      server.limiter.reset();
      return json(200, { ok: true });
    case "GET /_sim/faults":
      return json(200, server.faults);
    case "POST /_sim/faults":
      server.faults = mergeFaults(server.faults, body);
      // A changed rate limit or Retry-After starts afresh, so a long hold can be lifted.
      server.limiter.reset();
      return json(200, server.faults);
    case "DELETE /_sim/faults":
      server.faults = noFaults();
      server.limiter.reset();
      return json(200, server.faults);
    case "POST /_sim/dashboard/autoreload":
      return dashboardAutoReloadRoute(server, body);
    default:
      return json(404, { error: `no admin endpoint ${route}` });
  }
}

/** `{ enabled, afterMs? }`: switch auto-reload as the dashboard would, now (200) or after `afterMs` (202). */
function dashboardAutoReloadRoute(server: SimServer, body: unknown): Reply {
  const { enabled, afterMs } = (typeof body === "object" && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  if (typeof enabled !== "boolean") return json(400, { error: "enabled must be a boolean" });
  if (afterMs !== undefined && (typeof afterMs !== "number" || afterMs < 0)) {
    return json(400, { error: "afterMs must be a non-negative number" });
  }
  if (typeof afterMs === "number" && afterMs > 0) {
    const timer = setTimeout(() => {
      server.timers.delete(timer);
      dashboardAutoReload(server, enabled);
    }, afterMs);
    server.timers.add(timer);
    return json(202, { scheduled: true, enabled, afterMs });
  }
  dashboardAutoReload(server, enabled);
  return json(200, { autoReload: server.ctx.state.primary.autoReload });
}

function dashboardAutoReload(server: SimServer, enabled: boolean): void {
  const primary = server.ctx.state.primary;
  if (primary.autoReload === enabled) return;
  primary.autoReload = enabled;
  pushAuditEvent(server.ctx, {
    event_type: enabled ? "AUTORELOAD_ENABLE" : "AUTORELOAD_DISABLE",
    account_id: primary.apiKey,
    source: "CD",
    source_description: "Customer Dashboard",
    user_email: "ops@example.com",
    context: { autoReload: enabled },
  });
}
