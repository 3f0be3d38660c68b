// The bounded subset of `npm run chaos` that runs in `npm test`: 15 SIGKILLs at seeded random request numbers
// (fixed seed, reproducible), each resumed to exit 0, every invariant checked after every kill and at the end.
import { expect, it } from "vitest";
import {
  CHAOS_SCENARIOS,
  FILE_KILL_POINTS,
  formatFigures,
  runChaos,
  runFileKillPoints,
} from "../chaos/helpers/chaos.js";

const K = 15;
const SEED = 20261122;

it(`survives ${K} SIGKILLs at random points, each resumed to the correct end state (seed ${SEED})`, async () => {
  // the compromised scenario only (the default strategy, rekey), and a known request count (a full run is about 48
  // requests), to stay quick
  const figures = await runChaos({
    seed: SEED,
    kills: K,
    scenarios: CHAOS_SCENARIOS.slice(0, 1),
    requestsPerRun: { compromised: 48 },
    rekill: 0.9,
  });
  process.stdout.write(`${formatFigures(figures)}\n`);
  expect(figures.violations).toEqual([]);
  expect(figures.leaks).toBe(0);
  expect(figures.survived).toBe(K);
}, 300_000);

it(`survives a SIGKILL at each point between the file operations that create a run (${FILE_KILL_POINTS.join(", ")})`, async () => {
  expect(await runFileKillPoints(CHAOS_SCENARIOS[0]!)).toEqual([]);
}, 300_000);
