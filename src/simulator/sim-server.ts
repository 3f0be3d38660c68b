// The state one running simulator keeps between requests: the loaded state (and the one reset returns to), the
// live faults and rate limiter, the request log and count, pending dashboard timers. Built once per start;
// the request handler, the admin endpoints and RunningSimulator all work on it.

import { randomBytes, randomUUID } from "node:crypto";
import { AUDIT_EVENT_TYPES, type AuditEventType } from "./audit-event-types.js";
import { buildScenario } from "./build-scenario.js";
import { FaultsSchema, RateLimiter, type Faults } from "./faults.js";
import { MAX_RECORDS_PAGE } from "./report-routes.js";
import type { RequestLogEntry } from "./request-log.js";
import type { SimBehaviour, SimContext } from "./sim-context.js";
import { parseSimState, type SimState } from "./sim-state.js";
import type { SimulatorOptions } from "./simulator-options.js";
import { auditTime } from "./timestamps.js";

export interface SimServer {
  readonly options: SimulatorOptions;
  readonly adminToken: string;
  /** What POST /_sim/reset returns to; replaced by PUT /_sim/state. */
  initial: SimState;
  readonly initialFaults: Faults;
  faults: Faults;
  readonly ctx: SimContext;
  readonly limiter: RateLimiter;
  readonly log: RequestLogEntry[];
  /** Pending delayed dashboard actions, cleared on reset and close. */
  readonly timers: Set<NodeJS.Timeout>;
  /** API requests served so far (admin and webhook requests are not counted). */
  count: number;
  /** The msisdns whose SMS webhook answers 503. */
  readonly unreachable: Set<string>;
}

/** An audit event as the simulator records it, before its id, description and time are added. */
export interface NewAuditEvent {
  event_type: AuditEventType;
  account_id: string;
  source: "CD" | "DEVAPI";
  source_description: string;
  user_email?: string;
  source_ip?: string;
  context: Record<string, unknown>;
}

export function pushAuditEvent(ctx: SimContext, event: NewAuditEvent): void {
  ctx.state.auditEvents.push({
    id: randomUUID(),
    event_type_description: AUDIT_EVENT_TYPES[event.event_type],
    created_at: auditTime(Date.now()),
    ...event,
  });
}

function reportsPageSize(value: number | undefined): number {
  if (value === undefined) return MAX_RECORDS_PAGE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_RECORDS_PAGE)
    throw new Error(
      `reportsPageSize must be an integer from 1 to ${MAX_RECORDS_PAGE} (the Reports API's maximum)`,
    );
  return value;
}

function simBehaviour(options: SimulatorOptions): SimBehaviour {
  return {
    deleteAppWithNumbers: options.deleteAppWithNumbers ?? "orphan",
    subaccountsAvailable: options.subaccountsAvailable ?? true,
    auditAvailable: options.auditAvailable ?? true,
    fraudRuleManagement: options.fraudRuleManagement ?? false,
    reportsAvailable: options.reportsAvailable ?? true,
    fraudDefenderAvailable: options.fraudDefenderAvailable ?? true,
    reportsPageSize: reportsPageSize(options.reportsPageSize),
  };
}

/** The state to load: the given one, or the scenario built with webhooks pointing at `baseUrl`. */
function initialState(options: SimulatorOptions, baseUrl: string): SimState {
  return options.state
    ? parseSimState(options.state)
    : buildScenario(options.scenario ?? "clean", {
        hookBase: `${baseUrl}/_hooks`,
        // Without an explicit `now`, place the scenario relative to the real clock so "recent" means recent.
        now: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...options.scenarioParams,
      });
}

function simContext(state: SimState, behaviour: SimBehaviour): SimContext {
  const ctx: SimContext = {
    state: structuredClone(state),
    behaviour,
    now: () => Date.now(),
    newId: () => randomUUID(),
    record: (type, req, context, accountId) =>
      pushAuditEvent(ctx, {
        event_type: type,
        account_id: accountId ?? req.caller.account.apiKey,
        source: "DEVAPI",
        source_description: "Developer API",
        ...(req.sourceIp === undefined ? {} : { source_ip: req.sourceIp }),
        context,
      }),
  };
  return ctx;
}

/** Builds the simulator's state for a server listening at `baseUrl` (scenario webhooks point at it). */
export function createSimServer(options: SimulatorOptions, baseUrl: string): SimServer {
  const initial = initialState(options, baseUrl);
  const initialFaults = FaultsSchema.parse({
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    rateLimit: options.rateLimit ?? 30,
  });
  const behaviour = simBehaviour(options);
  const adminToken = randomBytes(24).toString("base64url");
  const unreachable = new Set(
    initial.numbers
      .filter((n) => n.appId !== undefined && n.moHttpUrl !== undefined)
      .slice(0, options.unreachableSmsWebhooks ?? 0)
      .map((n) => n.msisdn),
  );
  return {
    options,
    adminToken,
    initial,
    initialFaults,
    faults: initialFaults,
    ctx: simContext(initial, behaviour),
    limiter: new RateLimiter(),
    log: [],
    timers: new Set(),
    count: 0,
    unreachable,
  };
}

export function clearTimers(server: SimServer): void {
  for (const t of server.timers) clearTimeout(t);
  server.timers.clear();
}

/** The operator's credentials in the loaded state: its first legitimate primary secret. */
export function loadedPrimary(server: SimServer): { apiKey: string; apiSecret: string } {
  const { initial } = server;
  const legitId = initial.meta.legitimateSecretIds[0];
  const secret = initial.primary.secrets.find((s) => s.id === legitId) ?? initial.primary.secrets[0];
  return { apiKey: initial.primary.apiKey, apiSecret: secret?.value ?? "" };
}
