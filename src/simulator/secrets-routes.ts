// Secrets API (/accounts/{api_key}/secrets): list/get/create/revoke with Vonage's complexity rules, the
// 2-secret limit and the last-secret guard. A primary may manage its subaccounts' secrets.

import { accountProblem, json, noContent, problem, type Reply } from "./reply.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimSecret } from "./sim-state.js";
import { isoSeconds } from "./timestamps.js";

const ERR = "https://developer.nexmo.com/api-errors/account/secret-management";
const MAX_SECRETS = 2;

/** The reason a proposed secret breaks Vonage's rules, or undefined when it is acceptable. */
export function secretRuleViolation(secret: unknown): string | undefined {
  if (typeof secret !== "string" || secret.length === 0) return "Is required";
  if (secret.length < 8 || secret.length > 25) return "Must be between 8 and 25 characters";
  if (!/[a-z]/.test(secret) || !/[A-Z]/.test(secret) || !/\d/.test(secret)) {
    return "Does not meet complexity requirements";
  }
  return undefined;
}

function secretView(apiKey: string, s: SimSecret): Record<string, unknown> {
  return {
    _links: { self: { href: `/accounts/${apiKey}/secrets/${s.id}` } },
    id: s.id,
    created_at: s.createdAt,
  };
}

function invalidApiKey(apiKey: string): Reply {
  return accountProblem(
    404,
    "https://developer.nexmo.com/api-errors#invalid-api-key",
    "Invalid API Key",
    `API key '${apiKey}' not found`,
  );
}

/** The secrets of the account named in the path, if the caller may manage them. */
function secretsOf(ctx: SimContext, req: ApiRequest, apiKey: string): SimSecret[] | undefined {
  const caller = req.caller.account.apiKey;
  if (apiKey === caller) return req.caller.account.secrets;
  if (req.caller.kind !== "primary") return undefined;
  return ctx.state.subaccounts.find((s) => s.apiKey === apiKey)?.secrets;
}

export const secretsRoutes: RouteHandler = (ctx, req) => {
  const m = /^\/accounts\/([^/]+)\/secrets(?:\/([^/]+))?\/?$/.exec(req.path);
  if (!m) return undefined;
  const apiKey = decodeURIComponent(m[1] ?? "");
  const secretId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  const secrets = secretsOf(ctx, req, apiKey);
  if (!secrets) return invalidApiKey(apiKey);

  if (secretId === undefined) {
    if (req.method === "GET") {
      return json(200, {
        _links: { self: { href: `/accounts/${apiKey}/secrets` } },
        _embedded: { secrets: secrets.map((s) => secretView(apiKey, s)) },
      });
    }
    if (req.method === "POST") return createSecret(ctx, req, apiKey, secrets);
    return methodNotAllowed(req.method);
  }

  const secret = secrets.find((s) => s.id === secretId);
  if (req.method !== "GET" && req.method !== "DELETE") return methodNotAllowed(req.method);
  if (!secret) {
    return accountProblem(
      404,
      "https://developer.nexmo.com/api-errors#invalid-id",
      "Invalid ID",
      `ID '${secretId}' could not be found`,
    );
  }
  if (req.method === "GET") return json(200, secretView(apiKey, secret));
  if (secrets.length <= 1) {
    return problem(
      403,
      `${ERR}#delete-last-secret`,
      "Secret Deletion Forbidden",
      "Can not delete the last secret. The account must always have at least 1 secret active at any time",
    );
  }
  secrets.splice(secrets.indexOf(secret), 1);
  ctx.record("ACCOUNT_SECRET_DELETE", req, { secret_id: secret.id, api_key: apiKey }, apiKey);
  return noContent();
};

function createSecret(ctx: SimContext, req: ApiRequest, apiKey: string, secrets: SimSecret[]): Reply {
  const value = req.body["secret"];
  const violation = req.bodyInvalid ? "Request body must be JSON" : secretRuleViolation(value);
  if (violation !== undefined || typeof value !== "string") {
    return accountProblem(
      400,
      `${ERR}#validation`,
      "Bad Request",
      "The request failed due to secret validation errors",
      [{ name: "secret", reason: violation ?? "Is required" }],
    );
  }
  if (secrets.length >= MAX_SECRETS) {
    // Vonage's newest SDK fixtures; the older `#maximum-secrets-allowed` body is no longer sent.
    return problem(
      403,
      `${ERR}#add-excess-secret`,
      "Secret Addition Forbidden",
      `Account reached maximum number [${MAX_SECRETS}] of allowed secrets`,
    );
  }
  const created: SimSecret = {
    id: ctx.newId(),
    createdAt: isoSeconds(ctx.now()),
    value,
  };
  secrets.push(created);
  ctx.record("ACCOUNT_SECRET_CREATE", req, { secret_id: created.id, api_key: apiKey }, apiKey);
  return json(201, secretView(apiKey, created));
}

export function methodNotAllowed(method: string): Reply {
  return problem(
    405,
    "https://developer.nexmo.com/api-errors#wrong-verb",
    "Request method not allowed",
    `Request method '${method}' not supported`,
  );
}
