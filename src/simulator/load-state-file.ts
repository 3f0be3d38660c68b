// Reads a `--state FILE` for the simulator: JSON, validated against SimStateSchema with `path: message` errors.

import { readFile } from "node:fs/promises";

import { parseSimState, type SimState } from "./sim-state.js";

export async function loadStateFile(file: string): Promise<SimState> {
  const text = await readFile(file, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseSimState(json);
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
