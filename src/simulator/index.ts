// Public surface of the simulator: start it, build or validate states, and the `simulate` command body.

export { startSimulator } from "./start-simulator.js";
export { isLoopbackHost } from "./loopback-host.js";
export type { RunningSimulator, SimulatorOptions } from "./simulator-options.js";
export type { RequestLogEntry } from "./request-log.js";
export { runSimulate } from "./run-simulate.js";
export { formatEnvLines } from "./format-env-lines.js";
export { buildScenario, scenarioNames, isScenarioName } from "./build-scenario.js";
export type { ScenarioName, ScenarioParams } from "./build-scenario.js";
export { SimStateSchema, ScenarioMetaSchema, parseSimState } from "./sim-state.js";
export { loadStateFile } from "./load-state-file.js";
export type {
  ScenarioMeta,
  SimApplication,
  SimAuditEvent,
  SimNumber,
  SimPrimaryAccount,
  SimSecret,
  SimState,
  SimSubaccount,
} from "./sim-state.js";
export { FaultsSchema } from "./faults.js";
export { sharedKeyPair } from "./generate-key-pair.js";
export type { Faults, FaultsInput } from "./faults.js";
