// A decision made at a prompt while planning (which secret to revoke first) is saved with the plan and replayed
// when `apply` re-plans against live state: honoured when it is among the choices offered now, refused otherwise.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sha256 } from "../../../src/cli/session.js";
import type { Plan } from "../../../src/engine/plan-types.js";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { canonicalJson } from "../../../src/runbook/config.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import { removeTempDirs, runMain, simEnv, tempDir, writeConfig } from "../../helpers/cli-io.js";

const sims: RunningSimulator[] = [];

afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
  await removeTempDirs();
});

/** A plan made at a terminal, where the operator chose the attacker's secret to revoke first. */
async function interactivePlan() {
  const sim = await startSimulator({ scenario: "compromised", port: 0 });
  sims.push(sim);
  const dir = await tempDir();
  // Both secrets are "suspects" (created after this date), so the plan asks which one goes first.
  const config = await writeConfig(dir, {
    compromisedSince: "2000-01-01T00:00:00Z",
    subaccounts: { allow: sim.meta.legitimateSubaccountKeys },
    autoreload: { waitSeconds: 1 },
  });
  const attacker = sim.meta.attackerSecretIds[0] ?? "";
  const prompter = new ScriptedPrompter([{ match: /revoke/i, answer: attacker }]);
  const planned = await runMain(["plan", "compromise", "--config", config, "--save", "plan.json"], {
    env: simEnv(sim),
    cwd: dir,
    prompter,
  });
  expect(planned.code, planned.stderr()).toBe(0);
  expect(prompter.asked.some((q) => /revoke/i.test(q))).toBe(true);
  const path = join(dir, "plan.json");
  const saved = JSON.parse(await readFile(path, "utf8")) as Plan & { sha256: string };
  const apply = () =>
    runMain(["apply", "plan.json", "--yes", "--config", config, "--out", join(dir, "runs")], {
      env: { ...simEnv(sim), CI: "true" },
      cwd: dir,
    });
  return { sim, dir, path, saved, attacker, apply };
}

function writes(sim: RunningSimulator): number {
  return sim
    .requests()
    .filter((r) => r.method !== "GET" && !(r.method === "POST" && r.path === "/account/settings")).length;
}

describe("decisions recorded in a saved plan", () => {
  it("are replayed by an unattended apply when they are among the choices offered against live state", async () => {
    const { sim, saved, attacker, apply } = await interactivePlan();
    const secrets = saved.steps.find((step) => step.action === "secrets.rotate");
    expect(secrets?.decisions?.map((d) => d.answer)).toEqual([attacker]);
    const applied = await apply();
    expect(applied.stderr()).not.toContain("refused");
    expect(applied.stderr()).toContain(
      `step secrets: the answer saved in the plan, "${attacker}", is used for`,
    );
    expect(applied.code, applied.stderr()).toBe(3);
    expect(sim.dumpState().primary.secrets.map((s) => s.id)).not.toContain(attacker);
  });

  it("are refused (exit 4, nothing written) when an edited, resealed plan answers outside those choices", async () => {
    const { sim, path, saved, apply } = await interactivePlan();
    const { sha256: _seal, ...plan } = saved;
    const secrets = plan.steps.find((step) => step.action === "secrets.rotate");
    const decision = secrets?.decisions?.[0];
    if (!decision) throw new Error("no recorded decision");
    decision.answer = "00000000-0000-0000-0000-000000000000";
    await writeFile(path, JSON.stringify({ ...plan, sha256: sha256(canonicalJson(plan)) }));
    const before = writes(sim);
    const applied = await apply();
    expect(applied.code, applied.stderr()).toBe(4);
    expect(applied.stderr()).toMatch(
      /step secrets: the plan's answer "0{8}-0{4}-0{4}-0{4}-0{12}" to .* is not among the choices offered against live state now/,
    );
    expect(writes(sim)).toBe(before);
  });
});
