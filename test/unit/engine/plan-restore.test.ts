import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Action, PriorChange, PriorRun } from "../../../src/actions/action.js";
import { createRegistry } from "../../../src/actions/registry.js";
import { planRestore } from "../../../src/engine/plan-restore.js";

function done(
  changeId: string,
  action: string,
  kind: string,
  params: unknown,
  output: unknown = {},
): PriorChange {
  return {
    changeId,
    action,
    kind,
    summary: `summary of ${changeId}`,
    target: changeId,
    params,
    before: undefined,
    output,
    intentAt: undefined,
    doneAt: undefined,
  };
}

/** An action of another module (say, Fraud Defender rules) whose undo is a manual instruction: restore takes any. */
const blockRule: Action<Record<string, never>> = {
  id: "test.block-rule",
  title: "Block a destination",
  why: "test",
  params: z.strictObject({}),
  plan: async () => ({ changes: [] }),
  describe: (change) => change.target,
  apply: async () => ({ status: "done" }),
  undo: (change) => ({
    kind: "manual",
    instructions: `remove rule ${String((change.params as { ruleId: string }).ruleId)} in the dashboard`,
  }),
};

const registry = createRegistry({ actions: [blockRule as Action<never>] });
const meta = {
  account: "abcd1234",
  now: new Date("2026-12-02T00:00:00Z"),
  runbookHash: "rh",
  configHash: "ch",
};

describe("planRestore", () => {
  it("reverses suspensions through their action, once each, and lists what a person may do and what stays", () => {
    const suspend = done("subaccounts:suspend/sub1", "subaccounts.suspend", "suspend", {
      apiKey: "sub1",
      name: "x",
      primary: "abcd1234",
      suspect: true,
    });
    const prior: PriorRun = {
      runId: "20261201-000000-abcdef",
      account: "abcd1234",
      startedAt: undefined,
      changes: [
        suspend,
        done("secrets:primary/revoke/s1", "secrets.rotate", "delete", {
          role: "revoke",
          apiKey: "abcd1234",
          secretId: "s1",
        }),
        done("autoreload:switch-off", "autoreload.disable", "manual", {}),
        done("fraud:block/r1", "test.block-rule", "create", { ruleId: "r1" }),
        done("evidence:snapshot", "evidence.snapshot", "write-file", {}),
        done("gone:x", "no.such.action", "update", {}),
        // re-verified: journaled done a second time
        suspend,
      ],
    };
    const plan = planRestore(prior, registry, meta);
    const undo = plan.steps.find((s) => s.id === "undo.subaccounts.suspend");
    expect(undo?.confirm).toBe(true);
    expect(undo?.changes.map((c) => [c.id, c.action, c.kind, c.params.op])).toEqual([
      ["undo.subaccounts.suspend:unsuspend/sub1", "subaccounts.suspend", "update", "unsuspend"],
    ]);
    expect(undo?.changes[0]?.summary).toContain("unsuspend subaccount sub1");
    expect(plan.restoreOf?.manual.map((m) => m.changeId)).toEqual([
      "autoreload:switch-off",
      "fraud:block/r1",
    ]);
    expect(plan.restoreOf?.manual[1]?.instructions).toBe("remove rule r1 in the dashboard");
    expect(plan.restoreOf?.irreversible.map((i) => i.changeId)).toEqual(["secrets:primary/revoke/s1"]);
    expect(plan.steps.map((s) => s.id)).toEqual([
      "undo.subaccounts.suspend",
      "restore.manual",
      "restore.irreversible",
    ]);
    expect(plan.runbook).toMatchObject({ id: "restore", hash: "rh" });
    expect(plan.configHash).toBe("ch");
  });

  it("reverses nothing of a restore run (an unsuspend has no undo)", () => {
    const prior: PriorRun = {
      runId: "20261201-000000-abcdef",
      account: "abcd1234",
      startedAt: undefined,
      changes: [
        done("undo.subaccounts.suspend:unsuspend/sub1", "subaccounts.suspend", "update", {
          op: "unsuspend",
          apiKey: "sub1",
        }),
      ],
    };
    const plan = planRestore(prior, registry, meta);
    expect(plan.steps).toEqual([]);
    expect(plan.restoreOf).toEqual({ runId: prior.runId, manual: [], irreversible: [] });
  });

  it("lists each delivery of a new credential as staying: the target keeps the new value, whichever action made it", () => {
    const delivery = (changeId: string, action: string, label: string, item: string) =>
      done(changeId, action, "deliver", { item, shownAs: "abcd1234", label, op: "deliver", role: "deliver" });
    const prior: PriorRun = {
      runId: "20261201-000000-abcdef",
      account: "abcd1234",
      startedAt: undefined,
      changes: [
        delivery("secrets:deliver/exec:deploy/abcd1234", "secrets.rotate", "exec:deploy", "api-secret"),
        delivery("applications:deliver/dotenv:.env/a1", "applications.rekey", "dotenv:.env", "private-key"),
        delivery(
          "applications:deliver/dotenv:.env/a2",
          "applications.recreate",
          "dotenv:.env",
          "private-key",
        ),
        // a service check and the proof of the old secret's rejection: verifies, nothing to reverse
        done(
          "secrets:check/billing",
          "secrets.rotate",
          "verify",
          { role: "check", apiKey: "abcd1234" },
          { passed: true },
        ),
      ],
    };
    const plan = planRestore(prior, registry, meta);
    expect(plan.restoreOf?.irreversible.map((i) => i.changeId)).toEqual([
      "secrets:deliver/exec:deploy/abcd1234",
      "applications:deliver/dotenv:.env/a1",
      "applications:deliver/dotenv:.env/a2",
    ]);
    expect(plan.restoreOf?.irreversible[0]?.reason).toContain("the target keeps the new value: exec:deploy");
    expect(plan.restoreOf?.irreversible[1]?.reason).toContain("the target keeps the new value: dotenv:.env");
    expect(plan.steps.map((s) => s.id)).toEqual(["restore.irreversible"]);
  });
});
