// One request to the simulator, from body to reply: /_sim/ goes to the admin endpoints, /_hooks/ to the
// scenario's own webhooks, everything else is an API request that is counted, logged, put through the faults
// (dropped connection, latency, rate limit), authenticated, given an injected 5xx if asked, and routed.

import type { IncomingMessage, ServerResponse } from "node:http";
import { adminReply } from "./admin-routes.js";
import { routeApiRequest } from "./api-routes.js";
import { authenticate, ownerOf, parseBasic } from "./authenticate-caller.js";
import { routeKey, type Faults } from "./faults.js";
import { ipv4Of, parseBody, readBody, send } from "./http-exchange.js";
import {
  familyOf,
  json,
  serverError,
  tooManyRequests,
  unauthorized,
  type ErrorFamily,
  type Reply,
} from "./reply.js";
import { appendRequestLog } from "./request-log.js";
import type { Caller } from "./sim-context.js";
import type { SimServer } from "./sim-server.js";
import { verifyApplicationJwt } from "./verify-application-jwt.js";
import { invalidJwt, isJwtPath } from "./voice-routes.js";

/** What the dispatch read of a request before it became an API request. */
interface Received {
  url: URL;
  path: string;
  method: string;
  bodyText: string;
  /** performance.now() when the request arrived. */
  started: number;
}

type JwtResult = ReturnType<typeof verifyApplicationJwt>;

export async function handleRequest(
  server: SimServer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? "/", "http://simulator");
  const path = url.pathname;
  const method = req.method ?? "GET";
  const bodyText = await readBody(req);
  if (bodyText === undefined) {
    send(res, json(413, { error: "body too large" }));
    return;
  }
  if (path === "/_sim" || path.startsWith("/_sim/")) {
    send(res, await adminReply(server, req, path, bodyText));
    return;
  }
  // The scenario's own webhooks: not an API route, no auth, not counted.
  const hook = /^\/_hooks\/sms\/([^/]+)$/.exec(path);
  if (hook) {
    const down = server.unreachable.has(decodeURIComponent(hook[1] ?? ""));
    send(res, down ? json(503, { error: "webhook down" }) : json(200, { ok: true }));
    return;
  }
  await handleApiRequest(server, req, res, { url, path, method, bodyText, started });
}

async function handleApiRequest(
  server: SimServer,
  req: IncomingMessage,
  res: ServerResponse,
  { url, path, method, bodyText, started }: Received,
): Promise<void> {
  server.count += 1;
  const seq = server.count;
  const basic = parseBasic(req.headers.authorization);
  // Voice API paths take an application's RS256 JWT instead of the account's Basic credentials.
  const jwt = isJwtPath(path)
    ? verifyApplicationJwt(req.headers.authorization, server.ctx.state, Date.now())
    : undefined;
  const apiKey = jwt?.ok ? jwt.app.owner : (basic?.apiKey ?? url.searchParams.get("api_key") ?? undefined);
  const query = new URLSearchParams(url.searchParams);
  query.delete("api_secret");
  const record = (status: number, notes?: string[]): void =>
    appendRequestLog(server.log, {
      ...(notes === undefined ? {} : { notes }),
      seq,
      at: new Date().toISOString(),
      method,
      path,
      query: query.toString(),
      status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      apiKey,
    });
  server.options.onRequest?.(seq, { method, path, apiKey });

  const current = server.faults;
  if (current.dropConnectionOn.includes(seq)) {
    record(0);
    req.socket.destroy();
    return;
  }
  const delay =
    current.latencyMs + (current.jitterMs > 0 ? Math.floor(Math.random() * (current.jitterMs + 1)) : 0);
  if (delay > 0) await sleep(delay);

  const family = familyOf(path);
  const limited = rateLimit(server, current, apiKey, family);
  let reply = limited.reply;
  const caller = reply ? undefined : callerOf(server, req, url, basic, jwt);
  if (!reply && !caller) reply = jwt && !jwt.ok ? invalidJwt(jwt.reason) : unauthorized(family);
  reply ??= injectedServerError(current, method, path, family);
  if (!reply && caller) {
    const parsed = parseBody(bodyText, req.headers["content-type"]);
    reply = await routeApiRequest(
      server.ctx,
      {
        method,
        path,
        query: url.searchParams,
        body: parsed.body,
        bodyInvalid: parsed.invalid,
        caller,
        baseUrl: `http://${req.headers.host ?? "127.0.0.1"}`,
        sourceIp: ipv4Of(req.socket.remoteAddress),
        ...(jwt?.ok ? { application: jwt.app } : {}),
      },
      family,
    );
  }
  res.on("finish", () => record(res.statusCode, reply?.notes));
  send(res, reply ?? serverError(family, 500), limited.headers);
}

/** The key's rate-limit headers, and a 429 when it is over the limit; nothing when the limit is off. */
function rateLimit(
  server: SimServer,
  faults: Faults,
  apiKey: string | undefined,
  family: ErrorFamily,
): { reply: Reply | undefined; headers: Record<string, string> } {
  if (faults.rateLimit <= 0) return { reply: undefined, headers: {} };
  const taken = server.limiter.take(
    apiKey ?? "(anonymous)",
    faults.rateLimit,
    Date.now(),
    faults.retryAfterSeconds,
  );
  return { reply: taken.limited ? tooManyRequests(family) : undefined, headers: taken.headers };
}

/** The caller a JWT (Voice paths), Basic auth or the `api_key`/`api_secret` query authenticates, if any. */
function callerOf(
  server: SimServer,
  req: IncomingMessage,
  url: URL,
  basic: ReturnType<typeof parseBasic>,
  jwt: JwtResult | undefined,
): Caller | undefined {
  const state = server.ctx.state;
  if (jwt !== undefined) return jwt.ok ? ownerOf(state, jwt.app.owner) : undefined;
  if (req.headers.authorization === undefined) {
    return authenticate(
      state,
      url.searchParams.get("api_key") ?? undefined,
      url.searchParams.get("api_secret") ?? undefined,
    );
  }
  return authenticate(state, basic?.apiKey, basic?.secret);
}

/** A 5xx the faults ask for on this route (`errorRate`), drawn at random. */
function injectedServerError(
  faults: Faults,
  method: string,
  path: string,
  family: ErrorFamily,
): Reply | undefined {
  const rate = faults.errorRate[routeKey(method, path)] ?? faults.errorRate["*"] ?? 0;
  return rate > 0 && Math.random() < rate ? serverError(family, faults.errorStatus) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
