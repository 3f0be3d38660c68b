// The plan of `applications.recreate`, reads only: which applications, what links to each (numbers,
// external accounts), what their suspect webhooks become, then per application the changes in order:
// back up → create → move → verify → (deliver, service checks) → delete; the id map last.
import { UsageError } from "../core/errors.js";
import type {
  ApplicationRecord,
  Availability,
  ExternalAccountRecord,
  NumberRecord,
} from "../vonage/gateway.js";
import { unreadableNumberFields } from "../vonage/unreadable-number-fields.js";
import { ref, type ActionContext, type PlanResult } from "./action.js";
import type { ChangeDraft, JsonObject } from "../core/plan.js";
import { applicationKeyDeliveries } from "./deliver-credentials.js";
import { checkDrafts } from "./service-checks.js";
import { findSuspectWebhooks, suspectLine, type SuspectWebhook } from "./find-suspect-webhooks.js";
import {
  DECISIONS_KEY,
  decisionLine,
  resolveWebhookDecisions,
  type RecordedWebhookDecision,
} from "./resolve-webhook-decisions.js";
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import { backupPathFor, ID_MAP_FILE, opOf, selectApplications } from "./application-keys.js";
import {
  accountLabel,
  accountsLinkedTo,
  mapBounded,
  readExternalAccounts,
  type Op,
  type RecreateApplicationsParams,
} from "./recreate-changes.js";

/** Concurrent number listings while planning (the gateway's scheduler paces them). */
const PLAN_CONCURRENCY = 8;

/** A replacement's configuration and the webhook decisions that made it (when it had suspect webhooks). */
interface DecidedApp {
  config: JsonObject;
  decisions: RecordedWebhookDecision[];
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

function accountSummary(account: ExternalAccountRecord): JsonObject {
  return { provider: account.provider, externalId: account.externalId, name: account.name };
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

/** `{ oldId, name }`: the params every change of one application carries. */
function commonOf(app: ApplicationRecord): { oldId: string; name: string } {
  return { oldId: app.id, name: app.name };
}

/** The backup of the application as it is, with what links to it, written before anything changes. */
function backupDraft(
  app: ApplicationRecord,
  config: JsonObject,
  numbers: readonly NumberRecord[],
  accounts: readonly ExternalAccountRecord[],
): ChangeDraft {
  return {
    id: `${app.id}/backup`,
    kind: "write-file",
    target: `evidence/applications/${app.id}.json`,
    reversible: true,
    idempotent: true,
    params: {
      op: "backup",
      ...commonOf(app),
      application: {
        id: app.id,
        ...config,
        keys: app.publicKey === undefined ? {} : { public_key: app.publicKey },
      },
      linkedNumbers: numbers.map(numberSummary),
      linkedExternalAccounts: accounts.map(accountSummary),
    },
  };
}

function createDraft(
  ctx: ActionContext,
  app: ApplicationRecord,
  config: JsonObject,
  decided: DecidedApp | undefined,
  warnings: string[],
): ChangeDraft {
  return {
    id: `${app.id}/create`,
    kind: "create",
    target: `application "${app.name}" (replacing ${app.id})`,
    before: null,
    after: { ...config, id: "(known after apply)", keys: "(new key pair, generated locally)" },
    reversible: true,
    idempotent: false,
    params: {
      op: "create",
      ...commonOf(app),
      config,
      ...(decided && decided.decisions.length > 0 ? { webhookDecisions: decided.decisions } : {}),
    },
    dependsOn: [`${ctx.step.id}:${app.id}/backup`],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** The moves to the replacement (its numbers, its external accounts), then the proof nothing is left. */
function moveDrafts(
  ctx: ActionContext,
  app: ApplicationRecord,
  numbers: readonly NumberRecord[],
  accounts: readonly ExternalAccountRecord[],
): ChangeDraft[] {
  const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
  const createId = full(`${app.id}/create`);
  const newId = ref(createId, "newId");
  const common = commonOf(app);
  const cleared = mayBeCleared(numbers);
  return [
    {
      id: `${app.id}/relink`,
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
    },
    // Listed again when applied (an account linked since must move too); the planned ones are also linked
    // when found linked to nothing, which is where a resume finds one whose unlink was done but not its link.
    {
      id: `${app.id}/channels`,
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
    },
    {
      id: `${app.id}/verify`,
      kind: "verify",
      target: `application ${app.id} has no numbers nor external accounts left and its replacement exists`,
      reversible: true,
      idempotent: true,
      params: { op: "verify", ...common, newId },
      dependsOn: [full(`${app.id}/relink`), full(`${app.id}/channels`)],
    },
  ];
}

function deleteDraft(ctx: ActionContext, app: ApplicationRecord, checkIds: string[]): ChangeDraft {
  const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
  return {
    id: `${app.id}/delete`,
    kind: "delete",
    target: `application ${app.id} "${app.name}"`,
    before: { id: app.id, name: app.name },
    after: null,
    reversible: false,
    idempotent: false,
    params: { op: "delete", ...commonOf(app), newId: ref(full(`${app.id}/create`), "newId") },
    precondition: { numbersLinkedTo: app.id, externalAccountsLinkedTo: app.id, expected: 0 },
    // The service checks (if any) pass before any old application is deleted.
    dependsOn: [full(`${app.id}/verify`), ...checkIds],
    // The old application's key signs JWTs until the application is gone.
    killsCredential: `key of application ${app.id} "${app.name}"`,
  };
}

/** One application's changes, and what the service checks wait for (its verify, its key's deliveries). */
function applicationDrafts(
  ctx: ActionContext,
  app: ApplicationRecord,
  numbers: readonly NumberRecord[],
  accounts: readonly ExternalAccountRecord[],
  decided: DecidedApp | undefined,
  checkIds: string[],
): { createId: string; changes: ChangeDraft[]; ready: string[]; flagged: boolean } {
  const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
  const config = decided?.config ?? configOf(app);
  const insecure = webhookWarnings(config);
  const warnings = [...(decided?.decisions.map(decisionLine) ?? []), ...insecure];
  const createId = full(`${app.id}/create`);
  const delivered = applicationKeyDeliveries(ctx, app, {
    sinkName: ref(createId, "sinkName"),
    applicationIdRef: ref(createId, "newId"),
    after: createId,
  });
  return {
    createId,
    changes: [
      backupDraft(app, config, numbers, accounts),
      createDraft(ctx, app, config, decided, warnings),
      ...moveDrafts(ctx, app, numbers, accounts),
      ...delivered,
      deleteDraft(ctx, app, checkIds),
    ],
    ready: [full(`${app.id}/verify`), ...delivered.map((d) => full(d.id))],
    flagged: insecure.length > 0,
  };
}

/**
 * Every selected application's changes, the service checks before the first delete, and the id map last (it
 * also lists `doneCreates`: replacements created earlier in this run for applications since deleted).
 */
function replacementDrafts(
  ctx: ActionContext,
  selected: readonly ApplicationRecord[],
  linked: readonly NumberRecord[][],
  external: Availability<ExternalAccountRecord[]>,
  byApp: ReadonlyMap<string, DecidedApp>,
  doneCreates: Iterable<string>,
): { changes: ChangeDraft[]; flagged: number } {
  const changes: ChangeDraft[] = [];
  const createIds: string[] = [];
  // What the service checks wait for (every move verified, every key delivered); every delete waits for them.
  const ready: string[] = [];
  const checkIds = (ctx.delivery?.config?.checks ?? []).map((c) => `${ctx.step.id}:check/${c.name}`);
  let flagged = 0;
  selected.forEach((app, index) => {
    const accounts = accountsLinkedTo(external, app.id);
    const drafts = applicationDrafts(ctx, app, linked[index] ?? [], accounts, byApp.get(app.id), checkIds);
    if (drafts.flagged) flagged++;
    createIds.push(drafts.createId);
    changes.push(...drafts.changes);
    ready.push(...drafts.ready);
  });
  for (const id of doneCreates) if (!createIds.includes(id)) createIds.push(id);
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
  return { changes, flagged };
}

/** Create change id → replacement id, for the replacements this step created before a resume. */
function doneCreatesOf(ctx: ActionContext): Map<string, string> {
  const doneCreates = new Map<string, string>();
  const prefix = `${ctx.step.id}:`;
  for (const [id, output] of ctx.outputs) {
    if (id.startsWith(prefix) && id.endsWith("/create") && typeof output.newId === "string") {
      doneCreates.set(id, output.newId);
    }
  }
  return doneCreates;
}

export async function plan(ctx: ActionContext, params: RecreateApplicationsParams): Promise<PlanResult> {
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
  const doneCreates = doneCreatesOf(ctx);
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
  const { changes, flagged } = replacementDrafts(
    ctx,
    selected,
    linked,
    external,
    webhooks.byApp,
    doneCreates.keys(),
  );
  const numberTotal = linked.reduce((sum, list) => sum + list.length, 0);
  const accountTotal = selected.reduce((sum, app) => sum + accountsLinkedTo(external, app.id).length, 0);
  notes.push(
    `${selected.length} of ${apps.length} application(s) to replace, ${numberTotal} linked number(s) and ${accountTotal} external account(s) to move`,
  );
  if (flagged > 0) {
    notes.push(`${flagged} application(s) have http:// or GET webhooks (flagged, carried over unchanged)`);
  }
  return { changes, notes, attention: webhooks.attention };
}

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
  byApp: Map<string, DecidedApp>;
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
  const byApp = new Map<string, DecidedApp>();
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
