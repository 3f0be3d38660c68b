// rest.nexmo.com account endpoints: balance (with autoReload), top-up (only when auto-reload is on) and the
// SMS callback settings, whose only "read" is a POST with an empty form.

import { accountProblem, json, restError, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimSettings } from "./sim-state.js";

export const accountRoutes: RouteHandler = (ctx, req) => {
  switch (req.path) {
    case "/account/get-balance":
      return req.method === "GET" ? balance(ctx, req) : restError(405, "method not allowed");
    case "/account/top-up":
      return req.method === "POST" ? topUp(ctx, req) : restError(405, "method not allowed");
    case "/account/settings":
      return req.method === "POST" ? settings(ctx, req) : restError(405, "method not allowed");
    default:
      return undefined;
  }
};

/** A subaccount sharing the primary's balance sees the primary's; auto-reload is a primary-account feature. */
function balanceOf(ctx: SimContext, req: ApiRequest): { value: number; autoReload: boolean } {
  const primary = ctx.state.primary;
  if (req.caller.kind === "primary") return { value: primary.balance, autoReload: primary.autoReload };
  const sub = req.caller.account;
  if (sub.usePrimaryAccountBalance || sub.balance === null) {
    return { value: primary.balance, autoReload: primary.autoReload };
  }
  return { value: sub.balance, autoReload: false };
}

function balance(ctx: SimContext, req: ApiRequest): Reply {
  return json(200, balanceOf(ctx, req));
}

function topUp(ctx: SimContext, req: ApiRequest): Reply {
  const trx = req.body["trx"];
  if (typeof trx !== "string" || trx === "") return restError(400, "missing parameter trx");
  if (!balanceOf(ctx, req).autoReload) {
    // Account 1.0.4 declares every 401 of top-up as problem JSON; the detail keeps the older label's words.
    return accountProblem(
      401,
      "https://developer.nexmo.com/api-errors#unauthorized",
      "Top-up refused",
      "not auto-reload enabled",
    );
  }
  ctx.state.primary.balance = round2(ctx.state.primary.balance + ctx.state.primary.autoReloadAmount);
  return json(200, { "error-code": "200", "error-code-label": "success" });
}

function settings(ctx: SimContext, req: ApiRequest): Reply {
  const current = req.caller.account.settings;
  const changes: Partial<Pick<SimSettings, "moCallbackUrl" | "drCallbackUrl">> = {};
  for (const [field, key] of [
    ["moCallBackUrl", "moCallbackUrl"],
    ["drCallBackUrl", "drCallbackUrl"],
  ] as const) {
    const value = req.body[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || (value !== "" && !isHttpUrl(value))) {
      return restError(400, `invalid ${field}`);
    }
    changes[key] = value;
  }
  if (Object.keys(changes).length > 0) {
    const before = { moCallBackUrl: current.moCallbackUrl, drCallBackUrl: current.drCallbackUrl };
    Object.assign(current, changes);
    ctx.record("ACCOUNT_UPDATE_SETTINGS_API", req, {
      before,
      after: { moCallBackUrl: current.moCallbackUrl, drCallBackUrl: current.drCallbackUrl },
    });
  }
  return json(200, {
    "mo-callback-url": current.moCallbackUrl,
    "dr-callback-url": current.drCallbackUrl,
    "max-outbound-request": current.maxOutboundRequest,
    "max-inbound-request": current.maxInboundRequest,
    "max-calls-per-second": current.maxCallsPerSecond,
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
