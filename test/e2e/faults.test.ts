// The fault profile in npm test (one seed; `npm run chaos` runs more): 10% 5xx on every route, 429 bursts,
// 1% dropped connections, latency spikes. The run completes (through resumes when a create failed) with the
// correct end state, no duplicated write, and nothing leaked.
import { expect, it } from "vitest";
import { formatFaultRun, runFaultProfile } from "../chaos/helpers/fault-profile.js";

it("under the fault profile the run completes with the correct end state and no duplicated write", async () => {
  const run = await runFaultProfile(1);
  process.stdout.write(`${formatFaultRun(run)}\n`);
  expect(run.violations).toEqual([]);
  expect(run.injected5xx).toBeGreaterThan(0);
  expect(run.leaks).toBe(0);
}, 120_000);
