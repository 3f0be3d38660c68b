// applications.recreate and what links to an application besides numbers: external accounts move to the
// replacement, nothing still linked is deleted, a failed relink stops only its own application, and the create
// carries request-schema fields only. Real simulator, real SDK gateway, over loopback.
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ApplyOutcome } from "../../../src/actions/action.js";
import type { Change, JsonObject } from "../../../src/core/plan.js";
import { recreateApplications } from "../../../src/actions/recreate-applications.js";
import { type RecreateApplicationsParams } from "../../../src/actions/recreate-changes.js";
import { backupPathFor } from "../../../src/actions/application-keys.js";
import { markOf } from "../../../src/io/plan-marks.js";
import { buildScenario, type SimState } from "../../../src/simulator/index.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";

const STEP = "apps";
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function harness(options: Parameters<typeof createHarness>[0] = { scenario: "compromised" }) {
  const h = await createHarness(options);
  harnesses.push(h);
  return h;
}

async function plan(h: Harness, params: RecreateApplicationsParams = {}, outputs?: Map<string, JsonObject>) {
  const result = await recreateApplications.plan(
    h.context({ stepId: STEP, planning: true, ...(outputs ? { outputs } : {}) }),
    recreateApplications.params.parse(params),
  );
  return result.changes.map((draft) => changeOf(recreateApplications, STEP, draft));
}

/**
 * The engine's rules in miniature: a change runs once every change it depends on is done; a pending one keeps
 * its dependants waiting while the others go on. Returns each change's outcome (undefined: never ran).
 */
async function applyAll(
  h: Harness,
  changes: Change[],
  outputs = new Map<string, JsonObject>(),
  resumeCommand?: string,
) {
  const outcomes = new Map<string, ApplyOutcome | undefined>();
  const ctx = { ...h.context({ stepId: STEP, outputs }), resumeCommand };
  let progressed = true;
  while (progressed) {
    progressed = false;
    const ready = changes.filter(
      (c) => !outputs.has(c.id) && !outcomes.has(c.id) && (c.dependsOn ?? []).every((d) => outputs.has(d)),
    );
    await Promise.all(
      ready.map(async (change) => {
        progressed = true;
        const drift = await recreateApplications.checkPrecondition?.(ctx, change);
        if (drift !== undefined) {
          outcomes.set(change.id, { status: "skipped", reason: drift });
          return;
        }
        const prepared = (await recreateApplications.prepare?.(ctx, change)) ?? {};
        const outcome = await recreateApplications.apply(ctx, change, prepared);
        outcomes.set(change.id, outcome);
        if (outcome.status === "done") outputs.set(change.id, outcome.output ?? {});
      }),
    );
  }
  return { outputs, outcomes };
}

function byName(state: SimState, name: string) {
  const app = state.applications.find((a) => a.name === name);
  if (!app) throw new Error(`no application ${name}`);
  return app;
}

/** External accounts by `provider externalId` → the names of the applications they are linked to. */
function accountLinks(state: SimState): Record<string, string[]> {
  const names = new Map(state.applications.map((a) => [a.id, a.name]));
  return Object.fromEntries(
    state.externalAccounts.map((a) => [
      `${a.provider} ${a.externalId}`,
      a.applications.map((id) => names.get(id) ?? "(dead)"),
    ]),
  );
}

describe("applications.recreate moves external accounts", () => {
  it("moves chat-bot's RCS account (its only link) to the replacement, then deletes the old application", async () => {
    const h = await harness();
    const before = h.sim.dumpState();
    const chat = byName(before, "chat-bot");
    expect(before.numbers.some((n) => n.appId === chat.id)).toBe(false);
    const changes = await plan(h, { include: ["chat-bot"] });
    const channels = changes.find((c) => c.id === `${STEP}:${chat.id}/channels`);
    // The mark comes from the kind now (plan-marks), not from the summary: a move is a change in place.
    expect(markOf(channels?.kind ?? "")).toBe("~");
    expect(channels?.summary).toMatch(/^move 1 external account\(s\) \(rcs example_ltd_agent\) from /);
    const { outputs } = await applyAll(h, changes);
    const newId = outputs.get(`${STEP}:${chat.id}/create`)?.newId;
    const after = h.sim.dumpState();
    expect(after.applications.some((a) => a.id === chat.id)).toBe(false);
    expect(after.externalAccounts.find((a) => a.externalId === "example_ltd_agent")?.applications).toEqual([
      newId,
    ]);
    expect(outputs.get(`${STEP}:${chat.id}/channels`)).toMatchObject({ movedAccounts: 1 });
  });

  it("moves every application's numbers and external accounts; nothing is left on a deleted id", async () => {
    const h = await harness();
    const before = h.sim.dumpState();
    const { outcomes } = await applyAll(h, await plan(h));
    expect([...outcomes.values()].every((o) => o?.status === "done")).toBe(true);
    const after = h.sim.dumpState();
    // Same application by name, none on a deleted id.
    expect(accountLinks(after)).toEqual(accountLinks(before));
    expect(Object.values(accountLinks(after)).flat()).not.toContain("(dead)");
    const live = new Set(after.applications.map((a) => a.id));
    for (const n of after.numbers) if (n.appId !== undefined) expect(live.has(n.appId)).toBe(true);
    // Messenger's access token is a credential: never in a change, an output or an event.
    const token = before.externalAccounts.find((a) => a.provider === "messenger")?.accessToken ?? "";
    expect(JSON.stringify({ outcomes: [...outcomes], events: h.events })).not.toContain(token);
  });

  it("is idempotent on resume: linked to the replacement → nothing; to the old one → unlink, link; to neither → link", async () => {
    const h = await harness();
    const support = byName(h.sim.dumpState(), "support-messages");
    const changes = await plan(h, { include: ["support-messages"] });
    const outputs = new Map<string, JsonObject>();
    const upToCreate = changes.filter((c) => /\/(backup|create)$/.test(c.id));
    await applyAll(h, upToCreate, outputs);
    const newId = String(outputs.get(`${STEP}:${support.id}/create`)?.newId);
    // Interrupted mid-move: WhatsApp already moved; Messenger unlinked from the old one, not yet linked.
    const listed = await h.gateway.listExternalAccounts();
    if (!listed.available) throw new Error("external accounts unavailable");
    const whatsapp = listed.value.find((a) => a.provider === "whatsapp")!;
    const messenger = listed.value.find((a) => a.provider === "messenger")!;
    await h.gateway.unlinkExternalAccount(whatsapp, support.id);
    await h.gateway.linkExternalAccount(whatsapp, newId);
    await h.gateway.unlinkExternalAccount(messenger, support.id);
    const seen = h.sim.requests().length;

    const channels = changes.find((c) => c.id.endsWith("/channels"))!;
    const outcome = await recreateApplications.apply(h.context({ stepId: STEP, outputs }), channels, {});
    expect(outcome).toMatchObject({ status: "done", output: { movedAccounts: 1 } });
    const writes = h.sim
      .requests()
      .slice(seen)
      .filter((r) => r.method !== "GET")
      .map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual(["POST /beta/chatapp-accounts/messenger/104857600123/applications"]);
    // Applied again: nothing left to do, nothing written.
    const again = h.sim.requests().length;
    await recreateApplications.apply(h.context({ stepId: STEP, outputs }), channels, {});
    expect(
      h.sim
        .requests()
        .slice(again)
        .filter((r) => r.method !== "GET"),
    ).toEqual([]);
    const after = h.sim.dumpState();
    for (const provider of ["whatsapp", "messenger"])
      expect(after.externalAccounts.find((a) => a.provider === provider)?.applications).toEqual([newId]);
  });
});

describe("an application still linked to anything is never deleted", () => {
  it("refuses the delete when an external account was linked to the old application after the verify", async () => {
    const h = await harness();
    const chat = byName(h.sim.dumpState(), "chat-bot");
    const changes = await plan(h, { include: ["chat-bot"] });
    const outputs = new Map<string, JsonObject>();
    await applyAll(
      h,
      changes.filter((c) => !c.id.endsWith("/delete") && !c.id.endsWith("id-map")),
      outputs,
    );
    expect(outputs.has(`${STEP}:${chat.id}/verify`)).toBe(true);
    const newId = String(outputs.get(`${STEP}:${chat.id}/create`)?.newId);
    // Someone with the dashboard links the RCS agent back to the old application.
    const listed = await h.gateway.listExternalAccounts();
    const rcs = listed.available ? listed.value.find((a) => a.provider === "rcs") : undefined;
    if (!rcs) throw new Error("no rcs account");
    await h.gateway.unlinkExternalAccount(rcs, newId);
    await h.gateway.linkExternalAccount(rcs, chat.id);

    // A resumed run (no verification of its own in this process) reads live state before the delete.
    const del = changes.find((c) => c.id.endsWith("/delete"))!;
    const drift = await recreateApplications.checkPrecondition?.(
      h.context({ stepId: STEP, outputs: new Map(outputs) }),
      del,
    );
    expect(drift).toMatch(
      /1 external account\(s\) are still linked to application .*\(rcs example_ltd_agent\): it is not deleted/,
    );
    expect(h.sim.dumpState().applications.some((a) => a.id === chat.id)).toBe(true);
  });

  it("keeps the old application when an external account's link fails, and finishes the move on resume", async () => {
    const h = await harness();
    const before = h.sim.dumpState();
    const chat = byName(before, "chat-bot");
    const changes = await plan(h, { include: ["chat-bot", "shop-voice"] });
    const linkRoute = "POST /beta/chatapp-accounts/rcs/example_ltd_agent/applications";
    h.sim.setFaults({ errorRate: { [linkRoute]: 1 }, errorStatus: 503 });
    const { outputs, outcomes } = await applyAll(h, changes);
    const channels = outcomes.get(`${STEP}:${chat.id}/channels`);
    expect(channels?.status).toBe("pending");
    expect(channels?.status === "pending" ? channels.reason : "").toMatch(
      /external account rcs example_ltd_agent \("Example Ltd RCS"\)/,
    );
    // Its verify and delete never ran; shop-voice, independent of it, was replaced.
    expect(outcomes.has(`${STEP}:${chat.id}/delete`)).toBe(false);
    const mid = h.sim.dumpState();
    expect(mid.applications.some((a) => a.id === chat.id)).toBe(true);
    expect(mid.applications.some((a) => a.id === byName(before, "shop-voice").id)).toBe(false);

    // The fault gone, a resume re-plans and links the account, which its failed attempt left linked to nothing.
    h.sim.setFaults({ errorRate: {} });
    const again = await plan(h, { include: ["chat-bot", "shop-voice"] }, outputs);
    const resumed = await applyAll(h, again, outputs);
    expect([...resumed.outcomes.values()].every((o) => o?.status === "done")).toBe(true);
    const after = h.sim.dumpState();
    const newId = outputs.get(`${STEP}:${chat.id}/create`)?.newId;
    expect(after.externalAccounts.find((a) => a.provider === "rcs")?.applications).toEqual([newId]);
    expect(after.applications.some((a) => a.id === chat.id)).toBe(false);
  });
});

describe("a number whose relink fails", () => {
  it("stops that application's delete with the number, the URL and the choices; the others complete", async () => {
    const h = await harness({ scenario: "compromised", unreachableSmsWebhooks: 1 });
    const before = h.sim.dumpState();
    const [msisdn] = h.sim.unreachableSmsWebhooks;
    const number = before.numbers.find((n) => n.msisdn === msisdn)!;
    const stuck = before.applications.find((a) => a.id === number.appId)!;
    const resume = "vonage-ir run --resume 20261202-001500-abcdef --config ops.yaml";
    const { outcomes } = await applyAll(h, await plan(h), new Map(), resume);

    const relink = outcomes.get(`${STEP}:${stuck.id}/relink`);
    expect(relink?.status).toBe("pending");
    const reason = relink?.status === "pending" ? relink.reason : "";
    expect(reason).toContain(`application ${stuck.id} "${stuck.name}" is kept, not deleted`);
    expect(reason).toContain(msisdn);
    expect(reason).toContain(String(number.moHttpUrl));
    expect(reason).toContain(`resume: ${resume}`);
    expect(reason).toContain("applications.strategy: rekey");
    expect(reason).toContain(`applications.exclude: ["${stuck.id}"]`);
    // Said on screen too, not only in the journal.
    expect(h.events).toContainEqual({ kind: "warning", message: reason });

    const after = h.sim.dumpState();
    expect(after.applications.some((a) => a.id === stuck.id)).toBe(true);
    expect(after.numbers.find((n) => n.msisdn === msisdn)?.appId).toBe(stuck.id);
    for (const other of before.applications.filter((a) => a.id !== stuck.id)) {
      expect(outcomes.get(`${STEP}:${other.id}/delete`)?.status, other.name).toBe("done");
      expect(after.applications.some((a) => a.id === other.id)).toBe(false);
    }
    // No number points at a deleted application.
    const live = new Set(after.applications.map((a) => a.id));
    for (const n of after.numbers) if (n.appId !== undefined) expect(live.has(n.appId)).toBe(true);
  });
});

describe("the replacement's create", () => {
  it("sends request-schema fields only: response-only voice.payment_enabled and verify.version stay behind", async () => {
    const state = buildScenario("compromised", { seed: 3 });
    const shop = byName(state, "shop-voice");
    const voice = (shop.capabilities as Record<string, Record<string, unknown>>).voice!;
    voice.payment_enabled = true;
    shop.capabilities = { ...shop.capabilities, verify: { version: "v2" } } as typeof shop.capabilities;
    const h = await harness({ state });
    const { outputs } = await applyAll(h, await plan(h, { include: ["shop-voice"] }));
    // The simulator validates a create as Vonage does: a response-only field would have been a 400.
    const creates = h.sim.requests().filter((r) => r.method === "POST" && r.path === "/v2/applications");
    expect(creates.map((r) => r.status)).toEqual([201]);
    const replacement = h.sim
      .dumpState()
      .applications.find((a) => a.id === outputs.get(`${STEP}:${shop.id}/create`)?.newId);
    const capabilities = replacement?.capabilities as Record<string, Record<string, unknown>> | undefined;
    expect(capabilities?.voice?.webhooks).toEqual(voice.webhooks);
    expect(capabilities?.voice?.payment_enabled).not.toBe(true);
    expect(capabilities?.verify?.version).not.toBe("v2");
  });
});

describe("evidence/applications/", () => {
  it("is made 0700 even when it exists already with a wider mode", async () => {
    const h = await harness();
    const changes = await plan(h, { include: ["alerts"] });
    const backup = changes.find((c) => c.id.endsWith("/backup"))!;
    const dir = dirname(backupPathFor(h.dir, String(backup.params.oldId)));
    await mkdir(dir, { recursive: true, mode: 0o755 });
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    expect((await recreateApplications.apply(h.context({ stepId: STEP }), backup, {})).status).toBe("done");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});
