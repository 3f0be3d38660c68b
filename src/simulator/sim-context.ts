// What every route handler receives: the live state (replaced on reset, so always read `ctx.state`), the
// behaviour options, and one way to record audit events for the simulator's own mutations.

import type { AuditEventType } from "./audit-event-types.js";
import type { Reply } from "./reply.js";
import type { SimApplication, SimPrimaryAccount, SimState, SimSubaccount } from "./sim-state.js";

export type Caller =
  { kind: "primary"; account: SimPrimaryAccount } | { kind: "subaccount"; account: SimSubaccount };

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Parsed JSON object or form fields; empty when there is no body. */
  body: Record<string, unknown>;
  /** True when a body was sent but could not be parsed as its content type. */
  bodyInvalid: boolean;
  caller: Caller;
  /** `http://host:port` as the client addressed us, for absolute links. */
  baseUrl: string;
  sourceIp: string | undefined;
  /** The application whose JWT authenticated the request (Voice API paths only). */
  application?: SimApplication;
}

export interface SimBehaviour {
  deleteAppWithNumbers: "refuse" | "orphan";
  subaccountsAvailable: boolean;
  auditAvailable: boolean;
  /**
   * Serve the unconfirmed Fraud Defender list (GET /v1/fraud-defender/rules) and removal (DELETE .../{id},
   * archiving). Off: only the confirmed create exists, and those calls answer 404.
   */
  fraudRuleManagement: boolean;
  reportsAvailable: boolean;
  /** `false`: Fraud Defender is not on the account; every rule call answers 403. */
  fraudDefenderAvailable: boolean;
  /** Records per Reports API page, 1 to 1,000 (the spec's maximum). */
  reportsPageSize: number;
}

export interface SimContext {
  state: SimState;
  behaviour: SimBehaviour;
  now(): number;
  newId(): string;
  /** Records an event as the Audit API would; `accountId` defaults to the caller's key. */
  record(type: AuditEventType, req: ApiRequest, context: Record<string, unknown>, accountId?: string): void;
}

export type RouteHandler = (
  ctx: SimContext,
  req: ApiRequest,
) => Reply | undefined | Promise<Reply | undefined>;
