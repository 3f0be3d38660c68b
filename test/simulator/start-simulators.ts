// One way for simulator tests to start simulators: `defaults` under each call's options, and every simulator a
// test started closed after it.
import { afterEach } from "vitest";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "../../src/simulator/index.js";

export function simulatorStarter(
  defaults: SimulatorOptions,
): (options?: SimulatorOptions) => Promise<RunningSimulator> {
  const running: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const sim = await startSimulator({ ...defaults, ...options });
    running.push(sim);
    return sim;
  };
}
