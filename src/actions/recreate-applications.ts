// applications.recreate: replaces every selected application with a copy carrying a locally generated key
// pair (the attacker may hold the old private key). Order per application: back up → create (private key in
// the sink first) → move its numbers → verify none is left → delete the old one; then the old → new id map.
import { mkdir } from "node:fs/promises";
import { writePrivateFile } from "../security/private-file.js";
import { dirname, join } from "node:path";
import { z } from "zod";
import { confinedPath } from "../engine/confined-path.js";
import { VonageApiError } from "../engine/errors.js";
import { KeyPairPool, publicKeyFingerprint, publicKeyOf } from "../security/index.js";
import type { ApplicationConfig, ApplicationRecord, NumberRecord } from "../vonage/gateway.js";
import { unreadableNumberFields } from "../vonage/unreadable-number-fields.js";
import {
  ref,
  resolveRef,
  type Action,
  type ActionContext,
  type ApplyOutcome,
  type Change,
  type ChangeDraft,
  type JsonObject,
  type JsonValue,
} from "./action.js";
import { withWebhookCredentials } from "./with-webhook-credentials.js";

export const recreateApplicationsParams = z.strictObject({
  /** Application ids or names to replace (default: all). */
  include: z.array(z.string().min(1)).optional(),
  /** Application ids or names to leave alone. */
  exclude: z.array(z.string().min(1)).optional(),
});
export type RecreateApplicationsParams = z.infer<typeof recreateApplicationsParams>;

/** Number links run concurrently within one relink, bounded so one big application cannot starve the rest. */
const RELINK_CONCURRENCY = 4;
/** Concurrent number listings while planning (the gateway's scheduler paces them). */
const PLAN_CONCURRENCY = 8;
export const ID_MAP_FILE = "application-id-map.json";
/** How long a verification made by this process stands in for the delete's own "no number left" read. */
const VERIFIED_FRESH_MS = 10_000;

/**
 * Key pairs generated ahead, so RSA generation overlaps the API calls. Each backup's prepare announces one: prepare
 * runs only when changes are applied, so a dry run or `plan` generates no key it would never use.
 */
export const replacementKeyPairs = new KeyPairPool();
/**
 * Per run (its outputs map): old application id → when this process last saw no number pointing at it, on the
 * monotonic clock (a wall clock stepped back would keep a stale verification "fresh" indefinitely).
 */
const verifiedEmpty = new WeakMap<object, Map<string, number>>();

function verifiedIn(ctx: ActionContext): Map<string, number> {
  let map = verifiedEmpty.get(ctx.outputs);
  if (!map) {
    map = new Map();
    verifiedEmpty.set(ctx.outputs, map);
  }
  return map;
}

type Op = "backup" | "create" | "relink" | "verify" | "delete" | "id-map";

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function opOf(change: ChangeDraft): Op | undefined {
  const op = change.params.op;
  return typeof op === "string" ? (op as Op) : undefined;
}

export function sinkNameFor(appId: string): string {
  return `app-${appId}.key`;
}

/** Refuses (exit 4) an id that would place the backup outside the run directory (`../..`, `a/b`). */
export function backupPathFor(runDir: string, appId: string): string {
  return confinedPath(runDir, "evidence", "applications", `${appId}.json`);
}

/** The configuration a replacement gets: everything Vonage returned but id and keys, as JSON. */
function configOf(app: ApplicationRecord): JsonObject {
  return JSON.parse(JSON.stringify({ ...app.config, name: app.name })) as JsonObject;
}

/** Webhooks Vonage advises against (plain http, GET): flagged in the plan and report, never changed. */
export function webhookWarnings(config: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    const record = value as Record<string, unknown>;
    if (typeof record.address === "string") {
      if (/^http:\/\//i.test(record.address)) {
        warnings.push(`${path} uses plain http (${record.address}): Vonage advises HTTPS`);
      }
      if (typeof record.http_method === "string" && record.http_method.toUpperCase() === "GET") {
        warnings.push(`${path} uses GET: Vonage advises POST`);
      }
    }
    for (const [key, child] of Object.entries(record)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(config.capabilities, "capabilities");
  return warnings;
}

function matches(app: ApplicationRecord, selectors: readonly string[]): boolean {
  return selectors.includes(app.id) || selectors.includes(app.name);
}

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function numberSummary(n: NumberRecord): JsonObject {
  return { country: n.country, msisdn: n.msisdn };
}

/**
 * What a relink of `numbers` may lose: `/number/update` clears what it omits, and the fields /account/numbers
 * never shows cannot be sent again. Per field: how many numbers, and a warning naming them.
 */
function mayBeCleared(numbers: readonly NumberRecord[]): { counts: JsonObject; warnings: string[] } {
  const byField = new Map<string, string[]>();
  for (const number of numbers) {
    for (const field of unreadableNumberFields(number)) {
      byField.set(field, [...(byField.get(field) ?? []), number.msisdn]);
    }
  }
  const counts: JsonObject = {};
  const warnings: string[] = [];
  for (const [field, msisdns] of byField) {
    counts[field] = msisdns.length;
    const listed =
      msisdns.slice(0, 5).join(", ") + (msisdns.length > 5 ? `, and ${msisdns.length - 5} more` : "");
    warnings.push(
      `${field} may be cleared by Vonage on ${msisdns.length} number(s) (${listed}): it cannot be read back, so the relink cannot send it again; check it after the run`,
    );
  }
  return { counts, warnings };
}

export const recreateApplications: Action<RecreateApplicationsParams> = {
  id: "applications.recreate",
  title: "Replace applications with new key pairs",
  why: "an attacker with the account may have an application's private key: a replacement with a key generated here locks them out",
  params: recreateApplicationsParams,

  async plan(ctx, params) {
    // Without an `include` list every application is replaced (bar a few excludes), and the numbers linked to
    // them are read in one listing: start it with the applications listing instead of after it.
    const allLinked =
      params.include === undefined ? ctx.gateway.listNumbers({ hasApplication: true }) : undefined;
    allLinked?.catch(() => undefined);
    const listed = await ctx.gateway.listApplications();
    const notes: string[] = [];
    // On a resume, replacements this step already created are listed too: they are not replaced again, and
    // creates done for applications since deleted still belong in the id map.
    const doneCreates = new Map<string, string>();
    const prefix = `${ctx.step.id}:`;
    for (const [id, output] of ctx.outputs) {
      if (id.startsWith(prefix) && id.endsWith("/create") && typeof output.newId === "string") {
        doneCreates.set(id, output.newId);
      }
    }
    const ours = new Set(doneCreates.values());
    const apps = listed.filter((app) => !ours.has(app.id));
    if (apps.length < listed.length) {
      notes.push(
        `${listed.length - apps.length} replacement(s) created earlier in this run are kept as they are`,
      );
    }
    const include = params.include;
    const exclude = params.exclude ?? [];
    for (const selector of [...(include ?? []), ...exclude]) {
      if (!apps.some((app) => app.id === selector || app.name === selector)) {
        notes.push(`no application has the id or name "${selector}"`);
      }
    }
    const selected = apps.filter(
      (app) => (include === undefined || matches(app, include)) && !matches(app, exclude),
    );
    if (selected.length === 0 && doneCreates.size === 0) {
      notes.push(apps.length === 0 ? "the account has no applications" : "no application selected");
      return { changes: [], notes };
    }
    // An id from the account becomes a file name when applied: a malformed one fails the plan, not the apply.
    for (const app of selected) backupPathFor(ctx.runDir, app.id);
    const linked = await linkedNumbers(ctx, selected, apps.length, allLinked);

    const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
    const changes: ChangeDraft[] = [];
    const createIds: string[] = [];
    let flagged = 0;
    selected.forEach((app, index) => {
      const numbers = linked[index] ?? [];
      const config = configOf(app);
      const warnings = webhookWarnings(app.config);
      if (warnings.length > 0) flagged++;
      const base = `${app.id}`;
      const createId = full(`${base}/create`);
      createIds.push(createId);
      const newId = ref(createId, "newId");
      const common = { oldId: app.id, name: app.name };
      changes.push({
        id: `${base}/backup`,
        kind: "write-file",
        target: `evidence/applications/${app.id}.json`,
        reversible: true,
        idempotent: true,
        params: {
          op: "backup",
          ...common,
          application: {
            id: app.id,
            ...config,
            keys: app.publicKey === undefined ? {} : { public_key: app.publicKey },
          },
          linkedNumbers: numbers.map(numberSummary),
        },
      });
      changes.push({
        id: `${base}/create`,
        kind: "create",
        target: `application "${app.name}" (replacing ${app.id})`,
        before: null,
        after: { ...config, id: "(known after apply)", keys: "(new key pair, generated locally)" },
        reversible: true,
        idempotent: false,
        params: { op: "create", ...common, config },
        dependsOn: [full(`${base}/backup`)],
        ...(warnings.length > 0 ? { warnings } : {}),
      });
      const cleared = mayBeCleared(numbers);
      changes.push({
        id: `${base}/relink`,
        kind: "update",
        target: `numbers linked to application ${app.id}`,
        before: { application: app.id, numbers: numbers.map((n) => n.msisdn) },
        after: { application: "(known after apply)" },
        reversible: true,
        idempotent: true,
        params: {
          op: "relink",
          ...common,
          newId,
          plannedNumbers: numbers.length,
          ...(cleared.warnings.length > 0 ? { mayBeCleared: cleared.counts } : {}),
        },
        dependsOn: [createId],
        ...(cleared.warnings.length > 0 ? { warnings: cleared.warnings } : {}),
      });
      changes.push({
        id: `${base}/verify`,
        kind: "verify",
        target: `application ${app.id} has no numbers left and its replacement exists`,
        reversible: true,
        idempotent: true,
        params: { op: "verify", ...common, newId },
        dependsOn: [full(`${base}/relink`)],
      });
      changes.push({
        id: `${base}/delete`,
        kind: "delete",
        target: `application ${app.id} "${app.name}"`,
        before: { id: app.id, name: app.name },
        after: null,
        reversible: false,
        idempotent: false,
        params: { op: "delete", ...common, newId },
        precondition: { numbersLinkedTo: app.id, expected: 0 },
        dependsOn: [full(`${base}/verify`)],
      });
    });
    for (const id of doneCreates.keys()) if (!createIds.includes(id)) createIds.push(id);
    changes.push({
      id: "id-map",
      kind: "write-file",
      target: ID_MAP_FILE,
      reversible: true,
      idempotent: true,
      params: {
        op: "id-map",
        creates: createIds,
        count: createIds.length,
      },
      dependsOn: createIds,
    });
    const numberTotal = linked.reduce((sum, list) => sum + list.length, 0);
    notes.push(
      `${selected.length} of ${apps.length} application(s) to replace, ${numberTotal} linked number(s) to move`,
    );
    if (flagged > 0) {
      notes.push(`${flagged} application(s) have http:// or GET webhooks (flagged, carried over unchanged)`);
    }
    return { changes, notes };
  },

  describe(change) {
    const p = change.params;
    const old = short(str(p.oldId));
    const name = str(p.name);
    switch (opOf(change)) {
      case "backup":
        return `back up application ${old} "${name}" to evidence/applications/`;
      case "create":
        return `application "${name}" (replaces ${old}, new keys)`;
      case "relink": {
        const cleared = Object.entries(
          typeof p.mayBeCleared === "object" && p.mayBeCleared !== null && !Array.isArray(p.mayBeCleared)
            ? p.mayBeCleared
            : {},
        ).map(([field, count]) => `${field} of ${String(count)}`);
        return `move ${typeof p.plannedNumbers === "number" ? p.plannedNumbers : "the"} number(s) from ${old} to the replacement${cleared.length > 0 ? ` (may be cleared by Vonage: ${cleared.join(", ")})` : ""}`;
      }
      case "verify":
        return `verify no number points at ${old} and the replacement exists`;
      case "delete":
        return `delete application ${old} "${name}"`;
      case "id-map":
        return `write ${ID_MAP_FILE} (${typeof p.count === "number" ? p.count : "?"} application(s): old → new id, key paths)`;
      default:
        return change.target;
    }
  },

  async checkPrecondition(ctx, change) {
    if (opOf(change) !== "delete") return undefined;
    const oldId = str(change.params.oldId);
    // The verify change this delete depends on read exactly this a moment ago, in this process: reading it again
    // would only double the requests. After a resume, or once stale, it is read again.
    const verifiedAt = verifiedIn(ctx).get(oldId);
    verifiedIn(ctx).delete(oldId);
    if (verifiedAt !== undefined && performance.now() - verifiedAt < VERIFIED_FRESH_MS) return undefined;
    const still = await ctx.gateway.listNumbers({ applicationId: oldId });
    if (still.length > 0) {
      return `${still.length} number(s) still point at application ${oldId} (${still
        .slice(0, 5)
        .map((n) => n.msisdn)
        .join(", ")}${still.length > 5 ? ", ..." : ""}): it is not deleted`;
    }
    return undefined;
  },

  async prepare(ctx, change) {
    if (opOf(change) === "backup") {
      // The create this backup precedes will take a key pair: start generating it now.
      replacementKeyPairs.announce();
      return {};
    }
    if (opOf(change) !== "create") return {};
    const oldId = str(change.params.oldId);
    const sinkName = sinkNameFor(oldId);
    // A prepare whose intent never reached the journal left its key in the sink: reuse it (nothing was
    // created with it, since apply only runs after the intent), rather than fight the sink's no-overwrite rule.
    let publicKeyPem: string;
    let keyPath: string;
    if (await ctx.sink.exists(sinkName)) {
      const privateKeyPem = await ctx.sink.read(sinkName);
      publicKeyPem = publicKeyOf(privateKeyPem);
      keyPath = join(ctx.sink.dir, sinkName);
    } else {
      const pair = await replacementKeyPairs.take();
      ctx.registerSecret(pair.privateKeyPem);
      keyPath = (await ctx.sink.write(sinkName, pair.privateKeyPem)).path;
      publicKeyPem = pair.publicKeyPem;
    }
    return { sinkName, keyPath, publicKeyPem, publicKeyFingerprint: publicKeyFingerprint(publicKeyPem) };
  },

  async apply(ctx, change, prepared) {
    switch (opOf(change)) {
      case "backup":
        return applyBackup(ctx, change);
      case "create":
        return applyCreate(ctx, change, prepared);
      case "relink":
        return applyRelink(ctx, change);
      case "verify":
        return applyVerify(ctx, change);
      case "delete":
        return applyDelete(ctx, change);
      case "id-map":
        return applyIdMap(ctx, change);
      default:
        throw new Error(`applications.recreate: unknown change ${change.id}`);
    }
  },

  async reconcile(ctx, change, prepared) {
    const op = opOf(change);
    if (op === "create") {
      const wanted = str(prepared.publicKeyFingerprint);
      if (!wanted) return undefined;
      const apps = await ctx.gateway.listApplications();
      const found = apps.find(
        (app) => app.publicKey !== undefined && safeFingerprint(app.publicKey) === wanted,
      );
      if (!found) return undefined;
      return {
        status: "done",
        output: createOutput(change, found.id, prepared),
        note: `found the replacement created before the interruption: ${found.id}`,
      };
    }
    if (op === "delete") {
      const oldId = str(change.params.oldId);
      const app = await ctx.gateway.getApplication(oldId);
      return app === undefined ? { status: "done", output: { deletedId: oldId } } : undefined;
    }
    // Everything else is idempotent: the engine applies it again.
    return undefined;
  },
};

function safeFingerprint(pem: string): string | undefined {
  try {
    return publicKeyFingerprint(pem);
  } catch {
    return undefined;
  }
}

function createOutput(change: Change, newId: string, prepared: JsonObject): JsonObject {
  return {
    newId,
    oldId: str(change.params.oldId),
    name: str(change.params.name),
    keyPath: str(prepared.keyPath),
    publicKeyFingerprint: str(prepared.publicKeyFingerprint),
  };
}

/** The full id of another change of the same application, e.g. the relink a verify follows. */
function full(change: Change, op: Op): string {
  return change.id.replace(/\/[^/]+$/, `/${op}`);
}

/**
 * The numbers linked to each selected application: from one listing of every linked number (ceil(linked / 100)
 * requests) when that listing is already under way (`allLinked`) or most applications are selected, else one
 * listing per application (at least one request each).
 */
async function linkedNumbers(
  ctx: ActionContext,
  selected: readonly ApplicationRecord[],
  total: number,
  allLinked: Promise<NumberRecord[]> | undefined,
): Promise<NumberRecord[][]> {
  if (allLinked || (selected.length > 1 && selected.length * 2 >= total)) {
    const byApp = new Map<string, NumberRecord[]>();
    for (const number of await (allLinked ?? ctx.gateway.listNumbers({ hasApplication: true }))) {
      if (number.appId === undefined) continue;
      const list = byApp.get(number.appId) ?? [];
      list.push(number);
      byApp.set(number.appId, list);
    }
    return selected.map((app) => byApp.get(app.id) ?? []);
  }
  return mapBounded(selected, PLAN_CONCURRENCY, (app) => ctx.gateway.listNumbers({ applicationId: app.id }));
}

function resolvedNewId(ctx: ActionContext, change: Change): string {
  const value = resolveRef(ctx.outputs, change.params.newId ?? null);
  if (typeof value !== "string" || value === "") {
    throw new Error(`the replacement of application ${str(change.params.oldId)} is not known`);
  }
  return value;
}

async function applyBackup(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const path = backupPathFor(ctx.runDir, oldId);
  await writeJson(path, {
    application: change.params.application ?? null,
    linkedNumbers: change.params.linkedNumbers ?? [],
  });
  return { status: "done", output: { path } };
}

async function applyCreate(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome> {
  const publicKeyPem = str(prepared.publicKeyPem);
  if (!publicKeyPem) throw new Error("no public key was prepared for the replacement application");
  const config = await withWebhookCredentials(
    ctx,
    str(change.params.oldId),
    change.params.config as ApplicationConfig,
  );
  const created = await ctx.gateway.createApplication(config, publicKeyPem);
  if (
    created.publicKey !== undefined &&
    safeFingerprint(created.publicKey) !== prepared.publicKeyFingerprint
  ) {
    throw new Error(`Vonage created application ${created.id} with a public key other than ours`);
  }
  return { status: "done", output: createOutput(change, created.id, prepared) };
}

async function applyRelink(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const newId = resolvedNewId(ctx, change);
  // Listed again here, not taken from the plan: a number linked since must move too.
  const numbers = await ctx.gateway.listNumbers({ applicationId: oldId });
  // No progress of its own: relinks of several applications run at once; the engine reports the step's.
  let moved = 0;
  await mapBounded(numbers, RELINK_CONCURRENCY, async (number) => {
    await ctx.gateway.linkNumber(number, newId);
    moved++;
  });
  return { status: "done", output: { moved, newId } };
}

async function applyVerify(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const newId = resolvedNewId(ctx, change);
  // Vonage refuses to link a number to an application that does not exist (420), so a relink that moved a
  // number already proved the replacement exists; only an application without numbers needs the read.
  const relink = ctx.outputs.get(full(change, "relink"));
  const provenByLinks = typeof relink?.moved === "number" && relink.moved > 0 && relink.newId === newId;
  const [still, replacement] = await Promise.all([
    ctx.gateway.listNumbers({ applicationId: oldId }),
    provenByLinks ? Promise.resolve(true) : ctx.gateway.getApplication(newId),
  ]);
  if (still.length > 0) {
    throw new Error(
      `${still.length} number(s) still point at application ${oldId} (${still
        .slice(0, 5)
        .map((n) => n.msisdn)
        .join(", ")}): linked again after the move? The old application is kept`,
    );
  }
  if (!replacement) throw new Error(`the replacement application ${newId} does not exist`);
  verifiedIn(ctx).set(oldId, performance.now());
  // Not `oldId`/`newId`: the report reads any output carrying both as an id-map entry.
  return { status: "done", output: { replacementExists: true, numbersLeft: 0 } };
}

async function applyDelete(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  try {
    await ctx.gateway.deleteApplication(oldId);
  } catch (error) {
    if (error instanceof VonageApiError && error.kind === "not-found") {
      return { status: "done", output: { deletedId: oldId }, note: "it was already gone" };
    }
    throw error;
  }
  return { status: "done", output: { deletedId: oldId } };
}

async function applyIdMap(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const creates = Array.isArray(change.params.creates) ? change.params.creates : [];
  const entries = creates.map((id) => {
    const output = resolveRef(ctx.outputs, ref(str(id)));
    const o = (output ?? {}) as JsonObject;
    return {
      oldId: str(o.oldId),
      newId: str(o.newId),
      name: str(o.name),
      keyPath: str(o.keyPath),
      publicKeyFingerprint: str(o.publicKeyFingerprint),
    };
  });
  const path = join(ctx.runDir, ID_MAP_FILE);
  await writeJson(path, entries);
  return { status: "done", output: { path, count: entries.length } };
}
