// `npm run chaos`: the fault profile with FAULT_RUNS seeds (default 10): every run must complete with the
// correct end state, no duplicated write and no leak.
import { expect, it } from "vitest";
import { formatFaultRun, runFaultProfile } from "./helpers/fault-profile.js";

const RUNS = Number(process.env.FAULT_RUNS ?? 10);

it(`completes ${RUNS} runs under the fault profile`, async () => {
  let passed = 0;
  let rateLimited = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    const run = await runFaultProfile(seed);
    process.stdout.write(`${formatFaultRun(run)}\n`);
    rateLimited += run.rateLimited;
    if (run.violations.length === 0) passed++;
    else failures.push(...run.violations.map((v) => `seed ${seed}: ${v}`));
  }
  process.stdout.write(`faults: ${passed} of ${RUNS} runs passed (${rateLimited} 429s in all)\n`);
  expect(failures).toEqual([]);
  expect(rateLimited).toBeGreaterThan(0);
});
