// applications.recreate against the real simulator through the real SDK gateway: plan → prepare → apply per
// change in dependency order, then the end state read from the simulator.
import { carriedConfig } from "../../helpers/carried-over.js";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../../src/actions/action.js";
import type { Change, ChangeDraft, JsonObject } from "../../../src/core/plan.js";
import { recreateApplications } from "../../../src/actions/recreate-applications.js";
import { type RecreateApplicationsParams } from "../../../src/actions/recreate-changes.js";
import { ID_MAP_FILE, backupPathFor, sinkNameFor } from "../../../src/actions/application-keys.js";
import { keyPairMatches } from "../../../src/security/index.js";
import { buildScenario, type SimState } from "../../../src/simulator/index.js";
import type { Gateway } from "../../../src/vonage/gateway.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";

const STEP = "apps";
const harnesses: Harness[] = [];

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

interface Fixture {
  h: Harness;
  gateway: Gateway;
  ctx(options?: { planning?: boolean; outputs?: Map<string, JsonObject> }): ActionContext;
}

async function fixture(
  options: Parameters<typeof createHarness>[0] = { scenario: "compromised" },
): Promise<Fixture> {
  const h = await createHarness(options);
  harnesses.push(h);
  return {
    h,
    get gateway() {
      return h.current();
    },
    ctx(opts = {}) {
      return h.context({
        stepId: STEP,
        planning: opts.planning ?? false,
        ...(opts.outputs ? { outputs: opts.outputs } : {}),
      });
    },
  };
}

const toChange = (draft: ChangeDraft): Change => changeOf(recreateApplications, STEP, draft);

interface Run {
  changes: Change[];
  notes: string[];
  outputs: Map<string, JsonObject>;
  prepared: Map<string, JsonObject>;
}

async function planChanges(
  f: Fixture,
  params: RecreateApplicationsParams = {},
  outputs?: Map<string, JsonObject>,
) {
  const parsed = recreateApplications.params.parse(params);
  const result = await recreateApplications.plan(
    f.ctx({ planning: true, ...(outputs ? { outputs } : {}) }),
    parsed,
  );
  return { changes: result.changes.map(toChange), notes: result.notes ?? [] };
}

/** The engine's order in miniature: a change runs once its dependencies are done; ready ones run together. */
async function applyAll(f: Fixture, changes: Change[], outputs = new Map<string, JsonObject>()) {
  const prepared = new Map<string, JsonObject>();
  const ctx = f.ctx({ outputs });
  const remaining = changes.filter((c) => !outputs.has(c.id));
  while (remaining.length > 0) {
    const ready = remaining.filter((c) => (c.dependsOn ?? []).every((d) => outputs.has(d)));
    expect(ready.length, "changes wait on each other").toBeGreaterThan(0);
    for (const c of ready) remaining.splice(remaining.indexOf(c), 1);
    await Promise.all(
      ready.map(async (change) => {
        const drift = await recreateApplications.checkPrecondition?.(ctx, change);
        expect(drift, change.id).toBeUndefined();
        const data = (await recreateApplications.prepare?.(ctx, change)) ?? {};
        prepared.set(change.id, data);
        const outcome = await recreateApplications.apply(ctx, change, data);
        expect(outcome.status, change.id).toBe("done");
        if (outcome.status === "done") outputs.set(change.id, outcome.output ?? {});
      }),
    );
  }
  return { outputs, prepared };
}

async function runAll(f: Fixture, params: RecreateApplicationsParams = {}): Promise<Run> {
  const { changes, notes } = await planChanges(f, params);
  const { outputs, prepared } = await applyAll(f, changes);
  return { changes, notes, outputs, prepared };
}

function appsOf(state: SimState) {
  return state.applications.map((a) => ({
    id: a.id,
    name: a.name,
    capabilities: a.capabilities,
    privacy: a.privacy,
    publicKey: a.keys.public_key,
  }));
}

/** Numbers by msisdn → the name of the application they point at ("(dead)" for a deleted id). */
function numberLinks(state: SimState): Record<string, string | null> {
  const names = new Map(state.applications.map((a) => [a.id, a.name]));
  return Object.fromEntries(
    state.numbers.map((n) => [n.msisdn, n.appId === undefined ? null : (names.get(n.appId) ?? "(dead)")]),
  );
}

async function assertNoPrivateKeyLeaks(f: Fixture, run: Run) {
  const everything = JSON.stringify({
    changes: run.changes,
    notes: run.notes,
    outputs: [...run.outputs],
    prepared: [...run.prepared],
    events: f.h.events,
  });
  expect(everything).not.toMatch(/PRIVATE KEY/);
  for (const change of run.changes.filter((c) => c.kind === "create")) {
    const pem = await f.h.sink.read(sinkNameFor(String(run.outputs.get(change.id)?.newId)));
    const body = pem.split("\n")[1] ?? "";
    expect(body.length).toBeGreaterThan(20);
    expect(everything).not.toContain(body);
  }
}

describe("applications.recreate", () => {
  it("replaces every application with the same configuration and a new key held only in the sink", async () => {
    const f = await fixture();
    const before = f.h.sim.dumpState();
    const run = await runAll(f);
    const after = f.h.sim.dumpState();

    expect(run.changes.filter((c) => c.kind === "create")).toHaveLength(before.applications.length);
    const oldIds = new Set(before.applications.map((a) => a.id));
    expect(after.applications.some((a) => oldIds.has(a.id))).toBe(false);
    const strip = (apps: ReturnType<typeof appsOf>) =>
      apps.map((app) => carriedConfig(app)).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(strip(appsOf(after))).toEqual(strip(appsOf(before)));

    // Every number points where it did, by name, and none at a deleted application.
    expect(numberLinks(after)).toEqual(numberLinks(before));
    const liveIds = new Set(after.applications.map((a) => a.id));
    for (const n of after.numbers) if (n.appId !== undefined) expect(liveIds.has(n.appId)).toBe(true);

    for (const change of run.changes.filter((c) => c.kind === "create")) {
      const out = run.outputs.get(change.id);
      const replacement = after.applications.find((a) => a.id === out?.newId);
      expect(replacement, change.id).toBeDefined();
      // The key file is named after the application that uses it: the replacement.
      const pem = await f.h.sink.read(sinkNameFor(String(out?.newId)));
      expect(keyPairMatches(pem, replacement?.keys.public_key ?? "")).toBe(true);
      expect(out).toMatchObject({ oldId: change.params.oldId, name: replacement?.name });
      expect(String(out?.keyPath)).toBe(join(f.h.sink.dir, `app-${String(out?.newId)}.key`));
    }

    const backup = JSON.parse(await readFile(backupPathFor(f.h.dir, before.applications[0]!.id), "utf8"));
    expect(backup.application).toMatchObject({
      id: before.applications[0]!.id,
      name: before.applications[0]!.name,
      capabilities: before.applications[0]!.capabilities,
      keys: { public_key: before.applications[0]!.keys.public_key },
    });

    const idMap = JSON.parse(await readFile(join(f.h.dir, ID_MAP_FILE), "utf8")) as JsonObject[];
    expect(idMap).toHaveLength(before.applications.length);
    for (const entry of idMap) {
      expect(oldIds.has(String(entry.oldId))).toBe(true);
      expect(liveIds.has(String(entry.newId))).toBe(true);
      expect(entry.keyPath).toBe(join(f.h.sink.dir, `app-${String(entry.newId)}.key`));
      expect(entry.publicKeyFingerprint).toMatch(/^sha256:/);
    }
    await assertNoPrivateKeyLeaks(f, run);
  });

  it("plans stable ids in dependency order and describes each change", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const { changes } = await planChanges(f, { include: ["shop-voice"] });
    const ids = changes.map((c) => c.id);
    const p = (s: string) => `${STEP}:${shop.id}/${s}`;
    expect(ids).toEqual([
      p("backup"),
      p("create"),
      p("relink"),
      p("channels"),
      p("verify"),
      p("delete"),
      `${STEP}:id-map`,
    ]);
    expect(changes.find((c) => c.id === p("verify"))?.dependsOn).toEqual([p("relink"), p("channels")]);
    expect(changes.find((c) => c.id === p("create"))?.dependsOn).toEqual([p("backup")]);
    expect(changes.find((c) => c.id === p("delete"))?.dependsOn).toEqual([p("verify")]);
    expect(changes.find((c) => c.id === p("delete"))?.reversible).toBe(false);
    expect(changes.find((c) => c.id === `${STEP}:id-map`)?.dependsOn).toEqual([p("create")]);
    const short = `${shop.id.slice(0, 8)}…`;
    expect(changes.map((c) => c.summary)).toEqual(
      expect.arrayContaining([
        `application "shop-voice" (replaces ${short}, new keys)`,
        expect.stringMatching(
          new RegExp(
            `^move 3 number\\(s\\) from ${short} to the replacement \\(may be cleared by Vonage: .*moSmppSysType of 3`,
          ),
        ),
        `delete application ${short} "shop-voice"`,
      ]),
    );
    // Planning only read.
    expect(f.h.sim.requests().every((r) => r.method === "GET")).toBe(true);
  });

  it("says in the plan which number fields Vonage may clear on relink: those it cannot show", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const numbers = f.h.sim.dumpState().numbers.filter((n) => n.appId === shop.id);
    const { changes } = await planChanges(f, { include: ["shop-voice"] });
    const relink = changes.find((c) => c.id.endsWith("/relink"));
    const smpp = relink?.warnings?.find((w) => w.startsWith("moSmppSysType may be cleared by Vonage"));
    expect(smpp).toBeDefined();
    for (const n of numbers) expect(smpp).toContain(n.msisdn);
    expect(relink?.params.mayBeCleared).toMatchObject({ moSmppSysType: numbers.length });
  });

  it("honours include and exclude by id or name", async () => {
    const f = await fixture();
    const before = f.h.sim.dumpState();
    const byName = (name: string) => before.applications.find((a) => a.name === name)!;
    const run = await runAll(f, { include: ["shop-voice", byName("alerts").id], exclude: ["alerts"] });
    const after = f.h.sim.dumpState();
    expect(run.changes.filter((c) => c.kind === "create").map((c) => c.params.name)).toEqual(["shop-voice"]);
    const afterIds = new Set(after.applications.map((a) => a.id));
    expect(afterIds.has(byName("shop-voice").id)).toBe(false);
    for (const name of ["support-messages", "ivr-legacy", "alerts"])
      expect(afterIds.has(byName(name).id)).toBe(true);
    expect(numberLinks(after)).toEqual(numberLinks(before));

    const none = await planChanges(f, { include: ["no-such-app"] });
    expect(none.changes).toEqual([]);
    expect(none.notes.join("\n")).toContain(`no application has the id or name "no-such-app"`);
  });

  it("flags http:// and GET webhooks as warnings and carries them over unchanged", async () => {
    const f = await fixture();
    const ivr = f.h.sim.dumpState().applications.find((a) => a.name === "ivr-legacy")!;
    const { changes, notes } = await planChanges(f);
    const create = changes.find((c) => c.id === `${STEP}:${ivr.id}/create`);
    expect(create?.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /capabilities\.voice\.webhooks\.answer_url uses plain http \(http:\/\/collector/,
        ),
        "capabilities.voice.webhooks.answer_url uses GET: Vonage advises POST",
        expect.stringMatching(/event_url uses plain http/),
      ]),
    );
    expect(notes.join("\n")).toMatch(/http:\/\/ or GET webhooks/);
    expect(create?.params.config).toMatchObject({ capabilities: ivr.capabilities });
  });

  it.each(["refuse", "orphan"] as const)(
    "reaches the same end state when deleting with numbers would %s",
    async (mode) => {
      const f = await fixture({
        scenario: "compromised",
        deleteAppWithNumbers: mode,
        scenarioParams: { seed: 7, now: "2026-01-15T12:00:00Z" },
      });
      const before = f.h.sim.dumpState();
      await runAll(f);
      const after = f.h.sim.dumpState();
      expect(after.applications).toHaveLength(before.applications.length);
      expect(numberLinks(after)).toEqual(numberLinks(before));
      expect(Object.values(numberLinks(after))).not.toContain("(dead)");
      // A 409 from the refusing simulator would have failed the run; no delete answered anything but 204.
      expect(
        f.h.sim
          .requests()
          .filter((r) => r.method === "DELETE")
          .every((r) => r.status === 204),
      ).toBe(true);
    },
  );

  it("moves a number linked to the old application after the plan was made", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const { changes } = await planChanges(f, { include: [shop.id] });
    const spare = (await f.gateway.listNumbers()).find((n) => n.appId === undefined)!;
    await f.gateway.linkNumber(spare, shop.id);
    const { outputs } = await applyAll(f, changes);
    expect(outputs.get(`${STEP}:${shop.id}/relink`)).toMatchObject({ moved: 4 });
    const newId = outputs.get(`${STEP}:${shop.id}/create`)?.newId;
    const after = f.h.sim.dumpState();
    expect(after.numbers.find((n) => n.msisdn === spare.msisdn)?.appId).toBe(newId);
    expect(after.applications.some((a) => a.id === shop.id)).toBe(false);
  });

  it("refuses to delete while a number still points at the old application", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const { changes } = await planChanges(f, { include: [shop.id] });
    const del = changes.find((c) => c.kind === "delete")!;
    expect(await recreateApplications.checkPrecondition?.(f.ctx(), del)).toMatch(
      /3 number\(s\) still point at application/,
    );
  });

  it("keeps the backups in a 0700 evidence/applications/, whatever the umask", async () => {
    const f = await fixture();
    const { changes } = await planChanges(f);
    const backup = changes.find((c) => c.id.endsWith("/backup"))!;
    const previous = process.umask(0o000);
    try {
      expect((await recreateApplications.apply(f.ctx(), backup, {})).status).toBe("done");
    } finally {
      process.umask(previous);
    }
    const path = backupPathFor(f.h.dir, String(backup.params.oldId));
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("reconciles a create whose done was lost by finding the replacement's public key (no duplicate)", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const { changes } = await planChanges(f, { include: [shop.id] });
    const outputs = new Map<string, JsonObject>();
    const ctx = f.ctx({ outputs });
    const backup = changes.find((c) => c.id.endsWith("/backup"))!;
    const create = changes.find((c) => c.id.endsWith("/create"))!;
    const b = await recreateApplications.apply(ctx, backup, {});
    if (b.status === "done") outputs.set(backup.id, b.output ?? {});
    const prepared = await recreateApplications.prepare!(ctx, create);
    expect(JSON.stringify(prepared)).not.toMatch(/PRIVATE KEY/);
    // Preparing again (an intent that never reached the journal) reuses the key already in the sink.
    const again = await recreateApplications.prepare!(ctx, create);
    expect(again.publicKeyFingerprint).toBe(prepared.publicKeyFingerprint);
    const lost = await recreateApplications.apply(ctx, create, prepared); // the crash: its done is never recorded
    expect(lost.status).toBe("done");

    const outcome = await recreateApplications.reconcile!(ctx, create, prepared);
    expect(outcome?.status).toBe("done");
    const newId = outcome?.status === "done" ? outcome.output?.newId : undefined;
    expect(newId).toBe(lost.status === "done" ? lost.output?.newId : "x");
    if (outcome?.status === "done") outputs.set(create.id, outcome.output ?? {});

    // The key took the replacement's name once; reconciling renamed nothing twice.
    expect(await f.h.sink.list()).toEqual([`app-${String(newId)}.key`]);

    await applyAll(f, changes, outputs);
    const after = f.h.sim.dumpState();
    expect(after.applications.filter((a) => a.name === "shop-voice").map((a) => a.id)).toEqual([newId]);

    // Before any create, reconcile finds nothing and the engine applies again.
    const f2 = await fixture();
    const plan2 = await planChanges(f2, { include: ["alerts"] });
    const create2 = plan2.changes.find((c) => c.id.endsWith("/create"))!;
    const prepared2 = await recreateApplications.prepare!(f2.ctx(), create2);
    expect(await recreateApplications.reconcile!(f2.ctx(), create2, prepared2)).toBeUndefined();
  });

  it("re-planned on resume, leaves this run's replacements alone and keeps done creates in the id map", async () => {
    const f = await fixture();
    const shop = f.h.sim.dumpState().applications.find((a) => a.name === "shop-voice")!;
    const first = await planChanges(f, { include: ["shop-voice"] });
    const outputs = new Map<string, JsonObject>();
    // Interrupted after the create: backup and create are done.
    const upToCreate = first.changes.filter((c) => /\/(backup|create)$/.test(c.id));
    await applyAll(f, upToCreate, outputs);
    const newId = outputs.get(`${STEP}:${shop.id}/create`)?.newId;
    expect(typeof newId).toBe("string");

    const again = await planChanges(f, { include: ["shop-voice"] }, outputs);
    expect(again.changes.map((c) => c.id)).toEqual(first.changes.map((c) => c.id));
    expect(again.notes.join("\n")).toMatch(/1 replacement\(s\) created earlier in this run/);
    await applyAll(f, again.changes, outputs);

    // Once the old application is gone, a re-plan only rewrites the id map, which still names the replacement.
    const last = await planChanges(f, { include: ["shop-voice"] }, outputs);
    expect(last.changes.map((c) => c.id)).toEqual([`${STEP}:id-map`]);
    await applyAll(f, last.changes, new Map([...outputs].filter(([id]) => id !== `${STEP}:id-map`)));
    const idMap = JSON.parse(await readFile(join(f.h.dir, ID_MAP_FILE), "utf8")) as JsonObject[];
    expect(idMap).toEqual([expect.objectContaining({ oldId: shop.id, newId, name: "shop-voice" })]);
    expect(
      f.h.sim
        .dumpState()
        .applications.filter((a) => a.name === "shop-voice")
        .map((a) => a.id),
    ).toEqual([newId]);
  });

  it("reconciles a delete whose done was lost", async () => {
    const f = await fixture();
    const run = await runAll(f, { include: ["alerts"] });
    const del = run.changes.find((c) => c.kind === "delete")!;
    expect(await recreateApplications.reconcile!(f.ctx({ outputs: run.outputs }), del, {})).toMatchObject({
      status: "done",
    });
    const again = await recreateApplications.apply(f.ctx({ outputs: run.outputs }), del, {});
    expect(again).toMatchObject({ status: "done", note: "it was already gone" });
  });

  it("pages through more than 100 applications and more than 100 numbers", async () => {
    // 105 applications (two pages); 150 of the 250 numbers on app-105, the last one listed (two pages).
    const state = buildScenario("large", {
      applications: 105,
      numbers: 250,
      linkedNumbers: 250,
      subaccounts: 0,
    });
    const target = state.applications.find((a) => a.name === "app-105")!;
    for (const n of state.numbers.slice(0, 150))
      Object.assign(n, {
        appId: target.id,
        voiceCallbackType: "app",
        voiceCallbackValue: target.id,
        messagesCallbackType: "app",
        messagesCallbackValue: target.id,
      });
    const f = await fixture({ state });

    const all = await planChanges(f);
    expect(all.changes.filter((c) => c.kind === "create")).toHaveLength(105);
    expect(all.changes).toHaveLength(105 * 6 + 1);
    const planned = all.changes
      .filter((c) => c.params.op === "relink")
      .reduce((sum, c) => sum + Number(c.params.plannedNumbers), 0);
    expect(planned).toBe(250);

    // Key generation is the slow part (RSA 2048): apply only two of them, one with 150+ numbers.
    const before = f.h.sim.dumpState();
    const run = await runAll(f, { include: ["app-105", "app-1"] });
    const moved = run.changes
      .filter((c) => c.params.op === "relink")
      .map((c) => run.outputs.get(c.id)?.moved);
    expect(moved.reduce((a, b) => Number(a) + Number(b), 0)).toBe(
      before.numbers.filter((n) => n.appId === target.id || n.appId === before.applications[0]!.id).length,
    );
    const after = f.h.sim.dumpState();
    expect(after.applications).toHaveLength(105);
    expect(numberLinks(after)).toEqual(numberLinks(before));
    expect(after.numbers.filter((n) => n.appId === target.id)).toHaveLength(0);
  });
});
