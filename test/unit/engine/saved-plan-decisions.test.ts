// A decision made at a prompt while planning (which secret to revoke first) is saved with the plan and replayed
// when `apply` re-plans against live state: only from a plan that carries the user's own keyed seal, and then
// honoured when it is among the choices offered now, refused otherwise.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { planSeal } from "../../../src/cli/plan-seal.js";
import { sha256 } from "../../../src/cli/session.js";
import type { Plan } from "../../../src/core/plan.js";
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
async function interactivePlan(options: { webhooksAtPrompt?: boolean } = {}) {
  const sim = await startSimulator({ scenario: "compromised", port: 0 });
  sims.push(sim);
  const dir = await tempDir();
  // Both secrets are "suspects" (created after this date), so the plan asks which one goes first.
  const config = await writeConfig(dir, {
    compromisedSince: "2000-01-01T00:00:00Z",
    subaccounts: { allow: sim.meta.legitimateSubaccountKeys },
    autoreload: { waitSeconds: 1 },
    traffic: { block: [], verifySeconds: 0 },
    ...(options.webhooksAtPrompt
      ? {}
      : { webhooks: { decisions: sim.meta.attackerWebhookHosts.map((host) => `${host} keep`) } }),
  });
  const attacker = sim.meta.attackerSecretIds[0] ?? "";
  const prompter = new ScriptedPrompter([
    { match: "secrets.revoke (", answer: "immediately" },
    { match: "applications.strategy", answer: options.webhooksAtPrompt ? "recreate" : "rekey" },
    { match: /revoke/i, answer: attacker },
    ...(options.webhooksAtPrompt
      ? [
          { match: /Suspect webhook: .*ivr\/answer/, answer: "replace" },
          { match: /Replacement for .*ivr\/answer/, answer: "https://hooks.example.com/ivr/answer" },
          { match: /Suspect webhook: .*ivr\/event/, answer: "clear" },
        ]
      : []),
  ]);
  // The operator's per-user state directory, which holds the key that seals saved plans.
  const stateDir = join(dir, "state");
  const planned = await runMain(["plan", "compromise", "--config", config, "--save", "plan.json"], {
    env: { ...simEnv(sim), VONAGE_IR_STATE_DIR: stateDir },
    cwd: dir,
    prompter,
  });
  expect(planned.code, planned.stderr()).toBe(0);
  expect(prompter.asked.some((q) => /revoke/i.test(q))).toBe(true);
  const path = join(dir, "plan.json");
  const saved = JSON.parse(await readFile(path, "utf8")) as Plan & { sha256: string };
  const apply = (asUser = stateDir) =>
    runMain(["apply", "plan.json", "--yes", "--config", config, "--out", join(dir, "runs")], {
      env: { ...simEnv(sim), CI: "true", VONAGE_IR_STATE_DIR: asUser },
      cwd: dir,
    });
  /** The plan file rewritten with `edit` applied, its sha256 recomputed and, with `key`, sealed with that key. */
  const reseal = async (edit: (plan: Plan) => void, key?: Buffer) => {
    const { sha256: _sha, hmac: _hmac, ...plan } = saved as Plan & { sha256: string; hmac?: string };
    edit(plan);
    const canonical = canonicalJson(plan);
    await writeFile(
      path,
      JSON.stringify({
        ...plan,
        sha256: sha256(canonical),
        ...(key ? { hmac: planSeal(key, canonical) } : {}),
      }),
    );
  };
  const sealKey = async () =>
    Buffer.from((await readFile(join(stateDir, "plan-seal.key"), "utf8")).trim(), "hex");
  return { sim, dir, path, saved, attacker, apply, reseal, sealKey };
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

  it("replay the webhook decisions typed at the prompt: the replacement gets the typed URL and loses the cleared one", async () => {
    const { sim, saved, apply } = await interactivePlan({ webhooksAtPrompt: true });
    const applications = saved.steps.find((step) => step.action === "applications.recreate");
    expect(applications?.decisions?.map((d) => d.answer)).toEqual([
      "replace",
      "https://hooks.example.com/ivr/answer",
      "clear",
    ]);
    const applied = await apply();
    expect(applied.code, applied.stderr()).toBe(3);
    const ivr = sim.dumpState().applications.filter((a) => a.name === "ivr-legacy");
    expect(ivr).toHaveLength(1);
    const hooks = (ivr[0]?.capabilities.voice as { webhooks: Record<string, { address?: string }> }).webhooks;
    expect(hooks.answer_url?.address).toBe("https://hooks.example.com/ivr/answer");
    expect(hooks.event_url).toBeUndefined();
  });

  it("are refused (exit 4, nothing written) when a plan sealed with the user's key answers outside those choices", async () => {
    const { sim, reseal, sealKey, apply } = await interactivePlan();
    await reseal(
      (plan) => {
        const decision = plan.steps.find((step) => step.action === "secrets.rotate")?.decisions?.[0];
        if (!decision) throw new Error("no recorded decision");
        decision.answer = "00000000-0000-0000-0000-000000000000";
      },
      await sealKey(),
    );
    const before = writes(sim);
    const applied = await apply();
    expect(applied.code, applied.stderr()).toBe(4);
    expect(applied.stderr()).toMatch(
      /step secrets: the plan's answer "0{8}-0{4}-0{4}-0{4}-0{12}" to .* is not among the choices offered against live state now/,
    );
    expect(writes(sim)).toBe(before);
  });

  it("are not replayed from a plan edited and resealed with its sha256 only: the swap to the operator's secret is refused", async () => {
    const { sim, saved, attacker, reseal, apply } = await interactivePlan();
    const operators = sim.dumpState().primary.secrets.find((secret) => secret.id !== attacker)?.id;
    expect(operators).toBeDefined();
    await reseal((plan) => {
      const secrets = plan.steps.find((step) => step.action === "secrets.rotate");
      const swapped = JSON.stringify(secrets?.changes)
        .replaceAll(attacker, "\0")
        .replaceAll(operators ?? "", attacker)
        .replaceAll("\0", operators ?? "");
      if (!secrets?.decisions?.[0]) throw new Error("no recorded decision");
      secrets.changes = JSON.parse(swapped) as typeof secrets.changes;
      secrets.decisions[0].answer = operators ?? "";
    });
    expect(saved.steps.length).toBeGreaterThan(0);
    const before = writes(sim);
    const applied = await apply();
    expect(applied.code, applied.stderr()).not.toBe(0);
    expect(applied.stderr()).toContain("the plan's recorded answers (steps secrets) are not used");
    expect(applied.stderr()).toContain("secrets.revokeFirst");
    expect(writes(sim)).toBe(before);
    expect(sim.dumpState().primary.secrets.map((s) => s.id)).toContain(operators);
  });

  it("are not replayed from a plan another user saved (another state directory), even unedited", async () => {
    const { sim, dir, apply } = await interactivePlan();
    const before = writes(sim);
    const applied = await apply(join(dir, "someone-else"));
    expect(applied.code, applied.stderr()).not.toBe(0);
    expect(applied.stderr()).toContain("the plan does not carry your seal");
    expect(writes(sim)).toBe(before);
  });
});
