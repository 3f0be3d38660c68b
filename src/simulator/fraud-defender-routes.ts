// Fraud Defender traffic rules (/v1/fraud-defender/rules). Create is confirmed (fraud-defender-notes.md 2.1);
// listing and removal are our guess and exist only with the `fraudRuleManagement` option.

import { auditTime } from "./timestamps.js";
import { json, noContent, problem, type InvalidParameter, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimFraudRule } from "./sim-state.js";

const BASE = "/v1/fraud-defender/rules";
const ERR = "https://developer.vonage.com/api-errors/fraud-defender";

export function fraudRuleView(rule: SimFraudRule, baseUrl: string): Record<string, unknown> {
  return {
    id: rule.id,
    product: rule.product,
    prefix: rule.prefix,
    direction: "to",
    traffic_direction: "outbound",
    action: rule.action,
    reason: rule.reason,
    permission: "edit",
    status: rule.status,
    created_timestamp: rule.createdTimestamp,
    updated_timestamp: rule.archivedTimestamp ?? rule.createdTimestamp,
    ...(rule.archivedTimestamp === undefined ? {} : { archived_timestamp: rule.archivedTimestamp }),
    _links: { self: { href: `${baseUrl}${BASE}/${rule.id}` } },
  };
}

function notFound(what: string): Reply {
  return problem(404, `${ERR}#not-found`, "Not Found", what);
}

export const fraudDefenderRoutes: RouteHandler = (ctx, req) => {
  if (req.path !== BASE && !req.path.startsWith(`${BASE}/`)) return undefined;
  if (!ctx.behaviour.fraudDefenderAvailable) {
    // fraud-defender-notes.md 1: 403 when the account lacks the capability.
    return problem(403, `${ERR}#forbidden`, "Forbidden", "Fraud Defender is not enabled for this account");
  }
  const id =
    req.path.length > BASE.length + 1 ? decodeURIComponent(req.path.slice(BASE.length + 1)) : undefined;
  if (id === undefined && req.method === "POST") return create(ctx, req);
  if (!ctx.behaviour.fraudRuleManagement) return notFound(`No route for ${req.method} ${req.path}`);
  if (id === undefined && req.method === "GET") return list(ctx, req);
  const rule = ctx.state.fraudRules.find((r) => r.id === id && r.owner === req.caller.account.apiKey);
  if (id !== undefined && req.method === "GET")
    return rule ? json(200, fraudRuleView(rule, req.baseUrl)) : notFound(`No rule ${id}`);
  if (id !== undefined && req.method === "DELETE") {
    if (!rule) return notFound(`No rule ${id}`);
    // Removal archives, as the rule's status and archived_timestamp suggest.
    rule.status = "archived";
    rule.archivedTimestamp = auditTime(ctx.now());
    return noContent();
  }
  return problem(405, `${ERR}#method-not-allowed`, "Method Not Allowed", req.method);
};

function create(ctx: SimContext, req: ApiRequest): Reply {
  const { product, prefix, reason, action, status } = req.body;
  const invalid: InvalidParameter[] = [];
  if (product !== "sms" && product !== "voice")
    invalid.push({ name: "product", reason: "must be one of: voice, sms" });
  if (typeof prefix !== "string" || !/^\d{1,15}$/.test(prefix)) {
    invalid.push({ name: "prefix", reason: "must be 1 to 15 digits" });
  }
  if (typeof reason !== "string" || reason === "") invalid.push({ name: "reason", reason: "is required" });
  if (action !== "block" && action !== "allow")
    invalid.push({ name: "action", reason: "must be one of: block, allow" });
  if (status !== undefined && status !== "active")
    invalid.push({ name: "status", reason: "a new rule is active" });
  if (req.bodyInvalid || invalid.length > 0) {
    return problem(
      400,
      `${ERR}#validation`,
      "Bad Request",
      "The request failed due to validation errors",
      invalid,
    );
  }
  const rule: SimFraudRule = {
    id: ctx.newId(),
    owner: req.caller.account.apiKey,
    product: product as SimFraudRule["product"],
    prefix: prefix as string,
    action: action as SimFraudRule["action"],
    reason: reason as string,
    status: "active",
    createdTimestamp: auditTime(ctx.now()),
  };
  ctx.state.fraudRules.push(rule);
  return json(201, fraudRuleView(rule, req.baseUrl));
}

function list(ctx: SimContext, req: ApiRequest): Reply {
  const product = req.query.get("product");
  const status = req.query.get("status") ?? "active";
  const rules = ctx.state.fraudRules.filter(
    (r) =>
      r.owner === req.caller.account.apiKey &&
      (product === null || r.product === product) &&
      (status === "all" || r.status === status),
  );
  return json(200, {
    page: { number: 1, size: rules.length, totalElements: rules.length, totalPages: 1 },
    _embedded: { rules: rules.map((r) => fraudRuleView(r, req.baseUrl)) },
    _links: { self: { href: `${req.baseUrl}${BASE}` } },
  });
}
