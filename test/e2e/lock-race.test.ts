// Several processes race for the run lock, many times over: exactly one holds it each trial, whether the lock
// is free, or a stale lock (its process gone) is there for all of them to take over. Runs the built lock
// module (dist/) in real processes, started together through IPC.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { PACKAGE_ROOT, assertBuilt } from "./helpers/run-cli.js";

const PROCESSES = 4;
const TRIALS = 50;
const LOCK_MODULE = pathToFileURL(join(PACKAGE_ROOT, "dist", "engine", "lock.js")).href;

// Each racer: on "go", waits for the shared start instant, tries the lock, reports; a holder keeps the lock
// until told to release it, so every racer of a trial has tried while it is held.
const RACER = `
const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
let held;
process.on("message", async (m) => {
  if (m.kind === "go") {
    while (Date.now() < m.at) await new Promise((r) => setImmediate(r));
    try {
      held = await acquireLock(m.dir, "racekey", "run-" + process.pid + "-" + m.trial);
      process.send({ trial: m.trial, held: true });
    } catch (error) {
      process.send({ trial: m.trial, held: false, error: error.name + ": " + error.message });
    }
  } else if (m.kind === "release") {
    await held?.release();
    held = undefined;
    process.send({ released: true });
  } else process.exit(0);
});
`;

const children: ChildProcess[] = [];
let dir: string | undefined;
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

function next(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => child.once("message", (m) => resolve(m as Record<string, unknown>)));
}

it(`exactly one of ${PROCESSES} racing processes holds the lock, ${TRIALS} times free and ${TRIALS} times stale`, async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "vonage-ir-lock-race-"));
  for (let i = 0; i < PROCESSES; i++) {
    children.push(
      spawn(process.execPath, ["--input-type=module", "-e", RACER], {
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      }),
    );
  }
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  const failures: string[] = [];
  for (let trial = 0; trial < 2 * TRIALS; trial++) {
    const stale = trial >= TRIALS;
    if (stale) {
      const holder = { runId: "gone", pid: dead, host: hostname(), startedAt: "2026-01-01T00:00:00Z" };
      await writeFile(join(dir, ".lock-racekey"), `${JSON.stringify(holder)}\n`);
    }
    const replies = children.map(next);
    const at = Date.now() + 40;
    for (const child of children) child.send({ kind: "go", at, dir, trial });
    const results = await Promise.all(replies);
    const holders = results.filter((r) => r.held === true);
    const odd = results.filter(
      (r) => r.held === false && !String(r.error).startsWith("LockError: account racekey is locked"),
    );
    if (holders.length !== 1 || odd.length > 0)
      failures.push(
        `trial ${trial}${stale ? " (stale)" : ""}: ${holders.length} holders ${JSON.stringify(odd)}`,
      );
    await Promise.all(
      children.map((child, i) => {
        if (results[i]?.held !== true) return undefined;
        const released = next(child);
        child.send({ kind: "release" });
        return released;
      }),
    );
  }
  expect(failures).toEqual([]);
}, 120_000);
