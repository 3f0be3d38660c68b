// Planning reads only, so without a prompter the engine plans steps concurrently; a `planAlone` step (the
// credentials check) is planned first and alone, so wrong credentials fail once. With a prompter (a plan may
// ask the operator) the plans run one at a time. The plan keeps the runbook's order whatever the
// order the reads finish in, and a failure is reported for the first failing step.
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { Action } from "../../../src/actions/action.js";
import { createRegistry } from "../../../src/actions/registry.js";
import { planSteps } from "../../../src/engine/plan.js";
import { RunState, type EngineDeps } from "../../../src/engine/engine-deps.js";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { silentTaskUi } from "../../../src/io/task-ui.js";
import { parseRunbook } from "../../../src/runbook/load-runbook.js";
import { createFakeGateway } from "../../helpers/test-actions.js";

interface Probe {
  /** "start <step>" and "end <step>" in the order they happened. */
  log: string[];
  /** Release the plan of a step (plans wait until released, so the test decides the finishing order). */
  release: Map<string, () => void>;
  failing: Set<string>;
}

const params = z.strictObject({ name: z.string() });

function probeAction(id: string, probe: Probe, planAlone: boolean): Action<z.infer<typeof params>> {
  return {
    id,
    title: id,
    why: "tests",
    params,
    planAlone,
    async plan(_ctx, { name }) {
      probe.log.push(`start ${name}`);
      await new Promise<void>((resolve) => probe.release.set(name, resolve));
      probe.log.push(`end ${name}`);
      if (probe.failing.has(name)) throw new Error(`${name} failed`);
      return { changes: [], notes: [name] };
    },
    describe: () => id,
    apply: async () => ({ status: "done" }),
  };
}

const RUNBOOK = `id: probes
title: Probes
description: planning order
version: 1
steps:
${["check:test.alone", "a:test.probe", "b:test.probe", "c:test.probe"]
  .map((spec) => {
    const [name, action] = spec.split(":");
    return `  - id: ${name}\n    title: ${name}\n    action: ${action}\n    with:\n      name: ${name}\n`;
  })
  .join("")}`;

function setup(options: { prompter?: boolean } = {}) {
  const probe: Probe = { log: [], release: new Map(), failing: new Set() };
  const registry = createRegistry({
    actions: [
      probeAction("test.alone", probe, true),
      probeAction("test.probe", probe, false),
    ] as Action<never>[],
  });
  const loaded = parseRunbook("probes.yaml", RUNBOOK, registry);
  const gateway = createFakeGateway().gateway;
  const deps = {
    registry,
    gateway,
    prompter: options.prompter ? new ScriptedPrompter([]) : undefined,
    clock: { now: () => new Date(), sleep: async () => undefined },
    events: { emit: () => undefined },
    ui: silentTaskUi,
    signal: new AbortController().signal,
    runDir: "",
    runId: "test",
    concurrency: 4,
  } as unknown as EngineDeps;
  const planning = planSteps(
    { loaded, runbookHash: "", configHash: "", inputs: {}, attestations: {} },
    deps,
    new RunState(gateway),
  );
  return { probe, planning };
}

/** Lets pending plans reach their await (each plan registers its release after one microtask turn). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("planning", () => {
  it("plans the planAlone step first and alone, then the other steps at once, in the runbook's order", async () => {
    const { probe, planning } = setup();
    await settle();
    expect(probe.log).toEqual(["start check"]);
    probe.release.get("check")!();
    await settle();
    expect(probe.log).toEqual(["start check", "end check", "start a", "start b", "start c"]);
    // Finish in reverse order: the plan still lists a, b, c.
    for (const name of ["c", "b", "a"]) {
      probe.release.get(name)!();
      await settle();
    }
    const steps = await planning;
    expect(steps.map((s) => s.id)).toEqual(["check", "a", "b", "c"]);
    expect(steps.map((s) => s.notes)).toEqual([["check"], ["a"], ["b"], ["c"]]);
  });

  it("a failing planAlone step stops planning before any other step starts", async () => {
    const { probe, planning } = setup();
    probe.failing.add("check");
    const result = planning.catch((error: unknown) => error);
    await settle();
    probe.release.get("check")!();
    expect(String(await result)).toContain("check failed");
    expect(probe.log).toEqual(["start check", "end check"]);
  });

  it("when several concurrent plans fail, the error is the first failing step's, after all have finished", async () => {
    const { probe, planning } = setup();
    probe.failing.add("b").add("c");
    const result = planning.catch((error: unknown) => error);
    await settle();
    probe.release.get("check")!();
    await settle();
    for (const name of ["c", "b", "a"]) {
      probe.release.get(name)!();
      await settle();
    }
    expect(String(await result)).toContain("b failed");
    expect(probe.log.filter((entry) => entry.startsWith("end"))).toEqual([
      "end check",
      "end c",
      "end b",
      "end a",
    ]);
  });

  it("with a prompter (a plan may ask the operator) plans one step at a time, in the runbook's order", async () => {
    const { probe, planning } = setup({ prompter: true });
    for (const name of ["check", "a", "b", "c"]) {
      await settle();
      expect(probe.log.at(-1)).toBe(`start ${name}`);
      probe.release.get(name)!();
    }
    const steps = await planning;
    expect(probe.log).toEqual(["check", "a", "b", "c"].flatMap((name) => [`start ${name}`, `end ${name}`]));
    expect(steps.map((s) => s.id)).toEqual(["check", "a", "b", "c"]);
  });
});
