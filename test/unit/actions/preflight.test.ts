// preflight against the real simulator: credentials, the account key, and the optional APIs as facts.
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../../src/actions/action.js";
import type { Change } from "../../../src/core/plan.js";
import { preflight } from "../../../src/actions/preflight.js";
import { VonageApiError } from "../../../src/core/errors.js";
import { createSdkGateway } from "../../../src/vonage/sdk-gateway.js";
import { createHarness, type Harness } from "../../helpers/action-harness.js";

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function planAndApply(h: Harness) {
  const result = await preflight.plan(
    h.context({ stepId: "preflight", planning: true }),
    preflight.params.parse({}),
  );
  const changes = result.changes.map((draft): Change => ({
    ...draft,
    id: `preflight:${draft.id}`,
    stepId: "preflight",
    action: preflight.id,
    summary: preflight.describe(draft),
  }));
  const [change] = changes;
  if (!change) throw new Error("no change planned");
  const outcome = await preflight.apply(h.context({ stepId: "preflight" }), change, {});
  return { result, change, outcome };
}

describe("preflight", () => {
  it("plans one verify change for the account and applies it with the facts as output", async () => {
    harness = await createHarness({ scenario: "compromised" });
    const { result, change, outcome } = await planAndApply(harness);
    const key = harness.sim.primary.apiKey;
    expect(result.changes).toHaveLength(1);
    expect(change).toMatchObject({ id: "preflight:credentials", kind: "verify", target: `account ${key}` });
    expect(outcome).toEqual({ status: "done", output: { apiKey: key, subaccounts: true, audit: true } });
    expect(harness.sim.requests().every((r) => r.method === "GET" || r.path.includes("settings"))).toBe(true);
  });

  it("is idempotent: applying twice gives the same output", async () => {
    harness = await createHarness({ scenario: "clean" });
    const first = await planAndApply(harness);
    const again = await preflight.apply(harness.context({ stepId: "preflight" }), first.change, {});
    expect(again).toEqual(first.outcome);
  });

  it("notes that Subaccounts and Audit are not available instead of failing", async () => {
    harness = await createHarness({ scenario: "clean", subaccountsAvailable: false, auditAvailable: false });
    const { result, outcome } = await planAndApply(harness);
    const notes = (result.notes ?? []).join("\n");
    expect(notes).toMatch(/Subaccounts API not available/);
    expect(notes).toMatch(/Audit API not available/);
    expect(outcome).toMatchObject({ status: "done", output: { subaccounts: false, audit: false } });
  });

  it("surfaces rejected credentials as a VonageApiError of kind auth at plan time", async () => {
    harness = await createHarness({ scenario: "clean" });
    const bad = createSdkGateway({
      credentials: { apiKey: harness.sim.primary.apiKey, apiSecret: "Wr0ng-secret-value" },
      apiHost: harness.sim.url,
      restHost: harness.sim.url,
    });
    const base = harness.context({ stepId: "preflight", planning: true });
    const ctx: ActionContext = { ...base, gateway: bad };
    const error = await preflight.plan(ctx, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VonageApiError);
    expect((error as VonageApiError).kind).toBe("auth");
    expect((error as Error).message).not.toContain("Wr0ng-secret-value");
  });

  it("rejects unknown params", () => {
    expect(preflight.params.safeParse({ extra: true }).success).toBe(false);
  });
});
