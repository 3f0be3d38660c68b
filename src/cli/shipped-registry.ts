// The registry the CLI uses: the shipped actions.
import { createRegistry } from "../actions/registry.js";
import type { Registry } from "../actions/action.js";

export function createShippedRegistry(): Registry {
  return createRegistry();
}
