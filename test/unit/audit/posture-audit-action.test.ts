// The posture.audit action: one write-file change; apply writes posture-audit.json and .md to the run
// directory and returns a summary; failOn fails the step after the files are written.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/plan.js";
import { postureAudit } from "../../../src/actions/posture-audit.js";
import { createRegistry } from "../../../src/actions/registry.js";
import { createHarness, type Harness } from "../../helpers/action-harness.js";

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function planned(h: Harness, params: unknown): Promise<Change> {
  const result = await postureAudit.plan(
    h.context({ stepId: "audit", planning: true }),
    postureAudit.params.parse(params),
  );
  expect(result.changes).toHaveLength(1);
  const [draft] = result.changes;
  if (!draft) throw new Error("no change");
  return {
    ...draft,
    id: `audit:${draft.id}`,
    stepId: "audit",
    action: postureAudit.id,
    summary: postureAudit.describe(draft),
  };
}

describe("posture.audit action", () => {
  it("is registered", () => {
    expect(createRegistry().actions.get("posture.audit")).toBe(postureAudit);
  });

  it("plans one write-file change without any request, applies it and writes json + md", async () => {
    harness = await createHarness({ scenario: "compromised" });
    const since = harness.sim.meta.compromisedSince ?? undefined;
    const change = await planned(harness, {
      since,
      allowSubaccounts: harness.sim.meta.legitimateSubaccountKeys,
    });
    expect(change.kind).toBe("write-file");
    expect(change.summary).toContain("posture-audit.json");
    expect(harness.sim.requests()).toHaveLength(0);
    const outcome = await postureAudit.apply(harness.context({ stepId: "audit" }), change, {});
    expect(outcome.status).toBe("done");
    const output = outcome.status === "done" ? (outcome.output ?? {}) : {};
    expect(output.json).toBe(join(harness.dir, "posture-audit.json"));
    expect(String(output.summary)).toMatch(/^\d+ high, \d+ medium, \d+ low, \d+ info/);
    const doc = JSON.parse(await readFile(join(harness.dir, "posture-audit.json"), "utf8")) as {
      v: number;
      findings: { id: string }[];
    };
    expect(doc.v).toBe(1);
    expect(doc.findings.map((f) => f.id)).toContain("subaccounts.not-allowed");
    const md = await readFile(join(harness.dir, "posture-audit.md"), "utf8");
    expect(md).toContain("| severity | check | detail | fix |");
    expect(md).toContain("## Verify manually");
    expect(harness.sim.requests().every((r) => r.method === "GET" || r.path === "/account/settings")).toBe(
      true,
    );
  });

  it("fails the step when failOn is reached, after writing the files", async () => {
    harness = await createHarness({ scenario: "compromised" });
    const change = await planned(harness, { failOn: "high" });
    await expect(postureAudit.apply(harness.context({ stepId: "audit" }), change, {})).rejects.toThrow(
      /at or above high/,
    );
    await expect(readFile(join(harness.dir, "posture-audit.md"), "utf8")).resolves.toContain("Posture audit");
  });

  it("rejects unknown params", () => {
    expect(postureAudit.params.safeParse({ failOn: "critical" }).success).toBe(false);
    expect(postureAudit.params.safeParse({ since: "not a date" }).success).toBe(false);
    expect(postureAudit.params.safeParse({ extra: 1 }).success).toBe(false);
  });
});
