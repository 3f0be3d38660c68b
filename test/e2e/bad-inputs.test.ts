// The bad-input corpus (test/fixtures/bad/cases.ts), run in-process against a simulator: every case exits with
// its code and message, sends zero requests (zero writes where it must read to find out), and leaks nothing.
import { spawnSync } from "node:child_process";
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../src/cli/session.js";
import type { Plan } from "../../src/core/plan.js";
import { canonicalJson } from "../../src/runbook/config.js";
import { badCases, type BadCase } from "../fixtures/bad/cases.js";
import { runMain } from "../helpers/cli-io.js";
import { startE2eSimulator, writeRequests, type E2eSimulator } from "./helpers/e2e-simulator.js";
import { allSecrets, filesUnder, scanForSecrets } from "./helpers/scan-for-secrets.js";
import { writeConfig } from "./helpers/write-config.js";

const BAD = fileURLToPath(new URL("../fixtures/bad/", import.meta.url)).replace(/\/$/, "");
const RUN_ID = "20260101-000000-abcdef";
const WRONG_SECRET = "Wrong-Secret-123";
/**
 * The corpus's config: its resealed-plan attacks edit applications.recreate's changes (a replacement's webhook, an
 * old id), so the saved plan and every case use that strategy (rekey is the default).
 */
const CONFIG = { values: { "applications.strategy": "recreate" } };
/** A bad input must end the command promptly (a FIFO must not hang it). */
const CASE_TIMEOUT_MS = 20_000;

/** What a case runs against: the shared simulator, or one of its own (a setup that changes account state). */
interface Prepared {
  sim: E2eSimulator;
  runId: string;
}

let sim: E2eSimulator;
let root: string;
let savedPlan: string;

beforeAll(async () => {
  sim = await startE2eSimulator({ scenario: "compromised" });
  root = await mkdtemp(join(tmpdir(), "vonage-ir-bad-"));
  const dir = join(root, "plan");
  await mkdir(dir);
  const config = await writeConfig(dir, sim, CONFIG);
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

function fill(text: string, dir: string, runId = RUN_ID): string {
  return text
    .replaceAll("{bad}", BAD)
    .replaceAll("{dir}", dir)
    .replaceAll("{config}", join(dir, "vonage-ir.yaml"))
    .replaceAll("{out}", join(dir, "runs"))
    .replaceAll("{apiKey}", sim.primary.apiKey)
    .replaceAll("{runId}", runId);
}

function journalLine(record: Record<string, unknown>): string {
  return `${JSON.stringify({ seq: 1, ts: "2026-01-01T00:00:00Z", ...record })}\n`;
}

async function prepare(c: BadCase, dir: string): Promise<Prepared> {
  await writeConfig(dir, sim, CONFIG);
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
    case "resealed-revoke-first":
    case "resealed-drop-revoke":
    case "resealed-webhook":
    case "resealed-old-id-dotdot":
    case "resealed-old-id-path":
      await writeFile(join(dir, "plan.json"), resealed(c.setup));
      break;
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
    case "null-journal-line":
      await mkdir(join(out, RUN_ID), { recursive: true });
      await writeFile(join(out, RUN_ID, "journal.jsonl"), "null\n");
      break;
    case "header-without-runbook":
      await mkdir(join(out, RUN_ID), { recursive: true });
      await writeFile(
        join(out, RUN_ID, "journal.jsonl"),
        journalLine({ t: "run", v: 1, runId: RUN_ID, configHash: "c", account: sim.primary.apiKey }),
      );
      break;
    case "fifos":
      for (const name of ["runbook.yaml", "fifo.yaml"]) {
        expect(spawnSync("mkfifo", [join(dir, name)]).status).toBe(0);
      }
      break;
    case "deleted-sink": {
      const own = await startE2eSimulator({ scenario: "compromised" });
      const config = await writeConfig(dir, own, {
        values: { "secrets.revoke": "after-confirmation" },
        attest: { "support.contact": undefined },
      });
      const first = await runMain(["run", "compromise", "--config", config, "--out", out, "--yes"], {
        env: { ...own.env(), CI: "true" },
        cwd: dir,
      });
      expect(first.code, first.stderr()).toBe(3);
      const runId = (await readdir(out)).find((name) => !name.startsWith(".")) ?? "";
      expect((await readdir(join(out, runId, "secrets"))).some((n) => n.startsWith("api-secret-"))).toBe(
        true,
      );
      await rm(join(out, runId, "secrets"), { recursive: true });
      return { sim: own, runId };
    }
    case undefined:
      break;
  }
  return { sim, runId: RUN_ID };
}

/** The saved plan edited as an attacker with write access to it would, then sealed again (the seal is unkeyed). */
function resealed(attack: Extract<BadCase["setup"], `resealed-${string}`>): string {
  const {
    sha256: _seal,
    hmac: _hmac,
    ...plan
  } = JSON.parse(savedPlan) as Plan & { sha256: string; hmac?: string };
  const secrets = plan.steps.find((step) => step.action === "secrets.rotate");
  const apps = plan.steps.find((step) => step.action === "applications.recreate");
  if (attack === "resealed-revoke-first") {
    // Swap the two secret ids throughout the step: the operator's secret is revoked first, the attacker's kept.
    const first = secrets?.changes.find((c) => c.params.role === "revoke-first");
    const other = secrets?.changes.find((c) => c.params.role === "revoke");
    const [a, b] = [first?.params.secretId, other?.params.secretId];
    if (!secrets || typeof a !== "string" || typeof b !== "string")
      throw new Error("no revoke-first in the plan");
    const swapped = JSON.stringify(secrets.changes).replaceAll(a, "\0").replaceAll(b, a).replaceAll("\0", b);
    secrets.changes = JSON.parse(swapped) as typeof secrets.changes;
  } else if (attack === "resealed-drop-revoke") {
    const revoke = secrets?.changes.find((c) => c.params.role === "revoke");
    if (!secrets || !revoke) throw new Error("no revoke in the plan");
    secrets.changes = secrets.changes.filter((c) => c !== revoke);
    for (const change of secrets.changes) {
      change.dependsOn = change.dependsOn?.filter((id) => id !== revoke.id);
    }
  } else if (attack === "resealed-webhook") {
    const create = apps?.changes.find((c) => c.params.op === "create");
    const config = create?.params.config as {
      capabilities: { voice: { webhooks: { answer_url: { address: string } } } };
    };
    config.capabilities.voice.webhooks.answer_url.address = "https://attacker.example.net/answer";
  } else {
    const oldId = attack === "resealed-old-id-dotdot" ? "../.." : "../../../../escaped";
    const target = apps?.changes[0]?.params.oldId;
    for (const change of apps?.changes ?? []) {
      if (change.params.oldId === target) change.params.oldId = oldId;
    }
  }
  return JSON.stringify({ ...plan, sha256: sha256(canonicalJson(plan)) }, null, 2);
}

describe(`the bad-input corpus (${badCases.length} cases)`, () => {
  it("has at least 40 cases with unique names", () => {
    expect(badCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badCases.map((c) => c.name)).size).toBe(badCases.length);
  });

  it.each(badCases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const dir = await mkdtemp(join(root, "case-"));
    const { sim: caseSim, runId } = await prepare(c, dir);
    try {
      await check(c, dir, caseSim, runId);
    } finally {
      if (caseSim !== sim) await caseSim.close();
    }
  });
});

async function check(c: BadCase, dir: string, sim: E2eSimulator, runId: string): Promise<void> {
  const env: Record<string, string> = { ...sim.env(), CI: "true" };
  for (const [key, value] of Object.entries(c.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = fill(value, dir, runId);
  }
  const requestsBefore = sim.requestCount();
  const writesBefore = writeRequests(sim).length;
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    runMain(
      c.args.map((a) => fill(a, dir, runId)),
      {
        env,
        cwd: dir,
        ...(c.stdin === undefined ? {} : { stdin: c.stdin }),
        ...(c.tty === undefined ? {} : { tty: c.tty }),
      },
    ),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
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
  for (const path of (c.absent ?? []).map((p) => fill(p, dir, runId))) {
    if (path.endsWith("/*")) {
      const entries = await readdir(path.slice(0, -2)).catch(() => [] as string[]);
      expect(
        entries.filter((name) => !name.startsWith(".")),
        path,
      ).toEqual([]);
    } else {
      await expect(access(path), path).rejects.toThrow();
    }
  }
  const secrets = [
    ...(await allSecrets([sim.initialState, sim.dumpState()], [], sim.adminToken)),
    WRONG_SECRET,
    ...(c.hidden ?? []),
  ];
  // The case's own files are its input: a secret pasted there on purpose must only not come out.
  const inputs = new Set(Object.keys(c.files ?? {}).map((name) => join(dir, name)));
  const outputs = (await filesUnder(dir)).filter((path) => !inputs.has(path));
  expect(await scanForSecrets(outputs, [result.stdout(), result.stderr()], secrets)).toEqual([]);
}
