// applications.rekey: replaces each selected application's public key in place with one generated here, so a
// private key the attacker may hold stops working with one request per application. Per application: back up →
// new key pair (private key in the sink first) → PUT of its current configuration with the new key → read back.
import type { z } from "zod";
import type { ApplicationRecord } from "../vonage/gateway.js";
import {
  backupPathFor,
  sinkNameFor,
  ID_MAP_FILE,
  applicationStepParams,
  prepareApplicationKey,
  replacementKeyPairs,
  safeFingerprint,
  selectApplications,
  opOf,
  short,
  str,
  writeIdMap,
  writeJson,
} from "./application-keys.js";
import { findSuspectWebhooks, suspectLine, type SuspectWebhook } from "./find-suspect-webhooks.js";
import {
  applicationKeyDeliveries,
  applyDelivery,
  describeDelivery,
  undoDelivery,
} from "./deliver-credentials.js";
import {
  applyRecordedDecisions,
  decisionLine,
  recordedDecisions,
  resolveWebhookDecisions,
  type RecordedWebhookDecision,
} from "./resolve-webhook-decisions.js";
import {
  ref,
  resolveRef,
  type Action,
  type ActionContext,
  type ApplyOutcome,
  type UndoPlan,
} from "./action.js";
import { type Change, type ChangeDraft, type JsonObject } from "../core/plan.js";

export const rekeyApplicationsParams = applicationStepParams;
export type RekeyApplicationsParams = z.infer<typeof rekeyApplicationsParams>;

type Op = "backup" | "rekey" | "deliver" | "verify" | "id-map";

const WHAT_BREAKS =
  "services that sign JWTs with the old private key (Voice, Messages, Video, Client SDK tokens) fail until they are given the new one from the sink; ids, numbers, external accounts and webhooks stay as they are";

/**
 * How long one listing of every application stands in for each rekey's own read of its application before the PUT:
 * the rekeys of one step run within seconds of each other, and one listing (a request per 100 applications) instead
 * of a read each keeps the requests before the last key change (the attacker window) near the PUTs alone.
 */
const LISTING_FRESH_MS = 10_000;
/** Per run (its outputs map): the latest listing, on the monotonic clock. */
const listings = new WeakMap<object, { at: number; apps: Promise<Map<string, ApplicationRecord>> }>();

/** Application `appId` as it is now: from a listing at most LISTING_FRESH_MS old, else read on its own. */
async function currentApplication(ctx: ActionContext, appId: string): Promise<ApplicationRecord | undefined> {
  let entry = listings.get(ctx.outputs);
  if (!entry || performance.now() - entry.at > LISTING_FRESH_MS) {
    const apps = ctx.gateway.listApplications().then((list) => new Map(list.map((a) => [a.id, a])));
    const fresh = { at: performance.now(), apps };
    // A failed listing is not kept: the next rekey lists again.
    apps.catch(() => {
      if (listings.get(ctx.outputs) === fresh) listings.delete(ctx.outputs);
    });
    listings.set(ctx.outputs, fresh);
    entry = fresh;
  }
  return (await entry.apps).get(appId) ?? (await ctx.gateway.getApplication(appId));
}

export const rekeyApplications: Action<RekeyApplicationsParams> = {
  id: "applications.rekey",
  title: "Replace application keys in place",
  why: "an attacker with the account may have an application's private key: a new public key, generated here, makes it useless at once",
  params: rekeyApplicationsParams,

  async plan(ctx, params) {
    const apps = await ctx.gateway.listApplications();
    const { selected, notes } = selectApplications(apps, params);
    if (selected.length === 0) {
      notes.push(apps.length === 0 ? "the account has no applications" : "no application selected");
      return { changes: [], notes };
    }
    // An id from the account becomes a file name when applied: a malformed one fails the plan, not the apply.
    for (const app of selected) backupPathFor(ctx.runDir, app.id);
    // A rekey keeps every webhook as it is unless webhooks.decisions says otherwise (never asked: the application
    // keeps working either way); an undecided suspect stays pending in webhooks.review.
    const scan = await findSuspectWebhooks(ctx, {
      allowedHosts: params.allowedHosts,
      compromisedSince: params.compromisedSince,
      applications: apps,
      applicationsOnly: true,
    });
    const ids = new Set(selected.map((app) => app.id));
    const suspects = scan.suspects.filter((s) => s.owner === "application" && ids.has(s.ownerId));
    notes.push(...scan.notes);
    const changes: ChangeDraft[] = [];
    const rekeys: string[] = [];
    for (const app of selected) {
      rekeys.push(`${ctx.step.id}:${app.id}/rekey`);
      changes.push(...(await applicationDrafts(ctx, app, suspects, params)));
    }
    // The proof that every old key is dead comes after the last PUT, in one listing, so that no read stands
    // between the first key change and the last; each PUT's own answer is checked at once.
    changes.push({
      id: "verify",
      kind: "verify",
      target: `every rekeyed application reads back with its new public key`,
      reversible: true,
      idempotent: true,
      params: { op: "verify", rekeys, count: rekeys.length },
      dependsOn: rekeys,
    });
    changes.push({
      id: "id-map",
      kind: "write-file",
      target: ID_MAP_FILE,
      reversible: true,
      idempotent: true,
      params: { op: "id-map", rekeys, count: rekeys.length },
      dependsOn: rekeys,
    });
    notes.push(
      `${selected.length} of ${apps.length} application(s) get a new key pair in place: ${WHAT_BREAKS}`,
    );
    return { changes, notes, ...(suspects.length > 0 ? { attention: suspects.map(suspectLine) } : {}) };
  },

  undo(change): UndoPlan | undefined {
    if (change.kind === "deliver") return undoDelivery(change);
    const p = (change.params ?? {}) as JsonObject;
    if (p.op !== "rekey") return undefined;
    return {
      kind: "irreversible",
      reason: `application ${str(p.appId)} "${str(p.name)}": its old private key was replaced in place and is gone (a compromised key is never set back); the application keeps its id, numbers and channels, with the new key from the run's sink`,
    };
  },

  describe(change) {
    const p = change.params;
    const id = short(str(p.appId));
    switch (opOf<Op>(change)) {
      case "backup":
        return `back up application ${id} "${str(p.name)}" to evidence/applications/`;
      case "rekey":
        return `application ${id} "${str(p.name)}": new key pair in place (the old private key stops working)`;
      case "deliver":
        return describeDelivery(change);
      case "verify":
        return `check that ${typeof p.count === "number" ? p.count : "every"} rekeyed application(s) read back with their new public key (one listing)`;
      case "id-map":
        return `write ${ID_MAP_FILE} (${typeof p.count === "number" ? p.count : "?"} application(s): id → new key path)`;
      default:
        return change.target;
    }
  },

  warmUp(changes) {
    // Every rekey still to apply takes a key pair: generating them while the evidence and secrets steps run keeps
    // key generation (~70 ms of CPU each) off the attacker window.
    replacementKeyPairs.announce(changes.filter((c) => opOf<Op>(c) === "rekey").length);
  },

  async prepare(ctx, change) {
    if (opOf<Op>(change) !== "rekey") return {};
    return prepareApplicationKey(ctx, str(change.params.appId));
  },

  async apply(ctx, change, prepared) {
    switch (opOf<Op>(change)) {
      case "backup":
        return applyBackup(ctx, change);
      case "rekey":
        return applyRekey(ctx, change, prepared);
      case "deliver":
        return applyDelivery(ctx, change);
      case "verify":
        return applyVerify(ctx, change);
      case "id-map":
        return applyIdMap(ctx, change);
      default:
        throw new Error(`applications.rekey: unknown change ${change.id}`);
    }
  },

  async reconcile(ctx, change, prepared) {
    if (opOf<Op>(change) !== "rekey") return undefined;
    const wanted = str(prepared.publicKeyFingerprint);
    if (!wanted) return undefined;
    const live = await ctx.gateway.getApplication(str(change.params.appId));
    if (live?.publicKey === undefined || safeFingerprint(live.publicKey) !== wanted) return undefined;
    return {
      status: "done",
      output: rekeyOutput(change, prepared, ctx.clock.now()),
      note: "the new key was already in place before the interruption",
    };
  },
};

/** One application's changes: its backup, its rekey (with any webhook decisions), its key's deliveries. */
async function applicationDrafts(
  ctx: ActionContext,
  app: ApplicationRecord,
  suspects: readonly SuspectWebhook[],
  params: RekeyApplicationsParams,
): Promise<ChangeDraft[]> {
  const common = { appId: app.id, name: app.name };
  const fingerprint = app.publicKey === undefined ? undefined : safeFingerprint(app.publicKey);
  const changes: ChangeDraft[] = [];
  changes.push({
    id: `${app.id}/backup`,
    kind: "write-file",
    target: `evidence/applications/${app.id}.json`,
    reversible: true,
    idempotent: true,
    params: {
      op: "backup",
      ...common,
      application: {
        id: app.id,
        ...(JSON.parse(JSON.stringify({ ...app.config, name: app.name })) as JsonObject),
        keys: app.publicKey === undefined ? {} : { public_key: app.publicKey },
      },
    },
  });
  const decided: RecordedWebhookDecision[] = suspects.some((s) => s.ownerId === app.id)
    ? (
        await resolveWebhookDecisions(ctx, app, {
          suspects,
          decisions: params.webhookDecisions ?? [],
          ask: false,
        })
      ).decisions
    : [];
  const rekeyId = `${ctx.step.id}:${app.id}/rekey`;
  changes.push({
    id: `${app.id}/rekey`,
    kind: "update",
    target: `public key of application ${app.id} "${app.name}"`,
    before: { publicKeyFingerprint: fingerprint ?? null },
    after: { publicKeyFingerprint: "(new key pair, generated locally)" },
    reversible: false,
    idempotent: false,
    params: { op: "rekey", ...common, ...(decided.length > 0 ? { webhookDecisions: decided } : {}) },
    dependsOn: [`${ctx.step.id}:${app.id}/backup`],
    killsCredential: `application key ${app.id}`,
    ...(decided.length > 0 ? { warnings: decided.map(decisionLine) } : {}),
  });
  // A rekey has no overlap (the old key dies with the PUT): delivery follows each key change at once.
  changes.push(...applicationKeyDeliveries(ctx, app, { sinkName: sinkNameFor(app.id), after: rekeyId }));
  return changes;
}

async function applyBackup(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const path = backupPathFor(ctx.runDir, str(change.params.appId));
  await writeJson(path, { application: change.params.application ?? null });
  return { status: "done", output: { path } };
}

async function applyRekey(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome> {
  const appId = str(change.params.appId);
  const publicKeyPem = str(prepared.publicKeyPem);
  const wanted = str(prepared.publicKeyFingerprint);
  if (!publicKeyPem || !wanted) throw new Error(`no public key was prepared for application ${appId}`);
  // A PUT replaces the whole application: it carries the configuration as it is now (a listing of a few seconds
  // ago), not as planned, so that nothing changed since the plan (a webhook, a capability, a webhook's password)
  // is reverted.
  const live = await currentApplication(ctx, appId);
  if (!live) throw new Error(`application ${appId} no longer exists: there is no key to replace`);
  const config = JSON.parse(JSON.stringify({ ...live.config, name: live.name })) as JsonObject;
  applyRecordedDecisions(config, recordedDecisions(change.params.webhookDecisions));
  const updated = await ctx.gateway.updateApplication(appId, { ...config, name: live.name }, publicKeyPem);
  // Vonage answers the PUT with the application as stored: a key other than ours fails at once. The read-back
  // of every application is the step's verify change, after the last PUT.
  const found = updated.publicKey === undefined ? undefined : safeFingerprint(updated.publicKey);
  if (found !== wanted) {
    throw new Error(
      `application ${appId} does not read back with the new public key (${found ?? "none"} instead of ${wanted}): the old private key may still work`,
    );
  }
  return { status: "done", output: rekeyOutput(change, prepared, ctx.clock.now()) };
}

/** The same entry shape as a recreate's create output, the id unchanged: the report reads both alike. */
function rekeyOutput(change: Change, prepared: JsonObject, placedAt: Date): JsonObject {
  const appId = str(change.params.appId);
  return {
    oldId: appId,
    newId: appId,
    name: str(change.params.name),
    keyPath: str(prepared.keyPath),
    publicKeyFingerprint: str(prepared.publicKeyFingerprint),
    // Where the gap "key replaced → delivered" starts (the report gives it per application).
    placedAt: placedAt.toISOString(),
    // webhooks.review reads a "keep" from here, as from a recreate's create.
    ...(Array.isArray(change.params.webhookDecisions)
      ? { webhookDecisions: change.params.webhookDecisions }
      : {}),
  };
}

async function applyVerify(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const rekeys = Array.isArray(change.params.rekeys) ? change.params.rekeys : [];
  const live = new Map((await ctx.gateway.listApplications()).map((a) => [a.id, a]));
  const wrong: string[] = [];
  for (const id of rekeys) {
    const o = (resolveRef(ctx.outputs, ref(str(id))) ?? {}) as JsonObject;
    const appId = str(o.newId);
    const key = live.get(appId)?.publicKey;
    const found = key === undefined ? undefined : safeFingerprint(key);
    if (found !== str(o.publicKeyFingerprint)) {
      wrong.push(
        `${appId} (${found ?? (live.has(appId) ? "no key" : "gone")} instead of ${str(o.publicKeyFingerprint)})`,
      );
    }
  }
  if (wrong.length > 0) {
    throw new Error(
      `${wrong.length} application(s) do not read back with the new public key, so the old private key may still work: ${wrong.join(", ")}; someone with the dashboard may have changed it back`,
    );
  }
  return { status: "done", output: { verified: rekeys.length } };
}

async function applyIdMap(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const ids = Array.isArray(change.params.rekeys) ? change.params.rekeys : [];
  return { status: "done", output: await writeIdMap(ctx, ids) };
}
