// applications.recreate under hostile conditions: plans and dry runs generate no key pair, a delete's freshness
// window runs on the monotonic clock, and a tampered oldId cannot write outside the run directory.
// (Its own file: the key-pair pool is module state, and these tests read it from a fresh module.)
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Change, JsonObject } from "../../../src/core/plan.js";
import { recreateApplications } from "../../../src/actions/recreate-applications.js";
import { replacementKeyPairs } from "../../../src/actions/application-keys.js";
import { DriftError } from "../../../src/core/errors.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";
import {
  compromiseConfig,
  removeTempDirs,
  runMain,
  simEnv,
  tempDir,
  writeConfig,
} from "../../helpers/cli-io.js";

const STEP = "apps";
const harnesses: Harness[] = [];
const sims: RunningSimulator[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
  await removeTempDirs();
});

async function planOneApp(h: Harness): Promise<Change[]> {
  const [app] = h.sim.dumpState().applications;
  const params = recreateApplications.params.parse({ include: [app?.id ?? ""] });
  const result = await recreateApplications.plan(h.context({ stepId: STEP, planning: true }), params);
  return result.changes.map((draft) => changeOf(recreateApplications, STEP, draft));
}

describe("key pairs for replacement applications", () => {
  it("`plan` and `run --dry-run` generate none, though they plan replacements", async () => {
    const sim = await startSimulator({ scenario: "compromised", port: 0 });
    sims.push(sim);
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      ...compromiseConfig(sim),
      applications: { strategy: "recreate" },
    });
    const env = simEnv(sim);
    const planned = await runMain(["plan", "compromise", "--config", config, "--save", "plan.json"], {
      env,
      cwd: dir,
    });
    expect(planned.code, planned.stderr()).toBe(0);
    expect(planned.stderr()).toMatch(/\+ application "shop-voice"/);
    const dry = await runMain(["run", "compromise", "--dry-run", "--config", config], { env, cwd: dir });
    expect(dry.code, dry.stderr()).toBe(0);
    expect(replacementKeyPairs.size).toBe(0);
  });

  it("starts generating one when a backup, the first change of a replacement, is prepared", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const changes = await planOneApp(h);
    const backup = changes.find((c) => c.params.op === "backup");
    expect(replacementKeyPairs.size).toBe(0);
    await recreateApplications.prepare?.(h.context({ stepId: STEP }), backup as Change);
    expect(replacementKeyPairs.size).toBe(1);
    await replacementKeyPairs.take();
  });
});

describe("the delete's freshness window", () => {
  async function verified(h: Harness): Promise<{ del: Change; outputs: Map<string, JsonObject> }> {
    const changes = await planOneApp(h);
    const outputs = new Map<string, JsonObject>();
    const ctx = h.context({ stepId: STEP, outputs });
    for (const op of ["backup", "create", "relink", "verify"]) {
      const change = changes.find((c) => c.params.op === op) as Change;
      const prepared = (await recreateApplications.prepare?.(ctx, change)) ?? {};
      const outcome = await recreateApplications.apply(ctx, change, prepared);
      if (outcome.status === "done") outputs.set(change.id, outcome.output ?? {});
    }
    return { del: changes.find((c) => c.params.op === "delete") as Change, outputs };
  }

  it("reads live state again once stale on the monotonic clock, even if the wall clock went back", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const monotonic = vi.spyOn(performance, "now").mockReturnValue(1_000);
    const { del, outputs } = await verified(h);
    monotonic.mockReturnValue(1_000 + 11_000);
    const wall = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(wall - 3_600_000);
    const before = h.sim.requests().length;
    const drift = await recreateApplications.checkPrecondition?.(h.context({ stepId: STEP, outputs }), del);
    expect(drift).toBeUndefined();
    expect(h.sim.requests().length).toBeGreaterThan(before);
  });

  it("trusts the verification within the window on the monotonic clock, even if the wall clock jumped ahead", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const monotonic = vi.spyOn(performance, "now").mockReturnValue(1_000);
    const { del, outputs } = await verified(h);
    monotonic.mockReturnValue(1_000 + 1_000);
    const wall = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(wall + 3_600_000);
    const before = h.sim.requests().length;
    const drift = await recreateApplications.checkPrecondition?.(h.context({ stepId: STEP, outputs }), del);
    expect(drift).toBeUndefined();
    expect(h.sim.requests().length).toBe(before);
  });
});

describe("paths built from an application id", () => {
  it.each(["../../../escaped", "../..", "a/b"])(
    "a backup whose oldId is %s is refused (exit 4) and writes nothing",
    async (oldId) => {
      const h = await createHarness();
      harnesses.push(h);
      const changes = await planOneApp(h);
      const backup = changes.find((c) => c.params.op === "backup") as Change;
      const tampered: Change = { ...backup, params: { ...backup.params, oldId } };
      // The run directory two levels down in the harness's own directory, so an escape lands where it is seen.
      const ctx = { ...h.context({ stepId: STEP }), runDir: join(h.dir, "runs", "run-1") };
      await expect(recreateApplications.apply(ctx, tampered, {})).rejects.toThrow(DriftError);
      await expect(recreateApplications.apply(ctx, tampered, {})).rejects.toThrow(/is not a plain file name/);
      expect(await readdir(h.dir)).not.toContain("runs");
    },
  );
});
