// evidence.snapshot's suspects: a secret a vonage-ir run created (and its creation event) is never one of them.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PriorRuns } from "../../../src/actions/action.js";
import type { Change } from "../../../src/core/plan.js";
import { evidenceSnapshot } from "../../../src/actions/evidence-snapshot.js";
import type { Suspect } from "../../../src/actions/find-suspects.js";
import { redact } from "../../../src/core/redact.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("evidence.snapshot suspects", () => {
  it("never lists a secret created by a vonage-ir run, nor the event that created it", async () => {
    harness = await createHarness({ scenario: "compromised" });
    const h = harness;
    const key = h.sim.primary.apiKey;
    const attackerId = h.sim.meta.attackerSecretIds[0] ?? "";
    // An earlier run revoked the attacker's secret and created its own, still awaiting deployment.
    await h.gateway.revokeSecret(key, attackerId);
    const earlier = await h.gateway.createSecret(key, "Earl1er-run-secret");
    const priorRuns: PriorRuns = {
      secretsCreated: [
        { apiKey: key, secretId: earlier.id, runId: "20261201-090000-a1b2c3", createdAt: earlier.createdAt },
      ],
    };
    const params = evidenceSnapshot.params.parse({ compromisedSince: h.sim.meta.compromisedSince });
    const planned = await evidenceSnapshot.plan(h.context({ planning: true, priorRuns }), params);
    const [draft] = planned.changes;
    if (!draft) throw new Error("no snapshot change");
    const change: Change = changeOf(evidenceSnapshot, "evidence", draft);
    await evidenceSnapshot.apply(h.context({ priorRuns }), change, {});
    const suspects = JSON.parse(
      await readFile(join(h.dir, "evidence", "suspects.json"), "utf8"),
    ) as Suspect[];
    expect(suspects.some((s) => s.kind === "subaccount")).toBe(true);
    expect(JSON.stringify(suspects)).not.toContain(earlier.id);
    // The attacker's secret creation (before the run revoked it) is still a suspect event.
    expect(
      suspects.some((s) => s.kind === "audit-event" && s.detail.startsWith("ACCOUNT_SECRET_CREATE")),
    ).toBe(true);
  });

  it("records every external account and its linked application, never Messenger's access token", async () => {
    harness = await createHarness({ scenario: "compromised" });
    const h = harness;
    const state = h.sim.dumpState();
    const token = state.externalAccounts.find((a) => a.provider === "messenger")?.accessToken ?? "";
    expect(token.length).toBeGreaterThan(10);
    const params = evidenceSnapshot.params.parse({});
    const [draft] = (await evidenceSnapshot.plan(h.context({ planning: true }), params)).changes;
    if (!draft) throw new Error("no snapshot change");
    const outcome = await evidenceSnapshot.apply(
      h.context(),
      changeOf(evidenceSnapshot, "evidence", draft),
      {},
    );
    const recorded = JSON.parse(
      await readFile(join(h.dir, "evidence", "external-accounts.json"), "utf8"),
    ) as Record<string, unknown>[];
    expect(recorded.map((a) => [a.provider, a.external_id, a.applications]).sort()).toEqual(
      state.externalAccounts.map((a) => [a.provider, a.externalId, a.applications]).sort(),
    );
    expect(outcome).toMatchObject({ status: "done", output: { externalAccounts: 4 } });
    for (const file of await readdir(join(h.dir, "evidence")))
      expect(await readFile(join(h.dir, "evidence", file), "utf8"), file).not.toContain(token);
    expect(JSON.stringify(recorded)).not.toContain("access_token");
    // Registered as a secret: any output that would show it shows it redacted.
    expect(redact(`token ${token}`)).not.toContain(token);
  });
});
