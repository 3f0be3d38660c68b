// The proof that the secret a run started with is dead: 401 through the gateway, retried over the propagation
// window; a secret that still authenticates after it fails the step (nothing is called done on hope).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveSecretRejected } from "../../../src/actions/prove-secret-rejected.js";
import { createHarness, type Harness } from "../../helpers/action-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ scenario: "clean" });
});
afterAll(() => h.close());

describe("proveSecretRejected", () => {
  it("fails while the old secret still authenticates after the propagation window", async () => {
    const ctx = h.context();
    const attempt = proveSecretRejected(ctx, {
      apiKey: h.sim.primary.apiKey,
      newSecret: "Another-secret-1",
      propagationSeconds: 0,
      provenAt: undefined,
    });
    await expect(attempt).rejects.toThrow(/still authenticates .* after it was revoked/);
  });

  it("is done, with the time since the new secret was proven, once the old one answers 401", async () => {
    const ctx = h.context();
    const key = h.sim.primary.apiKey;
    const [old] = await h.gateway.listSecrets(key);
    await h.gateway.createSecret(key, "Replacement-2x");
    const switched = h.gateway.withSecret("Replacement-2x");
    await switched.revokeSecret(key, old?.id ?? "");
    const provenAt = new Date(Date.now() - 1500).toISOString();
    const outcome = await proveSecretRejected(
      { ...ctx, gateway: switched },
      { apiKey: key, newSecret: "Replacement-2x", propagationSeconds: 5, provenAt },
    );
    expect(outcome).toMatchObject({ status: "done", output: { rejected: true, attempts: 1 } });
    expect(outcome.status === "done" ? outcome.note : "").toMatch(
      /answers 401, 1\.\d s after the new one was proven/,
    );
  });

  it("says it cannot prove anything when this process started with the new secret", async () => {
    const ctx = h.context();
    const outcome = await proveSecretRejected(ctx, {
      apiKey: h.sim.primary.apiKey,
      newSecret: h.sim.primary.apiSecret,
      propagationSeconds: 5,
      provenAt: undefined,
    });
    expect(outcome).toMatchObject({ status: "done", output: { rejected: null } });
  });
});
