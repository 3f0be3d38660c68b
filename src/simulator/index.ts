// Public surface of the simulator: start it, build or validate states, and the `simulate` command body.

export { startSimulator, isLoopbackHost } from "./start-simulator.js";
export type { RequestLogEntry, RunningSimulator, SimulatorOptions } from "./start-simulator.js";
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
