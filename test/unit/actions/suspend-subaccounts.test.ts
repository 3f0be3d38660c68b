// subaccounts.suspend against the real simulator: allow list, interactive checkbox, non-interactive pending,
// Subaccounts unavailable, and the precondition that refuses a drifted subaccount.
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../../src/actions/action.js";
import type { Change, ChangeDraft } from "../../../src/core/plan.js";
import {
  suspendSubaccounts,
  type SuspendSubaccountsParams,
} from "../../../src/actions/suspend-subaccounts.js";
import { ScriptedPrompter, type Choice, type Prompter } from "../../../src/io/prompter.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";

const STEP = "subs";
const harnesses: Harness[] = [];

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

interface Fixture {
  h: Harness;
  ctx(options?: { planning?: boolean; prompter?: Prompter }): ActionContext;
}

async function fixture(
  options: Parameters<typeof createHarness>[0] = { scenario: "compromised" },
): Promise<Fixture> {
  const h = await createHarness(options);
  harnesses.push(h);
  return {
    h,
    ctx(opts = {}) {
      return h.context({
        stepId: STEP,
        planning: opts.planning ?? false,
        ...(opts.prompter ? { prompter: opts.prompter } : {}),
      });
    },
  };
}

const toChange = (draft: ChangeDraft): Change => changeOf(suspendSubaccounts, STEP, draft);

async function planChanges(f: Fixture, params: SuspendSubaccountsParams, prompter?: Prompter) {
  const parsed = suspendSubaccounts.params.parse(params);
  const result = await suspendSubaccounts.plan(
    f.ctx({ planning: true, ...(prompter ? { prompter } : {}) }),
    parsed,
  );
  return { changes: result.changes.map(toChange), notes: result.notes ?? [] };
}

async function applyAll(f: Fixture, changes: Change[], prompter?: Prompter) {
  const ctx = f.ctx(prompter ? { prompter } : {});
  const outcomes = new Map<string, unknown>();
  await Promise.all(
    changes.map(async (change) => {
      expect(await suspendSubaccounts.checkPrecondition?.(ctx, change)).toBeUndefined();
      outcomes.set(change.id, await suspendSubaccounts.apply(ctx, change, {}));
    }),
  );
  return outcomes;
}

function suspendedKeys(f: Fixture): string[] {
  return f.h.sim
    .dumpState()
    .subaccounts.filter((s) => s.suspended)
    .map((s) => s.apiKey)
    .sort();
}

/** Records the choices a checkbox was shown, then answers like the scripted prompter. */
class RecordingPrompter extends ScriptedPrompter {
  readonly shown: Choice<unknown>[][] = [];
  override async checkbox<T>(question: { message: string; choices: Choice<T>[] }): Promise<T[]> {
    this.shown.push(question.choices as Choice<unknown>[]);
    return super.checkbox(question);
  }
}

describe("subaccounts.suspend", () => {
  it("suspends every active subaccount not in the allow list, reversibly", async () => {
    const f = await fixture();
    const { meta } = f.h.sim;
    const rogue = meta.attackerSubaccountKeys[0]!;
    const { changes } = await planChanges(f, {
      allow: meta.legitimateSubaccountKeys,
      compromisedSince: meta.compromisedSince!,
    });
    expect(changes.map((c) => c.id)).toEqual([`${STEP}:suspend/${rogue}`]);
    const [change] = changes;
    expect(change).toMatchObject({ kind: "suspend", reversible: true, idempotent: true });
    expect(change?.summary).toMatch(
      new RegExp(`^suspend subaccount ${rogue} "svc-backup" \\(created \\d{4}-.*, suspect\\)$`),
    );
    expect(f.h.sim.requests().every((r) => r.method === "GET")).toBe(true);

    const outcomes = await applyAll(f, changes);
    expect(outcomes.get(change!.id)).toEqual({
      status: "done",
      output: {
        apiKey: rogue,
        suspended: true,
        reverse: `PATCH /accounts/${f.h.sim.primary.apiKey}/subaccounts/${rogue} {"suspended": false} or the dashboard`,
      },
    });
    expect(suspendedKeys(f)).toEqual([rogue]);

    // Suspended ones are left alone on the next plan; applying again is harmless.
    expect((await planChanges(f, { allow: meta.legitimateSubaccountKeys })).changes).toEqual([]);
    expect(await suspendSubaccounts.apply(f.ctx(), change!, {})).toMatchObject({ status: "done" });
    expect(suspendedKeys(f)).toEqual([rogue]);
  });

  it("refuses a suspension whose subaccount drifted after the plan", async () => {
    const f = await fixture();
    const rogue = f.h.sim.meta.attackerSubaccountKeys[0]!;
    const { changes } = await planChanges(f, { allow: [] });
    expect(changes).toHaveLength(3);
    await suspendSubaccounts.apply(
      f.ctx(),
      changes.find((c) => c.id.endsWith(rogue))!,
      {},
    );
    const drift = await suspendSubaccounts.checkPrecondition?.(
      f.ctx(),
      changes.find((c) => c.id.endsWith(rogue))!,
    );
    expect(drift).toMatch(/already suspended/);
    const ghost = { ...changes[0]!, params: { ...changes[0]!.params, apiKey: "ffff0000" } };
    expect(await suspendSubaccounts.checkPrecondition?.(f.ctx(), ghost)).toMatch(/no longer exists/);
  });

  it("interactive: a checkbox preselects the subaccounts created after the compromise", async () => {
    const f = await fixture();
    const { meta } = f.h.sim;
    const prompter = new RecordingPrompter([{ match: "Which subaccounts", answer: "defaults" }]);
    const { changes } = await planChanges(f, { compromisedSince: meta.compromisedSince! }, prompter);
    const shown = prompter.shown[0] ?? [];
    expect(shown).toHaveLength(3);
    expect(shown.filter((c) => c.checked).map((c) => c.value)).toEqual(meta.attackerSubaccountKeys);
    expect(shown.find((c) => c.checked)?.name).toMatch(/svc-backup .* created after the compromise/);
    expect(changes.map((c) => c.params.apiKey)).toEqual(meta.attackerSubaccountKeys);
    await applyAll(f, changes);
    expect(suspendedKeys(f)).toEqual([...meta.attackerSubaccountKeys].sort());
    expect(prompter.unused()).toEqual([]);

    // The operator may choose otherwise.
    const f2 = await fixture();
    const legit = f2.h.sim.meta.legitimateSubaccountKeys[0]!;
    const chosen = await planChanges(
      f2,
      {},
      new ScriptedPrompter([{ match: "Which subaccounts", answer: [legit] }]),
    );
    expect(chosen.changes.map((c) => c.params.apiKey)).toEqual([legit]);
  });

  it("non-interactive without an allow list: suspends nothing and stays pending with the list", async () => {
    const f = await fixture();
    const { meta } = f.h.sim;
    const { changes } = await planChanges(f, { compromisedSince: meta.compromisedSince! });
    expect(changes).toHaveLength(1);
    const [decide] = changes;
    expect(decide).toMatchObject({ id: `${STEP}:decide`, kind: "manual" });
    expect(decide?.summary).toMatch(/^manual: /);
    const instructions = decide?.manual?.instructions ?? "";
    for (const key of [...meta.legitimateSubaccountKeys, ...meta.attackerSubaccountKeys]) {
      expect(instructions).toContain(key);
    }
    expect(instructions).toContain("subaccounts.allow");
    expect(instructions).toMatch(/svc-backup.*created after the compromise/);
    const outcome = await suspendSubaccounts.apply(f.ctx(), decide!, {});
    expect(outcome.status).toBe("pending");
    expect(outcome.status === "pending" ? outcome.reason : "").toContain(meta.attackerSubaccountKeys[0]!);
    expect(suspendedKeys(f)).toEqual([]);
  });

  it("notes that Subaccounts are unavailable and plans nothing", async () => {
    const f = await fixture({ scenario: "compromised", subaccountsAvailable: false });
    const { changes, notes } = await planChanges(f, {});
    expect(changes).toEqual([]);
    expect(notes.join("\n")).toMatch(/Subaccounts are not available/);
  });

  it("plans nothing when every active subaccount is allowed", async () => {
    const f = await fixture({ scenario: "clean" });
    const { changes, notes } = await planChanges(f, { allow: f.h.sim.meta.legitimateSubaccountKeys });
    expect(changes).toEqual([]);
    expect(notes).toContain("nothing to suspend");
    expect(JSON.stringify({ changes, notes })).not.toContain(f.h.sim.primary.apiSecret);
  });
});
