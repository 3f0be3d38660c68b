// The shell lines that point vonage-ir (or any @vonage SDK script) at a running simulator.

import type { RunningSimulator } from "./simulator-options.js";

export function formatEnvLines(sim: Pick<RunningSimulator, "url" | "primary">): string[] {
  return [
    `export VONAGE_API_HOST=${sim.url}`,
    `export VONAGE_REST_HOST=${sim.url}`,
    `export VONAGE_API_KEY=${sim.primary.apiKey}`,
    `export VONAGE_API_SECRET=${shellQuote(sim.primary.apiSecret)}`,
  ];
}

/** Scenario secrets are alphanumeric, but a loaded state may hold any characters. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_.:/@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
