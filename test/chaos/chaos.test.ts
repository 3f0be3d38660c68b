// `npm run chaos`: K SIGKILLs (CHAOS_K, default 200) at request numbers drawn from a seeded PRNG (CHAOS_SEED,
// default random and printed), each followed by `run --resume` until exit 0; every check after every kill.
import { expect, it } from "vitest";
import {
  CHAOS_SCENARIOS,
  FILE_KILL_POINTS,
  formatFigures,
  runChaos,
  runFileKillPoints,
} from "./helpers/chaos.js";

const K = Number(process.env.CHAOS_K ?? 200);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

it(`survives ${K} SIGKILLs at random points, each resumed to the correct end state (seed ${SEED})`, async () => {
  process.stdout.write(
    `chaos: seed ${SEED}, K=${K} (replay with CHAOS_SEED=${SEED} CHAOS_K=${K} npm run chaos)\n`,
  );
  const figures = await runChaos({
    seed: SEED,
    kills: K,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatFigures(figures)}\n`);
  expect(figures.violations).toEqual([]);
  expect(figures.leaks).toBe(0);
  expect(figures.kills).toBe(K);
  expect(figures.survived).toBe(K);
});

it(`survives a SIGKILL at each point between the file operations that create a run (${FILE_KILL_POINTS.join(", ")})`, async () => {
  for (const scenario of CHAOS_SCENARIOS) {
    const violations = await runFileKillPoints(scenario, (line) =>
      process.stdout.write(`${scenario.name}: ${line}\n`),
    );
    expect(violations).toEqual([]);
  }
});
