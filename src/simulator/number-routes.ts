// Numbers API on rest.nexmo.com: the owned-number list (filters, 1-based `index`, `size` <= 100, `count`) and
// POST /number/update, which is not a patch (an omitted field, `app_id` included, is cleared), probes a new
// `moHttpUrl` with a GET first, and notes the deprecated voiceCallbackType=app in the request log.

import { isLoopbackHost } from "./loopback-host.js";
import { json, restError, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimNumber } from "./sim-state.js";

export const numberRoutes: RouteHandler = (ctx, req) => {
  if (req.path === "/account/numbers") {
    return req.method === "GET" ? list(ctx, req) : restError(405, "method not allowed");
  }
  if (req.path === "/number/update") {
    return req.method === "POST" ? update(ctx, req) : restError(405, "method not allowed");
  }
  return undefined;
};

/** What GET /account/numbers shows: never `voiceStatusCallback` or `moSmppSysType`, as on the real API. */
export function numberView(n: SimNumber): Record<string, unknown> {
  const view: Record<string, unknown> = { country: n.country, msisdn: n.msisdn };
  if (n.moHttpUrl) view["moHttpUrl"] = n.moHttpUrl;
  view["type"] = n.type;
  view["features"] = n.features;
  if (n.messagesCallbackType) view["messagesCallbackType"] = n.messagesCallbackType;
  if (n.messagesCallbackValue) view["messagesCallbackValue"] = n.messagesCallbackValue;
  if (n.voiceCallbackType) view["voiceCallbackType"] = n.voiceCallbackType;
  if (n.voiceCallbackValue) view["voiceCallbackValue"] = n.voiceCallbackValue;
  if (n.appId) view["app_id"] = n.appId;
  return view;
}

function list(ctx: SimContext, req: ApiRequest): Reply {
  const q = req.query;
  const size = q.get("size") === null ? 10 : Number(q.get("size"));
  const index = q.get("index") === null ? 1 : Number(q.get("index"));
  if (!Number.isInteger(size) || size < 1 || size > 100)
    return restError(400, "invalid parameter size (1..100)");
  if (!Number.isInteger(index) || index < 1) return restError(400, "invalid parameter index");
  const appId = q.get("application_id");
  const hasApp = q.get("has_application");
  const country = q.get("country");
  const pattern = q.get("pattern");
  const searchPattern = q.get("search_pattern") ?? "0";
  const matches = ctx.state.numbers.filter((n) => {
    if (n.owner !== req.caller.account.apiKey) return false;
    if (appId !== null && n.appId !== appId) return false;
    if (hasApp === "true" && !n.appId) return false;
    if (hasApp === "false" && n.appId) return false;
    if (country !== null && n.country !== country.toUpperCase()) return false;
    if (pattern !== null && pattern !== "") {
      if (searchPattern === "1" && !n.msisdn.includes(pattern)) return false;
      if (searchPattern === "2" && !n.msisdn.endsWith(pattern)) return false;
      if (searchPattern !== "1" && searchPattern !== "2" && !n.msisdn.startsWith(pattern)) return false;
    }
    return true;
  });
  const page = matches.slice((index - 1) * size, index * size).map(numberView);
  // Vonage leaves `numbers` out entirely when nothing matches.
  return json(200, page.length > 0 ? { count: matches.length, numbers: page } : { count: matches.length });
}

const SETTABLE_FIELDS = [
  "moHttpUrl",
  "moSmppSysType",
  "voiceCallbackType",
  "voiceCallbackValue",
  "voiceStatusCallback",
] as const;

async function update(ctx: SimContext, req: ApiRequest): Promise<Reply> {
  const { country, msisdn } = req.body;
  if (typeof country !== "string" || country === "") return restError(420, "missing parameter country");
  if (typeof msisdn !== "string" || msisdn === "") return restError(420, "missing parameter msisdn");
  const number = ctx.state.numbers.find(
    (n) =>
      n.owner === req.caller.account.apiKey && n.msisdn === msisdn && n.country === country.toUpperCase(),
  );
  if (!number) return restError(420, `number ${msisdn} not found in your account`);
  const appId = req.body["app_id"];
  if (appId !== undefined && appId !== "" && typeof appId === "string") {
    if (!ctx.state.applications.some((a) => a.id === appId && a.owner === number.owner)) {
      return restError(420, `application ${appId} not found`);
    }
  }
  const sent: Partial<Record<(typeof SETTABLE_FIELDS)[number], string>> = {};
  for (const field of SETTABLE_FIELDS) {
    const value = req.body[field];
    if (typeof value === "string" && value !== "") sent[field] = value;
  }
  if (sent.voiceCallbackType !== undefined && !["sip", "tel", "app"].includes(sent.voiceCallbackType)) {
    return restError(420, "invalid parameter voiceCallbackType (sip, tel or app)");
  }
  // Numbers 1.1.0: "Your webhook endpoint must be active before you make this request".
  if (sent.moHttpUrl !== undefined) {
    const failure = await probeWebhook(sent.moHttpUrl);
    if (failure !== undefined) {
      return restError(420, `moHttpUrl ${sent.moHttpUrl} must answer 200 OK to a GET: ${failure}`);
    }
  }
  const notes: string[] = [];
  if (sent.voiceCallbackType === "app") {
    notes.push("deprecated: voiceCallbackType=app (will be removed; link the number with app_id)");
  }
  const previousApp = number.appId;
  const linkTo = typeof appId === "string" && appId !== "" ? appId : undefined;
  // Not a patch: the number keeps exactly what this request sent; every field it left out is cleared.
  for (const field of [
    ...SETTABLE_FIELDS,
    "appId",
    "messagesCallbackType",
    "messagesCallbackValue",
  ] as const) {
    delete number[field];
  }
  if (linkTo !== undefined) {
    number.appId = linkTo;
    number.messagesCallbackType = "app";
    number.messagesCallbackValue = linkTo;
  }
  Object.assign(number, sent);
  const context = { country: number.country, msisdn: number.msisdn, account: number.owner };
  if (linkTo !== undefined && linkTo !== previousApp) {
    ctx.record("NUMBER_LINKED", req, {
      ...context,
      applicationId: linkTo,
      previousApplicationId: previousApp ?? null,
    });
  } else if (linkTo === undefined && previousApp !== undefined) {
    ctx.record("NUMBER_UNLINKED", req, { ...context, applicationId: previousApp });
  }
  ctx.record("NUMBER_UPDATED", req, { country: number.country, msisdn: number.msisdn });
  return {
    ...json(200, { "error-code": "200", "error-code-label": "success" }),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/**
 * GETs an SMS webhook as Vonage does before accepting it; the reason it is not acceptable, or undefined. Only
 * loopback URLs are fetched: any other host counts as unreachable without a packet leaving the machine.
 */
export async function probeWebhook(url: string): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "not an http(s) URL";
  if (!isLoopbackHost(parsed.hostname.replace(/^\[|\]$/g, ""))) {
    return "unreachable (the simulator only reaches loopback webhooks)";
  }
  try {
    const res = await fetch(parsed, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200 ? undefined : `answered ${res.status}`;
  } catch {
    return "unreachable";
  }
}
