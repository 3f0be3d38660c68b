// Starts the fake Vonage API: one node:http server on loopback serving the api.nexmo.com and rest.nexmo.com
// paths, plus the token-protected /_sim/ admin endpoints. Everything per-request (auth, faults, the request
// log) happens here; the route files only see a parsed, authenticated ApiRequest.

import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { accountRoutes } from "./account-routes.js";
import { AUDIT_EVENT_TYPES, type AuditEventType } from "./audit-event-types.js";
import { applicationRoutes } from "./application-routes.js";
import { auditRoutes } from "./audit-routes.js";
import { buildScenario, type ScenarioParams } from "./build-scenario.js";
import {
  FaultsSchema,
  mergeFaults,
  noFaults,
  RateLimiter,
  routeKey,
  type Faults,
  type FaultsInput,
} from "./faults.js";
import { isLoopbackHost } from "./loopback-host.js";
import { externalAccountRoutes } from "./external-account-routes.js";
import { fraudDefenderRoutes } from "./fraud-defender-routes.js";
import { MAX_RECORDS_PAGE } from "./report-routes.js";
import { reportRoutes } from "./report-routes.js";
import { numberRoutes } from "./number-routes.js";
import { familyOf, json, notFound, serverError, tooManyRequests, unauthorized, type Reply } from "./reply.js";
import { secretsRoutes } from "./secrets-routes.js";
import { verifyApplicationJwt } from "./verify-application-jwt.js";
import { invalidJwt, isJwtPath, voiceRoutes } from "./voice-routes.js";
import type { ApiRequest, Caller, RouteHandler, SimBehaviour, SimContext } from "./sim-context.js";
import { parseSimState, type ScenarioMeta, type SimState } from "./sim-state.js";
import { subaccountRoutes } from "./subaccount-routes.js";
import { auditTime } from "./timestamps.js";

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1; anything but loopback needs allowNonLoopback. */
  host?: string;
  allowNonLoopback?: boolean;
  /** A built-in scenario (default `clean`); ignored when `state` is given. */
  scenario?: string;
  scenarioParams?: ScenarioParams;
  /** A full state to load instead of a scenario (validated with SimStateSchema). */
  state?: SimState;
  latencyMs?: number;
  jitterMs?: number;
  rateLimit?: number;
  /** What DELETE /v2/applications/{id} does while numbers are still linked. Default `orphan`. */
  deleteAppWithNumbers?: "refuse" | "orphan";
  subaccountsAvailable?: boolean;
  auditAvailable?: boolean;
  /** Also serve the unconfirmed Fraud Defender rule list and removal (see docs/simulator.md). Default false. */
  fraudRuleManagement?: boolean;
  /** `false`: the account lacks the (paid) Reports API, every records call answers 403. Default true. */
  reportsAvailable?: boolean;
  /** `false`: Fraud Defender is not on the account, every /v1/fraud-defender call answers 403. Default true. */
  fraudDefenderAvailable?: boolean;
  /** Records per Reports API page: 1 to 1,000, Vonage's maximum (default). Fewer exercise paging in tests. */
  reportsPageSize?: number;
  /** Called for every API request (not admin ones) with its 1-based number, before faults apply. */
  onRequest?: (count: number, info: { method: string; path: string; apiKey: string | undefined }) => void;
  /** Scenario seed (also `scenarioParams.seed`). */
  seed?: number;
  /**
   * How many linked numbers get an SMS webhook that answers 503 (the first ones, in state order), so that a
   * /number/update re-sending their moHttpUrl fails as Vonage's does. Default 0.
   */
  unreachableSmsWebhooks?: number;
}

export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  /** The query string without any `api_secret`. */
  query: string;
  /** 0 when the connection was dropped on purpose. */
  status: number;
  durationMs: number;
  /** The API key the request claimed (Basic auth user or `api_key`); never the secret. */
  apiKey: string | undefined;
  /** What the simulator noticed but accepted, e.g. a deprecated parameter. */
  notes?: string[];
}

export interface RunningSimulator {
  url: string;
  adminToken: string;
  /** The operator's (legitimate) primary credentials of the loaded state. */
  primary: { apiKey: string; apiSecret: string };
  meta: ScenarioMeta;
  /** The msisdns whose SMS webhook answers 503 (see `unreachableSmsWebhooks`). */
  unreachableSmsWebhooks: string[];
  requestCount(): number;
  requests(): RequestLogEntry[];
  dumpState(): SimState;
  setFaults(faults: Partial<FaultsInput>): void;
  close(): Promise<void>;
}

const MAX_BODY = 5 * 1024 * 1024;
const MAX_LOG = 50_000;

export { isLoopbackHost };

function reportsPageSize(value: number | undefined): number {
  if (value === undefined) return MAX_RECORDS_PAGE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_RECORDS_PAGE)
    throw new Error(
      `reportsPageSize must be an integer from 1 to ${MAX_RECORDS_PAGE} (the Reports API's maximum)`,
    );
  return value;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) {
    throw new Error(`refusing to bind the simulator to non-loopback host ${host} without allowNonLoopback`);
  }
  // Listen first: scenario webhooks point at this server's own /_hooks/ paths, so the state needs the URL.
  let handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => {
    send(res, json(503, { error: "simulator starting" }));
  };
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      console.error("simulator: request failed", err);
      if (!res.headersSent) send(res, json(500, { error: "simulator internal error" }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(":") ? `[${address.address}]` : address.address;
  const baseUrl = `http://${urlHost}:${address.port}`;

  let initial = options.state
    ? parseSimState(options.state)
    : buildScenario(options.scenario ?? "clean", {
        hookBase: `${baseUrl}/_hooks`,
        // Without an explicit `now`, place the scenario relative to the real clock so "recent" means recent.
        now: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...options.scenarioParams,
      });
  const initialFaults = FaultsSchema.parse({
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    rateLimit: options.rateLimit ?? 30,
  });
  let faults: Faults = initialFaults;
  const behaviour: SimBehaviour = {
    deleteAppWithNumbers: options.deleteAppWithNumbers ?? "orphan",
    subaccountsAvailable: options.subaccountsAvailable ?? true,
    auditAvailable: options.auditAvailable ?? true,
    fraudRuleManagement: options.fraudRuleManagement ?? false,
    reportsAvailable: options.reportsAvailable ?? true,
    fraudDefenderAvailable: options.fraudDefenderAvailable ?? true,
    reportsPageSize: reportsPageSize(options.reportsPageSize),
  };
  const adminToken = randomBytes(24).toString("base64url");
  const unreachable = new Set(
    initial.numbers
      .filter((n) => n.appId !== undefined && n.moHttpUrl !== undefined)
      .slice(0, options.unreachableSmsWebhooks ?? 0)
      .map((n) => n.msisdn),
  );
  const limiter = new RateLimiter();
  const log: RequestLogEntry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;

  const pushEvent = (event: {
    event_type: AuditEventType;
    account_id: string;
    source: "CD" | "DEVAPI";
    source_description: string;
    user_email?: string;
    source_ip?: string;
    context: Record<string, unknown>;
  }): void => {
    ctx.state.auditEvents.push({
      id: randomUUID(),
      event_type_description: AUDIT_EVENT_TYPES[event.event_type],
      created_at: auditTime(Date.now()),
      ...event,
    });
  };

  const ctx: SimContext = {
    state: structuredClone(initial),
    behaviour,
    now: () => Date.now(),
    newId: () => randomUUID(),
    record: (type, req, context, accountId) =>
      pushEvent({
        event_type: type,
        account_id: accountId ?? req.caller.account.apiKey,
        source: "DEVAPI",
        source_description: "Developer API",
        ...(req.sourceIp === undefined ? {} : { source_ip: req.sourceIp }),
        context,
      }),
  };

  const routes: RouteHandler[] = [
    secretsRoutes,
    subaccountRoutes,
    applicationRoutes,
    accountRoutes,
    numberRoutes,
    auditRoutes,
    voiceRoutes,
    externalAccountRoutes,
    fraudDefenderRoutes,
    reportRoutes,
  ];

  const authenticate = (apiKey: string | undefined, secret: string | undefined): Caller | undefined => {
    if (apiKey === undefined || secret === undefined) return undefined;
    const { primary, subaccounts } = ctx.state;
    let caller: Caller | undefined;
    if (primary.apiKey === apiKey) caller = { kind: "primary", account: primary };
    const sub = subaccounts.find((s) => s.apiKey === apiKey);
    // A suspended subaccount's credentials stop working, whichever secret they use.
    if (!caller && sub && !sub.suspended) caller = { kind: "subaccount", account: sub };
    if (!caller) return undefined;
    return caller.account.secrets.some((s) => safeEqual(s.value, secret)) ? caller : undefined;
  };

  /** The account a verified JWT's application belongs to; a suspended subaccount's applications stop working. */
  const ownerOf = (apiKey: string): Caller | undefined => {
    const { primary, subaccounts } = ctx.state;
    if (primary.apiKey === apiKey) return { kind: "primary", account: primary };
    const sub = subaccounts.find((s) => s.apiKey === apiKey && !s.suspended);
    return sub ? { kind: "subaccount", account: sub } : undefined;
  };

  const dashboardAutoReload = (enabled: boolean): void => {
    const primary = ctx.state.primary;
    if (primary.autoReload === enabled) return;
    primary.autoReload = enabled;
    pushEvent({
      event_type: enabled ? "AUTORELOAD_ENABLE" : "AUTORELOAD_DISABLE",
      account_id: primary.apiKey,
      source: "CD",
      source_description: "Customer Dashboard",
      user_email: "ops@example.com",
      context: { autoReload: enabled },
    });
  };

  const clearTimers = (): void => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };

  const admin = async (req: IncomingMessage, path: string, bodyText: string): Promise<Reply> => {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !safeEqual(auth.slice(7), adminToken)) {
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
      switch (route) {
        case "GET /_sim/state":
          return json(200, ctx.state);
        case "PUT /_sim/state":
          initial = parseSimState(body);
          ctx.state = structuredClone(initial);
          return json(200, { ok: true });
        case "GET /_sim/fraud-rules":
          return json(200, { fraudRules: ctx.state.fraudRules });
        case "GET /_sim/external-accounts":
          return json(200, { externalAccounts: ctx.state.externalAccounts });
        case "GET /_sim/requests":
          return json(200, { count, requests: log });
        case "POST /_sim/reset":
          clearTimers();
          ctx.state = structuredClone(initial);
          faults = initialFaults;
          limiter.reset();
          return json(200, { ok: true });
        case "GET /_sim/faults":
          return json(200, faults);
        case "POST /_sim/faults":
          faults = mergeFaults(faults, body);
          // A changed rate limit or Retry-After starts afresh, so a long hold can be lifted.
          limiter.reset();
          return json(200, faults);
        case "DELETE /_sim/faults":
          faults = noFaults();
          limiter.reset();
          return json(200, faults);
        case "POST /_sim/dashboard/autoreload": {
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
              timers.delete(timer);
              dashboardAutoReload(enabled);
            }, afterMs);
            timers.add(timer);
            return json(202, { scheduled: true, enabled, afterMs });
          }
          dashboardAutoReload(enabled);
          return json(200, { autoReload: ctx.state.primary.autoReload });
        }
        default:
          return json(404, { error: `no admin endpoint ${route}` });
      }
    } catch (err) {
      return json(400, { error: err instanceof Error ? err.message : String(err) });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
      send(res, await admin(req, path, bodyText));
      return;
    }
    // The scenario's own webhooks: not an API route, no auth, not counted.
    const hook = /^\/_hooks\/sms\/([^/]+)$/.exec(path);
    if (hook) {
      const down = unreachable.has(decodeURIComponent(hook[1] ?? ""));
      send(res, down ? json(503, { error: "webhook down" }) : json(200, { ok: true }));
      return;
    }

    count += 1;
    const seq = count;
    const basic = parseBasic(req.headers.authorization);
    // Voice API paths take an application's RS256 JWT instead of the account's Basic credentials.
    const jwt = isJwtPath(path)
      ? verifyApplicationJwt(req.headers.authorization, ctx.state, Date.now())
      : undefined;
    const apiKey = jwt?.ok ? jwt.app.owner : (basic?.apiKey ?? url.searchParams.get("api_key") ?? undefined);
    const query = new URLSearchParams(url.searchParams);
    query.delete("api_secret");
    const record = (status: number, notes?: string[]): void => {
      log.push({
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
      if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
    };
    options.onRequest?.(seq, { method, path, apiKey });

    const current = faults;
    if (current.dropConnectionOn.includes(seq)) {
      record(0);
      req.socket.destroy();
      return;
    }
    const delay =
      current.latencyMs + (current.jitterMs > 0 ? Math.floor(Math.random() * (current.jitterMs + 1)) : 0);
    if (delay > 0) await sleep(delay);

    const family = familyOf(path);
    let reply: Reply | undefined;
    let extraHeaders: Record<string, string> = {};
    if (current.rateLimit > 0) {
      const taken = limiter.take(
        apiKey ?? "(anonymous)",
        current.rateLimit,
        Date.now(),
        current.retryAfterSeconds,
      );
      extraHeaders = taken.headers;
      if (taken.limited) reply = tooManyRequests(family);
    }
    const caller = reply
      ? undefined
      : jwt !== undefined
        ? jwt.ok
          ? ownerOf(jwt.app.owner)
          : undefined
        : req.headers.authorization === undefined
          ? authenticate(
              url.searchParams.get("api_key") ?? undefined,
              url.searchParams.get("api_secret") ?? undefined,
            )
          : authenticate(basic?.apiKey, basic?.secret);
    if (!reply && !caller) reply = jwt && !jwt.ok ? invalidJwt(jwt.reason) : unauthorized(family);
    if (!reply) {
      const rate = current.errorRate[routeKey(method, path)] ?? current.errorRate["*"] ?? 0;
      if (rate > 0 && Math.random() < rate) reply = serverError(family, current.errorStatus);
    }
    if (!reply && caller) {
      const parsed = parseBody(bodyText, req.headers["content-type"]);
      const apiReq: ApiRequest = {
        method,
        path,
        query: url.searchParams,
        body: parsed.body,
        bodyInvalid: parsed.invalid,
        caller,
        baseUrl: `http://${req.headers.host ?? "127.0.0.1"}`,
        sourceIp: ipv4Of(req.socket.remoteAddress),
        ...(jwt?.ok ? { application: jwt.app } : {}),
      };
      try {
        for (const route of routes) {
          reply = await route(ctx, apiReq);
          if (reply) break;
        }
        reply ??= notFound(family, `No route for ${method} ${path}`);
      } catch (err) {
        console.error("simulator: route failed", err);
        reply = serverError(family, 500);
      }
    }
    res.on("finish", () => record(res.statusCode, reply?.notes));
    send(res, reply ?? serverError(family, 500), extraHeaders);
  };

  /** The operator's credentials in the loaded state: its first legitimate primary secret. */
  const loadedPrimary = (): { apiKey: string; apiSecret: string } => {
    const legitId = initial.meta.legitimateSecretIds[0];
    const secret = initial.primary.secrets.find((s) => s.id === legitId) ?? initial.primary.secrets[0];
    return { apiKey: initial.primary.apiKey, apiSecret: secret?.value ?? "" };
  };

  handler = handle;

  return {
    url: baseUrl,
    adminToken,
    // Getters, so a state loaded later through PUT /_sim/state is reflected.
    get primary() {
      return loadedPrimary();
    },
    get meta() {
      return structuredClone(initial.meta);
    },
    unreachableSmsWebhooks: [...unreachable],
    requestCount: () => count,
    requests: () => log.map((e) => ({ ...e })),
    dumpState: () => structuredClone(ctx.state),
    setFaults: (update) => {
      faults = mergeFaults(faults, update);
      limiter.reset();
    },
    close: async () => {
      clearTimers();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { "X-Request-Id": randomUUID(), ...extraHeaders, ...reply.headers };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res
    .writeHead(reply.status, {
      ...headers,
      "Content-Type": reply.contentType ?? "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(
  text: string,
  contentType: string | undefined,
): { body: Record<string, unknown>; invalid: boolean } {
  if (text.trim() === "") return { body: {}, invalid: false };
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    return { body: Object.fromEntries(new URLSearchParams(text)), invalid: false };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return { body: parsed as Record<string, unknown>, invalid: false };
    }
  } catch {
    // fall through: not JSON
  }
  return { body: {}, invalid: true };
}

function parseBasic(header: string | undefined): { apiKey: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { apiKey: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function ipv4Of(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return /^\d+\.\d+\.\d+\.\d+$/.test(v4) ? v4 : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
