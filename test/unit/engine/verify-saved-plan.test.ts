// verifySavedPlan with test actions: a saved plan is applied only as the runbook plans it against live state now;
// recorded answers are replayed only while they are among the choices offered.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { NO_PRIOR_RUNS, type Action } from "../../../src/actions/action.js";
import { createRegistry } from "../../../src/actions/registry.js";
import { systemClock } from "../../../src/cli/system-clock.js";
import { loadRunbookAndConfig } from "../../../src/cli/session.js";
import { plan, type PlanInput } from "../../../src/engine/plan.js";
import { RunState, type EngineDeps } from "../../../src/engine/engine-deps.js";
import { DriftError, UsageError } from "../../../src/core/errors.js";
import type { Plan } from "../../../src/core/plan.js";
import { verifySavedPlan } from "../../../src/engine/verify-saved-plan.js";
import type { Event } from "../../../src/io/events.js";
import { ScriptedPrompter, type Prompter } from "../../../src/io/prompter.js";
import { silentTaskUi } from "../../../src/io/task-ui.js";
import { SecretSink } from "../../../src/security/secret-sink.js";
import { fakeIo, removeTempDirs, tempDir } from "../../helpers/cli-io.js";
import { counterAction, createCounterStore, createFakeGateway } from "../../helpers/test-actions.js";

afterEach(removeTempDirs);

/** Live state for `test.choose`: the options it offers, and whether it asks with a select or a checkbox. */
const live = { options: ["x", "y"], ask: "select" as "select" | "checkbox" };

const chooseAction: Action<Record<string, never>> = {
  id: "test.choose",
  title: "Test: pick one option at a prompt while planning",
  why: "decisions recorded in a saved plan",
  params: z.strictObject({}),
  async plan(ctx) {
    // As the shipped actions do: a decision nobody can make is a usage error naming what to set.
    if (!ctx.prompter) throw new UsageError("test.choose needs a prompter");
    const choices = live.options.map((value) => ({ value, name: value }));
    const picked =
      live.ask === "select"
        ? await ctx.prompter.select({ message: "Which option?", choices })
        : ((await ctx.prompter.checkbox({ message: "Which options?", choices }))[0] ?? "");
    return {
      changes: [
        {
          id: `pick/${picked}`,
          kind: "update",
          target: `option ${picked}`,
          reversible: true,
          idempotent: true,
          params: { picked },
        },
      ],
    };
  },
  describe: (change) => `~ pick ${String(change.params.picked)}`,
  apply: async () => ({ status: "done" }),
};

const RUNBOOK = `id: saved
title: Saved plans
description: a counter step and a step that asks
version: 1
steps:
  - id: count
    title: Count a and b
    action: test.counter
    with:
      keys: [a, b]
  - id: choose
    title: Pick an option
    action: test.choose
`;

async function setup(prompter: Prompter | undefined) {
  const dir = await tempDir();
  await writeFile(join(dir, "saved.yaml"), RUNBOOK);
  const registry = createRegistry({
    actions: [counterAction(createCounterStore()), chooseAction] as Action<never>[],
  });
  const { io } = fakeIo({ cwd: dir });
  const loaded = await loadRunbookAndConfig("saved.yaml", undefined, io, registry);
  const input: PlanInput = {
    loaded: loaded.loaded,
    runbookHash: loaded.runbookHash,
    configHash: loaded.configHash,
    inputs: {},
    attestations: {},
  };
  const events: Event[] = [];
  const gateway = createFakeGateway().gateway;
  const deps = (p: Prompter | undefined): EngineDeps => ({
    registry,
    gateway,
    prompter: p,
    priorRuns: NO_PRIOR_RUNS,
    clock: systemClock,
    events: { emit: (event) => events.push(event as Event) },
    ui: silentTaskUi,
    signal: new AbortController().signal,
    sink: new SecretSink(join(dir, "secrets")),
    runDir: join(dir, "run"),
    runId: "test",
    concurrency: 1,
  });
  const saved = await plan(input, deps(prompter), new RunState(gateway));
  const verify = (candidate: Plan) =>
    verifySavedPlan(candidate, input, deps(undefined), new RunState(gateway));
  return { saved, verify, events };
}

const copy = (p: Plan): Plan => JSON.parse(JSON.stringify(p)) as Plan;

describe("verifySavedPlan", () => {
  afterEach(() => {
    live.options = ["x", "y"];
    live.ask = "select";
  });

  it("returns the plan as planned now when every saved change matches, replaying the recorded answer", async () => {
    const { saved, verify, events } = await setup(new ScriptedPrompter([{ match: "Which", answer: "y" }]));
    expect(saved.steps[1]?.decisions).toEqual([{ kind: "select", message: "Which option?", answer: "y" }]);
    const verified = await verify(copy(saved));
    expect(verified.steps.flatMap((s) => s.changes.map((c) => c.id))).toEqual([
      "count:a",
      "count:b",
      "choose:pick/y",
    ]);
    expect(events.some((e) => e.kind === "warning" && e.message.includes('"y"'))).toBe(true);
  });

  it("takes what is shown from the fresh plan, not the file", async () => {
    const { saved, verify } = await setup(new ScriptedPrompter([{ match: "Which", answer: "x" }]));
    const edited = copy(saved);
    const change = edited.steps[0]?.changes[0];
    if (change) change.summary = "nothing to see here";
    const verified = await verify(edited);
    expect(verified.steps[0]?.changes[0]?.summary).toBe("count a up");
  });

  it.each([
    [
      "a changed parameter",
      (p: Plan) => void (p.steps[0]!.changes[0]!.params.key = "z"),
      /change "count:a" differs in params/,
    ],
    [
      "a changed kind",
      (p: Plan) => void (p.steps[0]!.changes[0]!.kind = "delete"),
      /change "count:a" differs in kind/,
    ],
    [
      "an added change",
      (p: Plan) => void p.steps[0]!.changes.push({ ...p.steps[0]!.changes[0]!, id: "count:evil" }),
      /change "count:evil" is not one the runbook plans now/,
    ],
    [
      "a dropped change",
      (p: Plan) => void p.steps[0]!.changes.pop(),
      /change "count:b" is planned now but not in the plan/,
    ],
    ["a dropped step", (p: Plan) => void p.steps.pop(), /the plan's steps \["count"\] are not the runbook's/],
    [
      "a malformed change",
      (p: Plan) => void (p.steps[0]!.changes[0] = null as never),
      /a step or change of the plan is malformed/,
    ],
    [
      "a recorded answer outside the choices",
      (p: Plan) => void (p.steps[1]!.decisions![0]!.answer = "q"),
      /the plan's answer "q" to "Which option\?" is not among the choices/,
    ],
    [
      "an answer to a question not asked",
      (p: Plan) => void p.steps[1]!.decisions!.push({ kind: "select", message: "?", answer: "x" }),
      /records answers to questions not asked now/,
    ],
    [
      "decisions removed, so nobody can answer",
      (p: Plan) => void delete p.steps[1]!.decisions,
      /test\.choose needs a prompter/,
    ],
  ])("refuses %s (DriftError, exit 4)", async (_name, edit, message) => {
    const { saved, verify } = await setup(new ScriptedPrompter([{ match: "Which", answer: "x" }]));
    const edited = copy(saved);
    edit(edited);
    const result = verify(edited);
    await expect(result).rejects.toThrow(DriftError);
    await expect(result).rejects.toThrow(message);
  });

  it("refuses a recorded answer no longer offered by live state, and a question of another kind", async () => {
    const { saved, verify } = await setup(new ScriptedPrompter([{ match: "Which", answer: "x" }]));
    live.options = ["y", "z"];
    await expect(verify(copy(saved))).rejects.toThrow(/the plan's answer "x" .* is not among the choices/);
    live.options = ["x", "y"];
    live.ask = "checkbox";
    await expect(verify(copy(saved))).rejects.toThrow(/step choose now asks "Which options\?"/);
  });
});
