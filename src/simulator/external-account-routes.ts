// External Accounts API 0.1.6 (/beta/chatapp-accounts): WhatsApp, Messenger, Viber and RCS accounts, each
// linked to at most one application; list (paged by page_number/page_size), get, link and unlink.

import { json, noContent, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import { EXTERNAL_PROVIDERS, type SimExternalAccount } from "./sim-state.js";

const BASE = "/beta/chatapp-accounts";
const ERR = "https://www.nexmo.com/messages/Errors";

export function externalAccountView(a: SimExternalAccount): Record<string, unknown> {
  return {
    name: a.name,
    applications: [...a.applications],
    external_id: a.externalId,
    api_key: a.owner,
    provider: a.provider,
    ...(a.provider === "messenger" ? { access_token: a.accessToken ?? "" } : {}),
  };
}

function isProvider(value: string): value is SimExternalAccount["provider"] {
  return (EXTERNAL_PROVIDERS as readonly string[]).includes(value);
}

function failure(status: number, kind: string, title: string, detail: string): Reply {
  return json(status, { type: `${ERR}#${kind}`, title, detail });
}

export const externalAccountRoutes: RouteHandler = (ctx, req) => {
  if (req.path !== BASE && !req.path.startsWith(`${BASE}/`)) return undefined;
  const parts = req.path
    .slice(BASE.length)
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  if (parts.length === 0)
    return req.method === "GET"
      ? list(ctx, req)
      : failure(405, "MethodNotAllowed", "Method not allowed", req.method);
  const [provider = "", externalId = "", sub, appId] = parts;
  if (
    !isProvider(provider) ||
    externalId === "" ||
    (sub !== undefined && sub !== "applications") ||
    parts.length > 4
  ) {
    return failure(404, "NotFound", "Not found", `No route for ${req.method} ${req.path}`);
  }
  const account = ctx.state.externalAccounts.find(
    (a) => a.provider === provider && a.externalId === externalId && a.owner === req.caller.account.apiKey,
  );
  if (!account) return failure(404, "NotFound", "Not found", `No ${provider} account ${externalId}`);
  if (sub === undefined) {
    return req.method === "GET"
      ? json(200, externalAccountView(account))
      : failure(405, "MethodNotAllowed", "Method not allowed", req.method);
  }
  if (appId === undefined) {
    return req.method === "POST"
      ? link(ctx, req, account)
      : failure(405, "MethodNotAllowed", "Method not allowed", req.method);
  }
  return req.method === "DELETE"
    ? unlink(account, appId)
    : failure(405, "MethodNotAllowed", "Method not allowed", req.method);
};

function list(ctx: SimContext, req: ApiRequest): Reply {
  const provider = req.query.get("provider");
  const pageNumber = Number(req.query.get("page_number") ?? "1");
  const pageSize = Number(req.query.get("page_size") ?? "20");
  if (
    !Number.isInteger(pageNumber) ||
    pageNumber < 1 ||
    !Number.isInteger(pageSize) ||
    pageSize < 1 ||
    pageSize > 100
  ) {
    return failure(400, "BadRequest", "Bad request", "page_number must be >= 1 and page_size 1..100");
  }
  if (provider !== null && !isProvider(provider)) {
    return failure(
      400,
      "BadRequest",
      "Bad request",
      `provider must be one of ${EXTERNAL_PROVIDERS.join(", ")}`,
    );
  }
  const mine = ctx.state.externalAccounts.filter(
    (a) => a.owner === req.caller.account.apiKey && (provider === null || a.provider === provider),
  );
  const pages = Math.max(1, Math.ceil(mine.length / pageSize));
  const href = (n: number): { href: string } => ({
    href: `${req.baseUrl}${BASE}?${provider === null ? "" : `provider=${provider}&`}page_number=${n}&page_size=${pageSize}`,
  });
  const links: Record<string, { href: string }> = {
    self: href(pageNumber),
    first: href(1),
    last: href(pages),
  };
  if (pageNumber < pages) links["next"] = href(pageNumber + 1);
  if (pageNumber > 1) links["prev"] = href(pageNumber - 1);
  return json(200, {
    page_number: pageNumber,
    page_size: pageSize,
    _embedded: mine.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(externalAccountView),
    _links: links,
  });
}

function link(ctx: SimContext, req: ApiRequest, account: SimExternalAccount): Reply {
  const appId = req.body["application"];
  if (
    typeof appId !== "string" ||
    !ctx.state.applications.some((a) => a.id === appId && a.owner === account.owner)
  ) {
    return failure(403, "Forbidden", "Forbidden", "Cannot link application");
  }
  const current = account.applications[0];
  if (current === appId) return json(200, externalAccountView(account));
  // One application per account: a linked account must be unlinked first, even from a deleted application.
  if (current !== undefined) {
    return failure(
      409,
      "Conflict",
      "Application conflict",
      `Unable to link application: linked to ${current}`,
    );
  }
  account.applications = [appId];
  ctx.record("APP_UPDATE", req, {
    appId,
    linkedExternalAccount: { provider: account.provider, external_id: account.externalId },
  });
  return json(200, externalAccountView(account));
}

function unlink(account: SimExternalAccount, appId: string): Reply {
  if (account.applications[0] !== appId) {
    return failure(409, "Conflict", "Application conflict", "Unable to unlink application");
  }
  account.applications = [];
  return noContent();
}
