// The body of `vonage-ir simulate`: start, print how to use it, run until the caller's signal aborts. The CLI
// owns argv, process.env and exit codes; this only needs a stream and a signal.

import { formatEnvLines } from "./format-env-lines.js";
import { startSimulator } from "./start-simulator.js";
import { isLoopbackHost } from "./loopback-host.js";
import { type SimulatorOptions } from "./simulator-options.js";

export async function runSimulate(
  options: SimulatorOptions,
  out: NodeJS.WritableStream,
  signal: AbortSignal,
): Promise<void> {
  const sim = await startSimulator(options);
  const host = options.host ?? "127.0.0.1";
  const lines: string[] = [];
  if (!isLoopbackHost(host)) {
    lines.push(
      `# WARNING: the simulator is listening on ${host}, reachable from other machines. Its admin token and`,
      "# the scenario's secrets give full control of it. Use a loopback address unless you must.",
    );
  }
  lines.push(
    `# Vonage simulator (scenario: ${sim.meta.scenario}) listening on ${sim.url}`,
    "# Point vonage-ir at it:",
    ...formatEnvLines(sim),
    "# Admin endpoints (/_sim/state, /_sim/requests, /_sim/reset, /_sim/faults, /_sim/dashboard/autoreload):",
    `export VONAGE_SIM_ADMIN_TOKEN=${sim.adminToken}`,
    `# e.g. curl -H "Authorization: Bearer $VONAGE_SIM_ADMIN_TOKEN" ${sim.url}/_sim/state`,
  );
  if (sim.meta.compromisedSince !== null)
    lines.push(`# Scenario compromised since ${sim.meta.compromisedSince}`);
  lines.push("# Press Ctrl-C to stop.");
  out.write(`${lines.join("\n")}\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await sim.close();
}
