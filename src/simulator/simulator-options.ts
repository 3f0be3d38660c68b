// What startSimulator takes (SimulatorOptions) and what it hands back (RunningSimulator).

import type { ScenarioParams } from "./build-scenario.js";
import type { FaultsInput } from "./faults.js";
import type { RequestLogEntry } from "./request-log.js";
import type { ScenarioMeta, SimState } from "./sim-state.js";

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
