// applications.recreate: replaces every selected application with a copy carrying a locally generated key
// pair (the attacker may hold the old private key). Order per application: back up → create (private key in
// the sink first) → move its numbers and its external accounts → verify nothing is left → delete the old one;
// then the old → new id map.
import type { z } from "zod";
import { UsageError, VonageApiError } from "../core/errors.js";
import type {
  ApplicationConfig,
  ApplicationRecord,
  Availability,
  ExternalAccountRecord,
  NumberRecord,
} from "../vonage/gateway.js";
import { unreadableNumberFields } from "../vonage/unreadable-number-fields.js";
import {
  ref,
  resolveRef,
  type Action,
  type ActionContext,
  type ApplyOutcome,
  type UndoPlan,
} from "./action.js";
import { type Change, type ChangeDraft, type JsonObject, type JsonValue } from "../core/plan.js";
import { withWebhookCredentials } from "./with-webhook-credentials.js";
import { applyDelivery, deliveryDrafts, describeDelivery, undoDelivery } from "./deliver-credentials.js";
import { applyCheck, checkDrafts, describeCheck } from "./service-checks.js";
import { findSuspectWebhooks, suspectLine, type SuspectWebhook } from "./find-suspect-webhooks.js";
import {
  DECISIONS_KEY,
  decisionLine,
  resolveWebhookDecisions,
  type RecordedWebhookDecision,
} from "./resolve-webhook-decisions.js";
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import {
  applicationStepParams,
  backupPathFor,
  ID_MAP_FILE,
  prepareApplicationKey,
  replacementKeyPairs,
  safeFingerprint,
  selectApplications,
  opOf,
  short,
  str,
  writeIdMap,
  sinkNameFor,
  writeJson,
} from "./application-keys.js";

export { backupPathFor, ID_MAP_FILE, replacementKeyPairs, sinkNameFor } from "./application-keys.js";
export const recreateApplicationsParams = applicationStepParams;
export type RecreateApplicationsParams = z.infer<typeof recreateApplicationsParams>;

/** Number links run concurrently within one relink, bounded so one big application cannot starve the rest. */
const RELINK_CONCURRENCY = 4;
/** Concurrent number listings while planning (the gateway's scheduler paces them). */
const PLAN_CONCURRENCY = 8;
/** How long a verification made by this process stands in for the delete's own "no number left" read. */
const VERIFIED_FRESH_MS = 10_000;

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

type Op = "backup" | "create" | "deliver" | "check" | "relink" | "channels" | "verify" | "delete" | "id-map";

/** Before the replacement exists (its id is Vonage's to give), its key waits under the id it replaces. */
export function pendingSinkNameFor(oldAppId: string): string {
  return `pending-replacement-of-${oldAppId}.key`;
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

/** `rcs example_ltd_agent`: how an external account is named in plans and messages. */
function accountLabel(account: { provider: string; externalId: string }): string {
  return `${account.provider} ${account.externalId}`;
}

function accountSummary(account: ExternalAccountRecord): JsonObject {
  return { provider: account.provider, externalId: account.externalId, name: account.name };
}

/** The external accounts linked to `appId`; none when the account cannot read them (the API is not enabled). */
function accountsLinkedTo(
  listed: Availability<ExternalAccountRecord[]>,
  appId: string,
): ExternalAccountRecord[] {
  return listed.available ? listed.value.filter((a) => a.applicationIds.includes(appId)) : [];
}

/** Reads the external accounts; Messenger's access token is a credential, registered so no output shows it. */
async function readExternalAccounts(ctx: ActionContext): Promise<Availability<ExternalAccountRecord[]>> {
  const listed = await ctx.gateway.listExternalAccounts();
  if (listed.available)
    for (const account of listed.value)
      if (account.accessToken !== undefined) ctx.registerSecret(account.accessToken);
  return listed;
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
    const externalRead = readExternalAccounts(ctx);
    externalRead.catch(() => undefined);
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
    const selection = selectApplications(apps, params);
    const selected = selection.selected;
    notes.push(...selection.notes);
    if (selected.length === 0 && doneCreates.size === 0) {
      notes.push(apps.length === 0 ? "the account has no applications" : "no application selected");
      return { changes: [], notes };
    }
    // An id from the account becomes a file name when applied: a malformed one fails the plan, not the apply.
    for (const app of selected) backupPathFor(ctx.runDir, app.id);
    const [linked, external] = await Promise.all([
      linkedNumbers(ctx, selected, apps.length, allLinked),
      externalRead,
    ]);
    if (!external.available) {
      notes.push(
        `external accounts (WhatsApp, Messenger, Viber, RCS) could not be read (${external.reason}): none is moved`,
      );
    }
    const webhooks = await decideWebhooks(ctx, params, listed, selected);
    notes.push(...webhooks.notes);

    const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
    const changes: ChangeDraft[] = [];
    const createIds: string[] = [];
    // What the service checks wait for (every move verified, every key delivered); every delete waits for them.
    const ready: string[] = [];
    const checkIds = (ctx.delivery?.config?.checks ?? []).map((c) => full(`check/${c.name}`));
    let flagged = 0;
    selected.forEach((app, index) => {
      const numbers = linked[index] ?? [];
      const accounts = accountsLinkedTo(external, app.id);
      const decided = webhooks.byApp.get(app.id);
      const config = decided?.config ?? configOf(app);
      const insecure = webhookWarnings(config);
      if (insecure.length > 0) flagged++;
      const warnings = [...(decided?.decisions.map(decisionLine) ?? []), ...insecure];
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
          linkedExternalAccounts: accounts.map(accountSummary),
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
        params: {
          op: "create",
          ...common,
          config,
          ...(decided && decided.decisions.length > 0 ? { webhookDecisions: decided.decisions } : {}),
        },
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
      // Listed again when applied (an account linked since must move too); the planned ones are also linked
      // when found linked to nothing, which is where a resume finds one whose unlink was done but not its link.
      changes.push({
        id: `${base}/channels`,
        kind: "update",
        target: `external accounts linked to application ${app.id}`,
        before: { application: app.id, externalAccounts: accounts.map(accountLabel) },
        after: { application: "(known after apply)" },
        reversible: true,
        idempotent: true,
        params: {
          op: "channels",
          ...common,
          newId,
          accounts: accounts.map((a) => ({ provider: a.provider, externalId: a.externalId })),
        },
        dependsOn: [createId],
      });
      changes.push({
        id: `${base}/verify`,
        kind: "verify",
        target: `application ${app.id} has no numbers nor external accounts left and its replacement exists`,
        reversible: true,
        idempotent: true,
        params: { op: "verify", ...common, newId },
        dependsOn: [full(`${base}/relink`), full(`${base}/channels`)],
      });
      const delivered = newKeyDeliveries(ctx, app, createId);
      changes.push(...delivered);
      ready.push(full(`${base}/verify`), ...delivered.map((d) => full(d.id)));
      changes.push({
        id: `${base}/delete`,
        kind: "delete",
        target: `application ${app.id} "${app.name}"`,
        before: { id: app.id, name: app.name },
        after: null,
        reversible: false,
        idempotent: false,
        params: { op: "delete", ...common, newId },
        precondition: { numbersLinkedTo: app.id, externalAccountsLinkedTo: app.id, expected: 0 },
        // The service checks (if any) pass before any old application is deleted.
        dependsOn: [full(`${base}/verify`), ...checkIds],
        // The old application's key signs JWTs until the application is gone.
        killsCredential: `key of application ${app.id} "${app.name}"`,
      });
    });
    for (const id of doneCreates.keys()) if (!createIds.includes(id)) createIds.push(id);
    const checks = checkDrafts(ctx, { op: "check" }, ready);
    const firstDelete = changes.findIndex((c) => opOf<Op>(c) === "delete");
    changes.splice(firstDelete < 0 ? changes.length : firstDelete, 0, ...checks);
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
    const accountTotal = selected.reduce((sum, app) => sum + accountsLinkedTo(external, app.id).length, 0);
    notes.push(
      `${selected.length} of ${apps.length} application(s) to replace, ${numberTotal} linked number(s) and ${accountTotal} external account(s) to move`,
    );
    if (flagged > 0) {
      notes.push(`${flagged} application(s) have http:// or GET webhooks (flagged, carried over unchanged)`);
    }
    return { changes, notes, attention: webhooks.attention };
  },

  undo(change, output): UndoPlan | undefined {
    if (change.kind === "deliver") return undoDelivery(change);
    const p = (change.params ?? {}) as JsonObject;
    const name = `${str(p.oldId)} "${str(p.name)}"`;
    if (p.op === "delete") {
      return {
        kind: "irreversible",
        reason: `application ${name} was deleted with its compromised key: Vonage cannot restore a deleted application (its configuration is in evidence/applications/); its replacement stays, with the numbers and channels moved to it`,
      };
    }
    if (p.op === "create") {
      return {
        kind: "irreversible",
        reason: `the replacement application ${str(output.newId) || "(new id)"} of ${name} stays: the numbers and channels point at it now, and its key is in the run's sink`,
      };
    }
    return undefined;
  },

  describe(change) {
    const p = change.params;
    const old = short(str(p.oldId));
    const name = str(p.name);
    switch (opOf<Op>(change)) {
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
      case "channels": {
        const accounts = Array.isArray(p.accounts) ? p.accounts : [];
        const labels = accounts.map((a) =>
          typeof a === "object" && a !== null && !Array.isArray(a)
            ? accountLabel({ provider: str(a.provider), externalId: str(a.externalId) })
            : "?",
        );
        return `move ${accounts.length} external account(s)${labels.length > 0 ? ` (${labels.join(", ")})` : ""} from ${old} to the replacement`;
      }
      case "verify":
        return `verify no number nor external account points at ${old} and the replacement exists`;
      case "delete":
        return `delete application ${old} "${name}"`;
      case "deliver":
        return describeDelivery(change);
      case "check":
        return describeCheck(change);
      case "id-map":
        return `write ${ID_MAP_FILE} (${typeof p.count === "number" ? p.count : "?"} application(s): old → new id, key paths)`;
      default:
        return change.target;
    }
  },

  async checkPrecondition(ctx, change) {
    if (opOf<Op>(change) !== "delete") return undefined;
    const oldId = str(change.params.oldId);
    // The verify change this delete depends on read exactly this a moment ago, in this process: reading it again
    // would only double the requests. After a resume, or once stale, it is read again.
    const verifiedAt = verifiedIn(ctx).get(oldId);
    verifiedIn(ctx).delete(oldId);
    if (verifiedAt !== undefined && performance.now() - verifiedAt < VERIFIED_FRESH_MS) return undefined;
    const left = await stillLinked(ctx, oldId);
    return left === undefined ? undefined : `${left}: it is not deleted`;
  },

  async prepare(ctx, change) {
    if (opOf<Op>(change) === "backup") {
      // The create this backup precedes will take a key pair: start generating it now.
      replacementKeyPairs.announce();
      return {};
    }
    if (opOf<Op>(change) !== "create") return {};
    const oldId = str(change.params.oldId);
    return prepareApplicationKey(ctx, oldId, pendingSinkNameFor(oldId));
  },

  async apply(ctx, change, prepared) {
    switch (opOf<Op>(change)) {
      case "backup":
        return applyBackup(ctx, change);
      case "create":
        return applyCreate(ctx, change, prepared);
      case "relink":
        return applyRelink(ctx, change);
      case "channels":
        return applyChannels(ctx, change);
      case "verify":
        return applyVerify(ctx, change);
      case "delete":
        return applyDelete(ctx, change);
      case "deliver":
        return applyDelivery(ctx, change);
      case "check":
        return applyCheck(ctx, change);
      case "id-map":
        return applyIdMap(ctx, change);
      default:
        throw new Error(`applications.recreate: unknown change ${change.id}`);
    }
  },

  async reconcile(ctx, change, prepared) {
    const op = opOf<Op>(change);
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
        output: await createOutput(ctx, change, found.id, prepared),
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

/**
 * The suspect webhooks of the applications to replace and what their replacements get instead: decided by
 * `webhooks.decisions`, else asked (interactive). An unattended run with an undecided suspect stops here, before any
 * change, naming the application, the URL and the config key.
 */
async function decideWebhooks(
  ctx: ActionContext,
  params: RecreateApplicationsParams,
  listed: readonly ApplicationRecord[],
  selected: readonly ApplicationRecord[],
): Promise<{
  byApp: Map<string, { config: JsonObject; decisions: RecordedWebhookDecision[] }>;
  attention: string[];
  notes: string[];
}> {
  const scan = await findSuspectWebhooks(ctx, {
    allowedHosts: params.allowedHosts,
    compromisedSince: params.compromisedSince,
    applications: listed,
    applicationsOnly: true,
  });
  const ids = new Set(selected.map((app) => app.id));
  const suspects = scan.suspects.filter((s) => s.owner === "application" && ids.has(s.ownerId));
  const byApp = new Map<string, { config: JsonObject; decisions: RecordedWebhookDecision[] }>();
  const undecided: SuspectWebhook[] = [];
  for (const app of selected) {
    if (!suspects.some((s) => s.ownerId === app.id)) continue;
    const resolved = await resolveWebhookDecisions(ctx, app, {
      suspects,
      decisions: params.webhookDecisions ?? [],
      ask: true,
    });
    byApp.set(app.id, { config: resolved.config, decisions: resolved.decisions });
    undecided.push(...resolved.undecided);
  }
  if (undecided.length > 0) {
    const listed = undecided
      .map(
        (s) =>
          `  - application "${foreignText(s.ownerName)}" (${s.ownerId}): ${foreignText(redactText(s.url))} (${s.path})`,
      )
      .join("\n");
    throw new UsageError(
      `${undecided.length} suspect webhook(s) would be copied into replacement applications, and an unattended run does not decide for you:\n${listed}\nSet ${DECISIONS_KEY} in the config, one entry per URL or host: "<url or host> keep", "<url or host> clear" or "<url or host> replace <https url>".`,
      `nothing was changed; or run in a terminal to be asked, or set webhooks.allowedHosts if these hosts are yours`,
    );
  }
  return { byApp, attention: suspects.map(suspectLine), notes: scan.notes };
}

/** Once the replacement has an id, its private key takes that id's name in the sink (see sinkNameFor). */
async function createOutput(
  ctx: ActionContext,
  change: Change,
  newId: string,
  prepared: JsonObject,
): Promise<JsonObject> {
  const pending = str(prepared.sinkName) || pendingSinkNameFor(str(change.params.oldId));
  const { path } = await ctx.sink.rename(pending, sinkNameFor(newId));
  return {
    newId,
    oldId: str(change.params.oldId),
    name: str(change.params.name),
    keyPath: path,
    sinkName: sinkNameFor(newId),
    publicKeyFingerprint: str(prepared.publicKeyFingerprint),
    // Where the gap "key in place → delivered" starts.
    placedAt: ctx.clock.now().toISOString(),
    // webhooks.review reads an operator's "keep" from here (it cannot read this step's plan).
    ...(Array.isArray(change.params.webhookDecisions)
      ? { webhookDecisions: change.params.webhookDecisions }
      : {}),
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
  const accounts = accountKeys(change.params.linkedExternalAccounts).map((a) => ({ ...a }));
  return { status: "done", output: { path, externalAccounts: accounts } };
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
  return { status: "done", output: await createOutput(ctx, change, created.id, prepared) };
}

/**
 * What stops one application's delete (a number whose relink failed, an external account that could not be moved):
 * the change ends pending, so the verify and delete after it wait while the other applications go on, and the
 * message says what failed and the two ways on.
 */
function stopped(ctx: ActionContext, change: Change, newId: string, problems: string[]): ApplyOutcome {
  const oldId = str(change.params.oldId);
  const resume = ctx.resumeCommand ?? `vonage-ir run --resume ${ctx.runId}`;
  const reason = `application ${oldId} "${str(change.params.name)}" is kept, not deleted: ${problems.join("; ")}. Its replacement ${newId} exists and holds what moved so far. Either fix that (a number's SMS webhook must answer 200 OK to a GET) and resume: ${resume}; or keep this application and replace its key in place instead: in a new run, set applications.strategy: rekey (or leave it out with applications.exclude: ["${oldId}"])`;
  ctx.emit({ kind: "warning", message: reason });
  return { status: "pending", reason };
}

/** A Vonage refusal stops this application only; anything else (a bug, an abort) stops the run as usual. */
function vonageRefusal(error: unknown): error is VonageApiError {
  return error instanceof VonageApiError;
}

async function applyRelink(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const newId = resolvedNewId(ctx, change);
  // Listed again here, not taken from the plan: a number linked since must move too.
  const numbers = await ctx.gateway.listNumbers({ applicationId: oldId });
  // No progress of its own: relinks of several applications run at once; the engine reports the step's.
  let moved = 0;
  const problems: string[] = [];
  // One number refused does not keep the others on the old application: each is tried.
  await mapBounded(numbers, RELINK_CONCURRENCY, async (number) => {
    try {
      await ctx.gateway.linkNumber(number, newId);
      moved++;
    } catch (error) {
      if (!vonageRefusal(error)) throw error;
      const url = typeof number.raw.moHttpUrl === "string" ? number.raw.moHttpUrl : undefined;
      const named = error.message.includes(number.msisdn) ? "" : `number ${number.msisdn}: `;
      const webhook = url === undefined || error.message.includes(url) ? "" : ` (SMS webhook ${url})`;
      problems.push(`${named}${error.message}${webhook}`);
    }
  });
  if (problems.length > 0) return stopped(ctx, change, newId, problems);
  return { status: "done", output: { moved, newId } };
}

function accountKeys(value: JsonValue | undefined): { provider: string; externalId: string }[] {
  const accounts = Array.isArray(value) ? value : [];
  return accounts.flatMap((a) =>
    typeof a === "object" && a !== null && !Array.isArray(a)
      ? [{ provider: str(a.provider), externalId: str(a.externalId) }]
      : [],
  );
}

/**
 * Moves every external account linked to the old application (one application per account: unlink, then link),
 * idempotently: linked to the replacement → nothing to do; to the old one → unlink, link; a planned one linked
 * to nothing (its unlink done, its link not) → link.
 */
async function applyChannels(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const newId = resolvedNewId(ctx, change);
  // What this change's plan saw, and what the backup saw before the create: a resume re-plans against live state,
  // where an account whose unlink was done but not its link is linked to nothing and would be missed.
  const planned = [
    ...accountKeys(change.params.accounts),
    ...accountKeys(ctx.outputs.get(full(change, "backup"))?.externalAccounts),
  ];
  const listed = await readExternalAccounts(ctx);
  if (!listed.available) {
    if (planned.length === 0) return { status: "done", output: { movedAccounts: 0 } };
    return stopped(ctx, change, newId, [`the external accounts could not be read: ${listed.reason}`]);
  }
  const wasPlanned = (a: ExternalAccountRecord) =>
    planned.some((p) => p.provider === a.provider && p.externalId === a.externalId);
  let movedAccounts = 0;
  const problems: string[] = [];
  const notes: string[] = [];
  for (const account of listed.value) {
    const ids = account.applicationIds;
    if (ids.includes(newId)) continue;
    const linkedToOld = ids.includes(oldId);
    if (!linkedToOld && !(ids.length === 0 && wasPlanned(account))) {
      if (wasPlanned(account))
        notes.push(`${accountLabel(account)} is linked to ${ids.join(", ")} now: left alone`);
      continue;
    }
    try {
      if (linkedToOld) await ctx.gateway.unlinkExternalAccount(account, oldId);
      await ctx.gateway.linkExternalAccount(account, newId);
      movedAccounts++;
    } catch (error) {
      if (!vonageRefusal(error)) throw error;
      problems.push(`external account ${accountLabel(account)} ("${account.name}"): ${error.message}`);
    }
  }
  if (problems.length > 0) return stopped(ctx, change, newId, problems);
  return {
    status: "done",
    output: { movedAccounts },
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/** What still points at `oldId` (numbers, external accounts), as one line; undefined when nothing does. */
async function stillLinked(ctx: ActionContext, oldId: string): Promise<string | undefined> {
  const [numbers, listed] = await Promise.all([
    ctx.gateway.listNumbers({ applicationId: oldId }),
    readExternalAccounts(ctx),
  ]);
  const accounts = accountsLinkedTo(listed, oldId);
  const parts: string[] = [];
  if (numbers.length > 0) {
    parts.push(
      `${numbers.length} number(s) still point at application ${oldId} (${numbers
        .slice(0, 5)
        .map((n) => n.msisdn)
        .join(", ")}${numbers.length > 5 ? ", ..." : ""})`,
    );
  }
  if (accounts.length > 0) {
    parts.push(
      `${accounts.length} external account(s) are still linked to application ${oldId} (${accounts.map(accountLabel).join(", ")})`,
    );
  }
  return parts.length === 0 ? undefined : parts.join("; ");
}

async function applyVerify(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const newId = resolvedNewId(ctx, change);
  // Vonage refuses to link a number to an application that does not exist (420), so a relink that moved a
  // number already proved the replacement exists; only an application without numbers needs the read.
  const relink = ctx.outputs.get(full(change, "relink"));
  const provenByLinks = typeof relink?.moved === "number" && relink.moved > 0 && relink.newId === newId;
  const [left, replacement] = await Promise.all([
    stillLinked(ctx, oldId),
    provenByLinks ? Promise.resolve(true) : ctx.gateway.getApplication(newId),
  ]);
  if (left !== undefined)
    throw new Error(`${left}: linked again after the move? The old application is kept`);
  if (!replacement) throw new Error(`the replacement application ${newId} does not exist`);
  verifiedIn(ctx).set(oldId, performance.now());
  // Not `oldId`/`newId`: the report reads any output carrying both as an id-map entry.
  return { status: "done", output: { replacementExists: true, numbersLeft: 0, externalAccountsLeft: 0 } };
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
  const ids = Array.isArray(change.params.creates) ? change.params.creates : [];
  return { status: "done", output: await writeIdMap(ctx, ids) };
}

/** The deliveries of a replacement's private key (and, in the metadata, its new id) once it is created. */
function newKeyDeliveries(ctx: ActionContext, app: ApplicationRecord, createId: string): ChangeDraft[] {
  return deliveryDrafts(
    ctx,
    {
      item: "application-key",
      apiKey: ctx.gateway.apiKey,
      primary: false,
      application: { id: app.id, name: app.name },
      sinkName: ref(createId, "sinkName"),
      applicationIdRef: ref(createId, "newId"),
      after: createId,
      fingerprintField: "publicKeyFingerprint",
    },
    { op: "deliver" },
  );
}
