// applications.rekey against the simulator through the real SDK gateway: the PUT carries the configuration as it
// is when the key changes (not as planned), and a key that does not read back as ours fails the change loudly.
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../../src/actions/action.js";
import type { Change, JsonObject } from "../../../src/core/plan.js";
import { rekeyApplications } from "../../../src/actions/rekey-applications.js";
import { publicKeyFingerprint } from "../../../src/security/index.js";
import type { Gateway } from "../../../src/vonage/gateway.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";

const STEP = "apps";
const harnesses: Harness[] = [];

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function planFirst(h: Harness): Promise<{ rekey: Change; backup: Change; appId: string }> {
  const appId = h.sim.dumpState().applications.find((a) => a.owner === h.sim.primary.apiKey)?.id ?? "";
  const result = await rekeyApplications.plan(
    h.context({ stepId: STEP, planning: true }),
    rekeyApplications.params.parse({ include: [appId] }),
  );
  const changes = result.changes.map((draft) => changeOf(rekeyApplications, STEP, draft));
  const rekey = changes.find((c) => c.params.op === "rekey");
  const backup = changes.find((c) => c.params.op === "backup");
  if (!rekey || !backup) throw new Error("no rekey planned");
  return { rekey, backup, appId };
}

/** `ctx` with its gateway's updateApplication replaced (a Vonage that answers 200 and changes nothing). */
function withUpdate(ctx: ActionContext, updateApplication: Gateway["updateApplication"]): ActionContext {
  const gateway = new Proxy(ctx.gateway, {
    get: (target, key, receiver) =>
      key === "updateApplication" ? updateApplication : Reflect.get(target, key, receiver),
  });
  return { ...ctx, gateway };
}

describe("applications.rekey", () => {
  it("sends the configuration read right before the PUT: a webhook changed since the plan is not reverted", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const { rekey, backup, appId } = await planFirst(h);
    // After the plan, the operator (or anyone) changes a webhook of the application.
    const gateway = h.current();
    const before = await gateway.getApplication(appId);
    if (!before?.publicKey) throw new Error("no application");
    const changed = JSON.parse(JSON.stringify(before.config)) as {
      capabilities: Record<string, { webhooks?: Record<string, { address?: string }> }>;
    };
    const hook = Object.values(changed.capabilities)
      .flatMap((c) => Object.values(c.webhooks ?? {}))
      .find((w) => typeof w.address === "string");
    if (!hook) throw new Error("no webhook");
    hook.address = "https://changed-after-the-plan.example.com/hook";
    await gateway.updateApplication(appId, { ...changed, name: before.name }, before.publicKey);

    const ctx = h.context({ stepId: STEP });
    await rekeyApplications.prepare?.(ctx, backup);
    await rekeyApplications.apply(ctx, backup, {});
    const prepared = (await rekeyApplications.prepare?.(ctx, rekey)) ?? {};
    const outcome = await rekeyApplications.apply(ctx, rekey, prepared);
    expect(outcome.status).toBe("done");
    const after = await gateway.getApplication(appId);
    expect(JSON.stringify(after?.config)).toContain("https://changed-after-the-plan.example.com/hook");
    expect(publicKeyFingerprint(after?.publicKey ?? "")).toBe(prepared.publicKeyFingerprint);
    expect(after?.id).toBe(appId);
  });

  it("fails the change when the application does not read back with the new key", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const { rekey, appId } = await planFirst(h);
    const ctx = h.context({ stepId: STEP });
    const prepared: JsonObject = (await rekeyApplications.prepare?.(ctx, rekey)) ?? {};
    const unchanged = await h.current().getApplication(appId);
    const ignoring = withUpdate(ctx, async () => {
      if (!unchanged) throw new Error("no application");
      return unchanged;
    });
    await expect(rekeyApplications.apply(ignoring, rekey, prepared)).rejects.toThrow(
      /does not read back with the new public key .*: the old private key may still work/,
    );
    // and a reconcile after a crash does not take it for done
    expect(await rekeyApplications.reconcile?.(ctx, rekey, prepared)).toBeUndefined();
  });

  it("reads the applications once for the step's PUTs, and proves every new key after the last PUT", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const result = await rekeyApplications.plan(
      h.context({ stepId: STEP, planning: true }),
      rekeyApplications.params.parse({}),
    );
    const changes = result.changes.map((draft) => changeOf(rekeyApplications, STEP, draft));
    const rekeys = changes.filter((c) => c.params.op === "rekey");
    const verify = changes.find((c) => c.params.op === "verify");
    if (!verify || rekeys.length < 2) throw new Error("expected several rekeys and a verify");
    expect(verify.dependsOn).toEqual(rekeys.map((c) => c.id));
    const outputs = new Map<string, JsonObject>();
    const ctx = h.context({ stepId: STEP, outputs });
    const from = h.sim.requests().length;
    for (const rekey of rekeys) {
      const prepared = (await rekeyApplications.prepare?.(ctx, rekey)) ?? {};
      const outcome = await rekeyApplications.apply(ctx, rekey, prepared);
      if (outcome.status !== "done" || !outcome.output) throw new Error("rekey not done");
      outputs.set(rekey.id, outcome.output);
    }
    const reads = h.sim
      .requests()
      .slice(from)
      .filter((r) => r.method === "GET" && r.path.startsWith("/v2/applications"));
    // One listing (one page here), no read per application.
    expect(reads.map((r) => r.path)).toEqual(["/v2/applications"]);
    expect((await rekeyApplications.apply(ctx, verify, {})).status).toBe("done");

    // Someone who still holds the dashboard puts an old key back: the proof fails, naming the application.
    const first = rekeys[0]!;
    const appId = String(first.params.appId);
    const original = h.sim.dumpState().applications.find((a) => a.id === appId);
    const backup = await h.current().getApplication(appId);
    if (!original || !backup) throw new Error("no application");
    const otherKey = (await h.current().getApplication(String(rekeys[1]!.params.appId)))?.publicKey ?? "";
    await h.current().updateApplication(appId, { ...backup.config, name: backup.name }, otherKey);
    await expect(rekeyApplications.apply(ctx, verify, {})).rejects.toThrow(
      new RegExp(`1 application\\(s\\) do not read back with the new public key.*${appId}`),
    );
  });
});
