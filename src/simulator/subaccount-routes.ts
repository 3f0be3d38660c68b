// Subaccounts API (/accounts/{primary}/subaccounts): list, get, create and PATCH (suspend, rename, balance
// sharing). There is no delete on the real API; suspension is the reversible "prune".

import { json, problem, type InvalidParameter, type Reply } from "./reply.js";
import { methodNotAllowed, secretRuleViolation } from "./secrets-routes.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimSubaccount } from "./sim-state.js";
import { isoSeconds } from "./timestamps.js";

// Subaccounts 1.0.8's error types: generic ones for access and keys, `/subaccounts#` for validation.
const ERR = "https://developer.nexmo.com/api-errors";
const VALIDATION = "https://developer.nexmo.com/api-errors/subaccounts#validation";

export function subaccountView(sub: SimSubaccount, primaryKey: string): Record<string, unknown> {
  return {
    api_key: sub.apiKey,
    name: sub.name,
    primary_account_api_key: primaryKey,
    use_primary_account_balance: sub.usePrimaryAccountBalance,
    created_at: sub.createdAt,
    suspended: sub.suspended,
    balance: sub.usePrimaryAccountBalance ? null : sub.balance,
    credit_limit: sub.usePrimaryAccountBalance ? null : sub.creditLimit,
  };
}

export const subaccountRoutes: RouteHandler = (ctx, req) => {
  const m = /^\/accounts\/([^/]+)\/subaccounts(?:\/([^/]+))?\/?$/.exec(req.path);
  if (!m) return undefined;
  if (!ctx.behaviour.subaccountsAvailable) {
    return problem(
      403,
      `${ERR}#unprovisioned`,
      "Authorisation error",
      "Account is not provisioned to access Subaccount Provisioning API",
    );
  }
  const primaryKey = decodeURIComponent(m[1] ?? "");
  const subKey = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  const primary = ctx.state.primary;
  if (req.caller.kind !== "primary" || primaryKey !== primary.apiKey) {
    return problem(
      404,
      `${ERR}#invalid-api-key`,
      "Invalid API Key",
      `API key '${primaryKey}' does not exist, or you do not have access`,
    );
  }
  if (subKey === undefined) {
    if (req.method === "GET") {
      return json(200, {
        _embedded: {
          primary_account: {
            api_key: primary.apiKey,
            name: primary.name,
            balance: primary.balance,
            credit_limit: 0,
            suspended: false,
            created_at: primary.createdAt,
          },
          subaccounts: ctx.state.subaccounts.map((s) => subaccountView(s, primary.apiKey)),
        },
      });
    }
    if (req.method === "POST") return create(ctx, req);
    return methodNotAllowed(req.method);
  }
  const sub = ctx.state.subaccounts.find((s) => s.apiKey === subKey);
  if (req.method !== "GET" && req.method !== "PATCH") return methodNotAllowed(req.method);
  if (!sub) {
    return problem(
      404,
      `${ERR}#invalid-api-key`,
      "Invalid API Key",
      `API key '${subKey}' does not exist, or you do not have access`,
    );
  }
  if (req.method === "GET") return json(200, subaccountView(sub, primary.apiKey));
  return patch(ctx, req, sub);
};

function validationError(invalid: InvalidParameter[]): Reply {
  return problem(422, VALIDATION, "Bad Request", "The request failed due to validation errors", invalid);
}

function patch(ctx: SimContext, req: ApiRequest, sub: SimSubaccount): Reply {
  const { suspended, name, use_primary_account_balance: shared } = req.body;
  const invalid: InvalidParameter[] = [];
  if (req.bodyInvalid) invalid.push({ name: "body", reason: "must be a JSON object" });
  if (suspended !== undefined && typeof suspended !== "boolean")
    invalid.push({ name: "suspended", reason: "must be a boolean" });
  if (shared !== undefined && typeof shared !== "boolean") {
    invalid.push({ name: "use_primary_account_balance", reason: "must be a boolean" });
  }
  if (name !== undefined && (typeof name !== "string" || name === "" || name.length > 80)) {
    invalid.push({ name: "name", reason: "must be a string of 1 to 80 characters" });
  }
  if (invalid.length > 0) return validationError(invalid);
  if (typeof name === "string") sub.name = name;
  if (typeof shared === "boolean" && shared !== sub.usePrimaryAccountBalance) {
    sub.usePrimaryAccountBalance = shared;
    sub.balance = shared ? null : (sub.balance ?? 0);
    sub.creditLimit = shared ? null : (sub.creditLimit ?? 0);
  }
  if (typeof suspended === "boolean" && suspended !== sub.suspended) {
    sub.suspended = suspended;
    // The 2021 Audit enum has no subaccount types; see audit-event-types.ts.
    ctx.record("USER_STATUS", req, { subaccount_api_key: sub.apiKey, suspended });
  }
  return json(200, subaccountView(sub, ctx.state.primary.apiKey));
}

function create(ctx: SimContext, req: ApiRequest): Reply {
  const { name, secret, use_primary_account_balance: shared } = req.body;
  const invalid: InvalidParameter[] = [];
  if (req.bodyInvalid) invalid.push({ name: "body", reason: "must be a JSON object" });
  if (typeof name !== "string" || name === "" || name.length > 80) {
    invalid.push({ name: "name", reason: "must be a string of 1 to 80 characters" });
  }
  const violation = secret === undefined ? undefined : secretRuleViolation(secret);
  if (violation !== undefined) invalid.push({ name: "secret", reason: violation });
  if (shared !== undefined && typeof shared !== "boolean") {
    invalid.push({ name: "use_primary_account_balance", reason: "must be a boolean" });
  }
  if (invalid.length > 0 || typeof name !== "string") return validationError(invalid);
  const useShared = shared !== false;
  const value = typeof secret === "string" ? secret : generatedSecret(ctx.newId());
  const now = ctx.now();
  const sub: SimSubaccount = {
    apiKey: ctx.newId().replace(/-/g, "").slice(0, 8),
    name,
    createdAt: isoSeconds(now),
    secrets: [{ id: ctx.newId(), createdAt: isoSeconds(now), value }],
    settings: { ...ctx.state.primary.settings },
    suspended: false,
    usePrimaryAccountBalance: useShared,
    balance: useShared ? null : 0,
    creditLimit: useShared ? null : 0,
  };
  ctx.state.subaccounts.push(sub);
  ctx.record("USER_CREATE", req, { subaccount_api_key: sub.apiKey });
  return json(200, { ...subaccountView(sub, ctx.state.primary.apiKey), secret: value });
}

/** A rule-abiding secret derived from a fresh UUID (the simulator's secrets need not be strong). */
function generatedSecret(uuid: string): string {
  return `Sim${uuid.replace(/-/g, "").slice(0, 13)}9x`;
}
