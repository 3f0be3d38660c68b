// The bad-input corpus (test/fixtures/bad/cases.ts), run in-process against a simulator: every case exits with
// its code and message, sends zero requests (zero writes where it must read to find out), and leaks nothing.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badCases, type BadCase } from "../fixtures/bad/cases.js";
import { runMain } from "../helpers/cli-io.js";
import { startE2eSimulator, writeRequests, type E2eSimulator } from "./helpers/e2e-simulator.js";
import { allSecrets, filesUnder, scanForSecrets } from "./helpers/scan-for-secrets.js";
import { writeConfig } from "./helpers/write-config.js";

const BAD = fileURLToPath(new URL("../fixtures/bad/", import.meta.url)).replace(/\/$/, "");
const RUN_ID = "20260101-000000-abcdef";
const WRONG_SECRET = "Wrong-Secret-123";

let sim: E2eSimulator;
let root: string;
let savedPlan: string;

beforeAll(async () => {
  sim = await startE2eSimulator({ scenario: "compromised" });
  root = await mkdtemp(join(tmpdir(), "vonage-ir-bad-"));
  const dir = join(root, "plan");
  await mkdir(dir);
  const config = await writeConfig(dir, sim);
  const planned = await runMain(
    ["plan", "compromise", "--config", config, "--save", join(dir, "plan.json")],
    {
      env: { ...sim.env(), CI: "true" },
      cwd: dir,
    },
  );
  expect(planned.code, planned.stderr()).toBe(0);
  savedPlan = await readFile(join(dir, "plan.json"), "utf8");
});

afterAll(async () => {
  await sim.close();
  await rm(root, { recursive: true, force: true });
});

function fill(text: string, dir: string): string {
  return text
    .replaceAll("{bad}", BAD)
    .replaceAll("{dir}", dir)
    .replaceAll("{config}", join(dir, "vonage-ir.yaml"))
    .replaceAll("{out}", join(dir, "runs"))
    .replaceAll("{apiKey}", sim.primary.apiKey)
    .replaceAll("{runId}", RUN_ID);
}

async function prepare(c: BadCase, dir: string): Promise<void> {
  await writeConfig(dir, sim);
  const out = join(dir, "runs");
  for (const [name, content] of Object.entries(c.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), fill(content, dir));
  }
  switch (c.setup) {
    case "plan":
      await writeFile(join(dir, "plan.json"), savedPlan);
      break;
    case "tampered-plan": {
      const plan = JSON.parse(savedPlan) as { steps: { title: string }[] };
      if (plan.steps[0]) plan.steps[0].title = "Nothing to see here";
      await writeFile(join(dir, "plan.json"), JSON.stringify(plan, null, 2));
      break;
    }
    case "corrupt-journal":
      await mkdir(join(out, RUN_ID), { recursive: true });
      await writeFile(join(out, RUN_ID, "journal.jsonl"), "not json at all\n{also: not json}\n");
      break;
    case "headless-journal":
      await mkdir(join(out, RUN_ID), { recursive: true });
      await writeFile(
        join(out, RUN_ID, "journal.jsonl"),
        `${JSON.stringify({ t: "end", seq: 1, ts: "2026-01-01T00:00:00Z", status: "done", exitCode: 0 })}\n`,
      );
      break;
    case "lock":
      await mkdir(out, { recursive: true });
      await writeFile(
        join(out, `.lock-${sim.primary.apiKey}`),
        `${JSON.stringify({ runId: RUN_ID, pid: process.pid, host: hostname(), startedAt: "2026-01-01T00:00:00Z" })}\n`,
      );
      break;
    case undefined:
      break;
  }
}

describe(`the bad-input corpus (${badCases.length} cases)`, () => {
  it("has at least 40 cases with unique names", () => {
    expect(badCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badCases.map((c) => c.name)).size).toBe(badCases.length);
  });

  it.each(badCases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const dir = await mkdtemp(join(root, "case-"));
    await prepare(c, dir);
    const env: Record<string, string> = { ...sim.env(), CI: "true" };
    for (const [key, value] of Object.entries(c.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = fill(value, dir);
    }
    const requestsBefore = sim.requestCount();
    const writesBefore = writeRequests(sim).length;
    const result = await runMain(
      c.args.map((a) => fill(a, dir)),
      {
        env,
        cwd: dir,
        ...(c.stdin === undefined ? {} : { stdin: c.stdin }),
        ...(c.tty === undefined ? {} : { tty: c.tty }),
      },
    );
    const output = `${result.stderr()}\n${result.stdout()}`;
    if (process.env.BAD_DEBUG)
      process.stdout.write(`### ${c.name} => ${result.code}\n${output.slice(0, 400)}\n`);
    expect(result.code, output).toBe(c.exit);
    expect(output).toMatch(c.message);
    if (c.maxOutput !== undefined) expect(output.length).toBeLessThan(c.maxOutput);
    // never a stack trace or an "unexpected error" (a bug) for a bad input
    expect(output).not.toMatch(/unexpected error|\n\s+at .+\(.+:\d+:\d+\)/);
    if ((c.requests ?? "none") === "none") expect(sim.requestCount() - requestsBefore).toBe(0);
    expect(writeRequests(sim).length - writesBefore).toBe(0);
    const secrets = [
      ...(await allSecrets([sim.initialState, sim.dumpState()], [], sim.adminToken)),
      WRONG_SECRET,
      ...(c.hidden ?? []),
    ];
    // The case's own files are its input: a secret pasted there on purpose must only not come out.
    const inputs = new Set(Object.keys(c.files ?? {}).map((name) => join(dir, name)));
    const outputs = (await filesUnder(dir)).filter((path) => !inputs.has(path));
    expect(await scanForSecrets(outputs, [result.stdout(), result.stderr()], secrets)).toEqual([]);
  });
});
