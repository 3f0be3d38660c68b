// `secrets.rotate`: replace every API secret of the primary (and optionally each subaccount) with one
// generated here. Order is the safety argument: new secret in the sink → created → proven → switched to →
// only then the old ones revoked; the last secret is never revoked (ARCHITECTURE.md, invariant 2).
import { join } from "node:path";
import { z } from "zod";
import {
  AbortError,
  DriftError,
  InternalError,
  UsageError,
  VonageApiError,
  messageOf,
} from "../core/errors.js";
import { API_SECRET_LENGTH, fingerprint, generateApiSecret } from "../security/index.js";
import type { AuditEvent, SecretMeta } from "../vonage/gateway.js";
import type { Action, ActionContext, ApplyOutcome, PriorChange, PriorSecret, UndoPlan } from "./action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import { ref, resolveRef } from "./action.js";
import { runManualChange } from "./manual.js";
import { applyDelivery, deliveryDrafts, describeDelivery, undoDelivery } from "./deliver-credentials.js";
import { applyCheck, checkDrafts, describeCheck } from "./service-checks.js";
import { describeProveRejected, proveRejectedDraft, proveSecretRejected } from "./prove-secret-rejected.js";

export const secretsRotateParams = z.strictObject({
  revoke: z.enum(["immediately", "after-confirmation"]).default("immediately"),
  revokeFirst: z.string().min(1).optional(),
  includeSubaccounts: z.boolean().default(false),
  compromisedSince: z.iso.datetime({ offset: true }).optional(),
  /** How long a revoked secret may keep authenticating before the rotation calls it a failure. */
  propagationSeconds: z.number().min(0).max(600).default(30),
});
export type SecretsRotateParams = z.infer<typeof secretsRotateParams>;

/** Vonage allows at most this many secrets per API key. */
const MAX_SECRETS = 2;

type Role =
  | "revoke-first"
  | "create"
  | "verify-new"
  | "deliver"
  | "check"
  | "deploy"
  | "revoke"
  | "prove-rejected"
  | "verify-end";

interface AccountToRotate {
  apiKey: string;
  primary: boolean;
  secrets: SecretMeta[];
}

function deployInstructions(key: string, print: string, path: string): string {
  return `Deploy the new API secret (fingerprint ${print}, file ${path}) to every service that uses API key ${key}, then confirm. The old secret keeps working until then.`;
}

/** The deploy instructions with what became known when the secret was created: its fingerprint and file. */
function withDeployFacts(ctx: ActionContext, change: Change): Change {
  const createdRef = change.params["created"];
  if (!change.manual || createdRef === undefined) return change;
  const created = resolveRef(ctx.outputs, createdRef);
  if (!created || typeof created !== "object" || Array.isArray(created)) return change;
  const print = typeof created["fingerprint"] === "string" ? created["fingerprint"] : "(unknown)";
  const path = typeof created["path"] === "string" ? created["path"] : str(change.params, "sinkName");
  return {
    ...change,
    manual: { ...change.manual, instructions: deployInstructions(str(change.params, "apiKey"), print, path) },
  };
}

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

function str(params: JsonObject, key: string): string {
  const value = params[key];
  if (typeof value !== "string")
    throw new InternalError(`secrets.rotate: change parameter ${key} is missing`);
  return value;
}

function roleOf(change: ChangeDraft): Role {
  return str(change.params, "role") as Role;
}

function isPrimary(change: ChangeDraft): boolean {
  return change.params["primary"] === true;
}

/** The vonage-ir run that created this secret (its journal is in the out directory), if any. */
function createdByRun(ctx: ActionContext, apiKey: string, secretId: string): PriorSecret | undefined {
  return ctx.priorRuns.secretsCreated.find((s) => s.apiKey === apiKey && s.secretId === secretId);
}

/** Created after the compromise began, and not by a vonage-ir run (ours are never suspects). */
function isSuspect(
  ctx: ActionContext,
  apiKey: string,
  secret: SecretMeta,
  since: string | undefined,
): boolean {
  if (since === undefined || createdByRun(ctx, apiKey, secret.id)) return false;
  const created = Date.parse(secret.createdAt);
  return !Number.isNaN(created) && created > Date.parse(since);
}

function listing(
  ctx: ActionContext,
  apiKey: string,
  secrets: SecretMeta[],
  since: string | undefined,
): string {
  return secrets
    .map((s) => {
      const run = createdByRun(ctx, apiKey, s.id);
      const mark = run
        ? `, created by vonage-ir run ${run.runId}`
        : isSuspect(ctx, apiKey, s, since)
          ? ", suspect"
          : "";
      return `${s.id} (created ${s.createdAt}${mark})`;
    })
    .join(", ");
}

/** A secret created this recently is shown as "probably yours": the operator may have made it on noticing. */
const RECENT_HOURS = 6;

/** Audit times carry no zone (UTC); secrets' do. */
function parseTime(value: string): number {
  return Date.parse(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`);
}

/** An audit event whose time is this close to a secret's creation may be its creation (when no id matches). */
const SAME_TIME_MS = 2 * 60_000;

type AuditLookup = { events: AuditEvent[] } | { unavailable: string };

/** The ACCOUNT_SECRET_CREATE events that may be the creation of these secrets; read once per plan. */
async function readSecretCreations(ctx: ActionContext, secrets: SecretMeta[]): Promise<AuditLookup> {
  const times = secrets.map((s) => Date.parse(s.createdAt)).filter((t) => !Number.isNaN(t));
  const since = times.length > 0 ? new Date(Math.min(...times) - 10 * 60_000).toISOString() : undefined;
  try {
    const found = await ctx.gateway.listAuditEvents(since === undefined ? {} : { since });
    if (!found.available) return { unavailable: found.reason };
    return { events: found.value.filter((e) => e.eventType === "ACCOUNT_SECRET_CREATE") };
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return { unavailable: messageOf(error) };
  }
}

function describeEvent(event: AuditEvent, byTime: boolean): string {
  const who =
    event.userEmail ??
    (event.source === "CD" ? "a dashboard user" : event.source === "DEVAPI" ? "the API" : "unknown");
  return `ACCOUNT_SECRET_CREATE ${event.createdAt} by ${who} from ${event.sourceIp ?? "an unknown IP"}${byTime ? " (matched by time)" : ""}`;
}

/** What the audit log says about who created a secret: events naming its id, else events at its creation time. */
function creationEvidence(secret: SecretMeta, audit: AuditLookup): string {
  if ("unavailable" in audit) return `audit log not available (${audit.unavailable})`;
  const byId = audit.events.filter((e) => JSON.stringify(e.raw).includes(secret.id));
  if (byId.length > 0) return byId.map((e) => describeEvent(e, false)).join("; ");
  const created = parseTime(secret.createdAt);
  const byTime = audit.events.filter((e) => Math.abs(parseTime(e.createdAt) - created) <= SAME_TIME_MS);
  if (byTime.length > 0) return byTime.map((e) => describeEvent(e, true)).join("; ");
  return "no ACCOUNT_SECRET_CREATE event for it in the audit log";
}

/** One secret with everything known about who made it: the basis of a revoke-first decision. */
interface SecretEvidence {
  secret: SecretMeta;
  probablyYours: string | undefined;
  suspect: boolean;
  line: string;
}

/** Suspects first (a select's cursor starts on the first choice), the ones that look like the operator's last. */
function choiceRank(evidence: SecretEvidence): number {
  if (evidence.probablyYours !== undefined) return 2;
  return evidence.suspect ? 0 : 1;
}

function secretEvidence(
  ctx: ActionContext,
  apiKey: string,
  secret: SecretMeta,
  since: string | undefined,
  audit: AuditLookup,
): SecretEvidence {
  const run = createdByRun(ctx, apiKey, secret.id);
  const ageMs = ctx.clock.now().getTime() - parseTime(secret.createdAt);
  const recent = !Number.isNaN(ageMs) && ageMs >= 0 && ageMs < RECENT_HOURS * 3_600_000;
  const probablyYours = run
    ? `probably yours: created by vonage-ir run ${run.runId}`
    : recent
      ? `probably yours: created in the last ${RECENT_HOURS} hours`
      : undefined;
  const suspect = isSuspect(ctx, apiKey, secret, since);
  const marks = [
    ...(probablyYours ? [probablyYours] : []),
    ...(suspect ? ["suspect: created after compromisedSince"] : []),
  ];
  const line = `${secret.id}  created ${secret.createdAt}${marks.length > 0 ? `  [${marks.join("; ")}]` : ""}\n      ${creationEvidence(secret, audit)}`;
  return { secret, probablyYours, suspect, line };
}

/** The new secret's id, from the output of its create change (known after apply). */
function newSecretIdOf(ctx: ActionContext, change: Change): string {
  const value = resolveRef(ctx.outputs, change.params["newSecretId"] ?? null);
  if (typeof value !== "string") throw new InternalError(`${change.id}: the new secret's id is not known`);
  return value;
}

/**
 * Chooses which of two secrets to revoke before a new one can be created. Never a guess (ARCHITECTURE.md,
 * invariant 6): secrets.revokeFirst names it, or the operator picks it from the evidence, or the plan fails.
 */
async function chooseRevokeFirst(
  ctx: ActionContext,
  account: AccountToRotate,
  params: SecretsRotateParams,
  audit: () => Promise<AuditLookup>,
): Promise<{ secret: SecretMeta; why: string }> {
  const [a, b] = account.secrets;
  if (!a || !b) throw new InternalError("chooseRevokeFirst needs two secrets");
  const named = account.secrets.find((s) => s.id === params.revokeFirst);
  if (named) {
    const run = createdByRun(ctx, account.apiKey, named.id);
    return {
      secret: named,
      why: `named by secrets.revokeFirst${run ? `, although vonage-ir run ${run.runId} created it` : ""}`,
    };
  }
  const found = await audit();
  const evidence = account.secrets
    .map((s) => secretEvidence(ctx, account.apiKey, s, params.compromisedSince, found))
    .sort((x, y) => choiceRank(x) - choiceRank(y));
  const shown = evidence.map((e) => `  - ${e.line}`).join("\n");
  if (ctx.prompter) {
    const which = account.primary
      ? `Revoke the one you are NOT using in VONAGE_API_SECRET: revoking that one would lock this run out.`
      : `Revoke the one your services for subaccount ${account.apiKey} do NOT use.`;
    const id = await ctx.prompter.select<string>({
      message: `Account ${account.apiKey} holds 2 API secrets (Vonage's limit), so one must be revoked before a new one can be created:\n${shown}\n${which} Which one should be revoked first?`,
      choices: evidence.map((e) => ({
        value: e.secret.id,
        name: `${e.secret.id}  created ${e.secret.createdAt}${e.probablyYours ? `  (${e.probablyYours})` : e.suspect ? "  (suspect)" : ""}`,
      })),
    });
    const chosen = account.secrets.find((s) => s.id === id);
    if (!chosen) throw new InternalError(`the prompt returned an unknown secret id ${id}`);
    return { secret: chosen, why: "chosen by the operator" };
  }
  throw new UsageError(
    `account ${account.apiKey} holds 2 API secrets and an unattended run does not guess which one to revoke first: set secrets.revokeFirst in the config to the id of the one you are NOT using in VONAGE_API_SECRET. The two secrets and who created them:\n${shown}`,
    'a secret marked "probably yours" was created by a vonage-ir run or in the last hours; check the audit events above, or run in a terminal to be asked',
  );
}

/** The drafts for one account, in phases so a run can put all manual confirmations together. */
interface AccountDrafts {
  prepare: ChangeDraft[];
  /** Deliveries of the new secret to the config's targets (before the step's service checks). */
  deliver: ChangeDraft[];
  deploy: ChangeDraft[];
  finish: ChangeDraft[];
}

/** The deliveries of an account's new secret to the config's targets that want it, after it is proven. */
function secretDeliveries(
  ctx: ActionContext,
  account: AccountToRotate,
  sinkName: string,
  createId: string,
  verifyNewId: string,
): ChangeDraft[] {
  return deliveryDrafts(
    ctx,
    {
      item: "api-secret",
      apiKey: account.apiKey,
      primary: account.primary,
      sinkName,
      after: verifyNewId,
      fingerprintField: "fingerprint",
      fingerprintFrom: createId,
    },
    { apiKey: account.apiKey, primary: account.primary, role: "deliver" },
  );
}

/** Full ids of the step's service checks: every revoke waits for them (known from the config at plan time). */
function checkIdsOf(ctx: ActionContext): string[] {
  return (ctx.delivery?.config?.checks ?? []).map((c) => `${ctx.step.id}:check/${c.name}`);
}

async function planAccount(
  ctx: ActionContext,
  account: AccountToRotate,
  params: SecretsRotateParams,
  notes: string[],
  after: string[],
  audit: () => Promise<AuditLookup>,
): Promise<AccountDrafts> {
  const key = account.apiKey;
  const prefix = `${key}/`;
  const full = (draftId: string) => `${ctx.step.id}:${draftId}`;
  const since = params.compromisedSince;
  const meta = (s: SecretMeta): JsonObject => ({
    id: s.id,
    createdAt: s.createdAt,
    suspect: isSuspect(ctx, key, s, since),
  });
  const base = { apiKey: key, primary: account.primary };
  const drafts: AccountDrafts = { prepare: [], deliver: [], deploy: [], finish: [] };
  const knownIds = account.secrets.map((s) => s.id);

  if (account.secrets.length === 0) {
    notes.push(`account ${key}: lists no API secret; nothing to rotate`);
    return drafts;
  }
  if (account.secrets.length > MAX_SECRETS) {
    throw new InternalError(
      `account ${key} lists ${account.secrets.length} secrets; Vonage allows ${MAX_SECRETS}`,
    );
  }

  let revokeFirstId: string | undefined;
  if (account.secrets.length === MAX_SECRETS) {
    const { secret, why } = await chooseRevokeFirst(ctx, account, params, audit);
    revokeFirstId = secret.id;
    notes.push(
      `account ${key}: holds 2 secrets (${listing(ctx, key, account.secrets, since)}); ${secret.id} is revoked first (${why})`,
    );
    const id = `${prefix}revoke-first/${secret.id}`;
    drafts.prepare.push({
      id,
      kind: "delete",
      target: `secret ${short(secret.id)} of ${key}`,
      before: { apiKey: key, secrets: account.secrets.map(meta) },
      after: { apiKey: key, secrets: account.secrets.filter((s) => s.id !== secret.id).map(meta) },
      reversible: false,
      idempotent: true,
      params: {
        ...base,
        role: "revoke-first",
        secretId: secret.id,
        createdAt: secret.createdAt,
        suspect: isSuspect(ctx, key, secret, since),
        why,
      },
      precondition: `secret ${secret.id} still exists and ${key} still holds 2 secrets`,
      dependsOn: after.length > 0 ? [...after] : undefined,
      killsCredential: `API secret ${secret.id} of ${key}`,
    });
  } else if (params.revokeFirst !== undefined && account.secrets.some((s) => s.id === params.revokeFirst)) {
    notes.push(
      `account ${key}: secrets.revokeFirst ${params.revokeFirst} is its only secret, so it is revoked in the normal order (after the new secret works), never first`,
    );
  }
  const suspects = account.secrets.filter((s) => isSuspect(ctx, key, s, since));
  if (suspects.length > 0)
    notes.push(`account ${key}: suspect secrets: ${listing(ctx, key, suspects, since)}`);

  const createId = `${prefix}create`;
  const sinkName = `api-secret-${key}`;
  const createDeps = [
    ...after,
    ...(revokeFirstId === undefined ? [] : [full(`${prefix}revoke-first/${revokeFirstId}`)]),
  ];
  drafts.prepare.push({
    id: createId,
    kind: "create",
    target: `API secret of ${key}`,
    before: { apiKey: key, secrets: account.secrets.map(meta) },
    after: { apiKey: key, newSecret: "(known after apply)", length: API_SECRET_LENGTH, sinkName },
    reversible: false,
    idempotent: false,
    params: { ...base, role: "create", sinkName, knownSecretIds: knownIds },
    precondition: `${key} holds fewer than 2 secrets`,
    dependsOn: createDeps.length > 0 ? createDeps : undefined,
  });
  const newSecretId = ref(full(createId), "secretId");

  const verifyNewId = `${prefix}verify-new`;
  drafts.prepare.push({
    id: verifyNewId,
    kind: "verify",
    target: `new API secret of ${key}`,
    reversible: true,
    idempotent: true,
    params: { ...base, role: "verify-new", sinkName, newSecretId },
    dependsOn: [full(createId)],
  });

  const revokeDeps = [full(verifyNewId), ...checkIdsOf(ctx)];
  drafts.deliver = secretDeliveries(ctx, account, sinkName, full(createId), full(verifyNewId));
  revokeDeps.push(...drafts.deliver.map((d) => full(d.id)));
  if (params.revoke === "after-confirmation") {
    const deployId = `${prefix}deploy`;
    drafts.deploy.push({
      id: deployId,
      kind: "manual",
      target: `deploy the new API secret of ${key}`,
      reversible: true,
      idempotent: true,
      params: { ...base, role: "deploy", sinkName, created: ref(full(createId)) },
      dependsOn: [full(verifyNewId)],
      manual: {
        instructions: deployInstructions(key, "(known after apply)", join(ctx.runDir, "secrets", sinkName)),
        evidence: [],
        verify: undefined,
      },
    });
    revokeDeps.push(full(deployId));
  }

  const revokeIds: string[] = [];
  for (const old of account.secrets) {
    if (old.id === revokeFirstId) continue;
    const id = `${prefix}revoke/${old.id}`;
    revokeIds.push(full(id));
    drafts.finish.push({
      id,
      kind: "delete",
      target: `secret ${short(old.id)} of ${key}`,
      before: { apiKey: key, secret: meta(old) },
      after: null,
      reversible: false,
      idempotent: true,
      params: {
        ...base,
        role: "revoke",
        secretId: old.id,
        createdAt: old.createdAt,
        suspect: isSuspect(ctx, key, old, since),
        knownSecretIds: knownIds,
        newSecretId,
      },
      precondition: `${key} still holds at least 2 secrets, among them ${old.id} and the new one`,
      dependsOn: [...revokeDeps],
      killsCredential: `API secret ${old.id} of ${key}`,
      // Said where the revoke is shown (plan, dry run, the step's confirm), before it happens: the decision is
      // the config's, and this names the key that changes it.
      ...(params.revoke === "immediately" && drafts.deliver.length === 0
        ? {
            warnings: [
              `revoked as soon as the new secret works: production still using this secret fails until it has the new one (from the sink); to deploy it first, set \`secrets.revoke: after-confirmation\` in the config`,
            ],
          }
        : {}),
    });
  }

  if (account.primary && revokeIds.length > 0) {
    const first = revokeFirstId === undefined ? [] : [full(`${prefix}revoke-first/${revokeFirstId}`)];
    const prove = proveRejectedDraft(key, base, params.propagationSeconds, [...revokeIds, ...first]);
    const proven = ref(full(verifyNewId), "provenAt");
    drafts.finish.push({ ...prove, params: { ...prove.params, sinkName, proven } });
  }
  drafts.finish.push({
    id: `${prefix}verify-end`,
    kind: "verify",
    target: `secrets of ${key}`,
    after: { apiKey: key, secrets: 1, newSecret: "(known after apply)" },
    reversible: true,
    idempotent: true,
    params: { ...base, role: "verify-end", sinkName, newSecretId },
    dependsOn: [full(verifyNewId), ...revokeIds],
  });
  return drafts;
}

async function plan(ctx: ActionContext, params: SecretsRotateParams) {
  const notes: string[] = [];
  const primaryKey = ctx.gateway.apiKey;
  const accounts: AccountToRotate[] = [
    { apiKey: primaryKey, primary: true, secrets: await ctx.gateway.listSecrets(primaryKey) },
  ];
  if (params.includeSubaccounts) {
    const subs = await ctx.gateway.listSubaccounts();
    if (!subs.available) {
      notes.push(
        `subaccounts not rotated: the Subaccounts API is not available for this account (${subs.reason})`,
      );
    } else {
      for (const sub of subs.value) {
        if (sub.suspended) {
          notes.push(`subaccount ${sub.apiKey} (${sub.name}) is suspended: its secrets are not rotated`);
          continue;
        }
        accounts.push({
          apiKey: sub.apiKey,
          primary: false,
          secrets: await ctx.gateway.listSecrets(sub.apiKey),
        });
      }
    }
  }

  if (
    params.revokeFirst !== undefined &&
    !accounts.some((a) => a.secrets.some((s) => s.id === params.revokeFirst))
  ) {
    const full = accounts.filter((a) => a.secrets.length >= MAX_SECRETS);
    const candidates = (full.length > 0 ? full : accounts)
      .map((a) => `${a.apiKey}: ${listing(ctx, a.apiKey, a.secrets, params.compromisedSince)}`)
      .join("; ");
    throw new UsageError(
      `secrets.revokeFirst ${params.revokeFirst} is not a secret of any account being rotated; set secrets.revokeFirst in the config to one of: ${candidates}`,
      "copy the id from the list above, or remove secrets.revokeFirst",
    );
  }

  const [primary, ...subs] = accounts;
  if (!primary) throw new InternalError("no primary account");
  // Only a revoke-first decision needs the audit log: read it at most once, and only then.
  let auditRead: Promise<AuditLookup> | undefined;
  const audit = () =>
    (auditRead ??= readSecretCreations(
      ctx,
      accounts.flatMap((a) => a.secrets),
    ));
  const primaryDrafts = await planAccount(ctx, primary, params, notes, [], audit);
  // Subaccount calls use the primary's credentials: they start only after the client switched to the new
  // primary secret, so no call is in flight with a secret that is about to be revoked.
  const primaryVerify = `${primary.apiKey}/verify-new`;
  const afterPrimary = primaryDrafts.prepare.some((d) => d.id === primaryVerify)
    ? [`${ctx.step.id}:${primaryVerify}`]
    : [];
  const all = [primaryDrafts];
  for (const sub of subs) all.push(await planAccount(ctx, sub, params, notes, afterPrimary, audit));
  const delivered = all.flatMap((d) => d.deliver);
  // The checks run once the new secrets are in place (and delivered): after every account's verify-new.
  const ready = [
    ...all.flatMap((d) => d.prepare.filter((c) => roleOf(c) === "verify-new")),
    ...delivered,
  ].map((c) => `${ctx.step.id}:${c.id}`);
  const checks = all.some((d) => d.finish.length > 0)
    ? checkDrafts(ctx, { role: "check", apiKey: primaryKey, primary: true }, ready)
    : [];
  return {
    changes: [
      ...all.flatMap((d) => d.prepare),
      ...delivered,
      ...checks,
      ...all.flatMap((d) => d.deploy),
      ...all.flatMap((d) => d.finish),
    ],
    notes,
  };
}

function describe(change: ChangeDraft): string {
  const key = str(change.params, "apiKey");
  const primary = isPrimary(change);
  switch (roleOf(change)) {
    case "revoke-first":
    case "revoke": {
      const p = change.params;
      const first = roleOf(change) === "revoke-first" ? " first (Vonage allows 2 secrets)" : " (old)";
      return `revoke secret ${short(str(p, "secretId"))} of ${key}${first} (${p["suspect"] === true ? "suspect, " : ""}created ${str(p, "createdAt")})`;
    }
    case "create":
      return `new API secret for ${key} (${API_SECRET_LENGTH} chars, stored in the sink)`;
    case "verify-new":
      return primary
        ? `prove the new secret of ${key} authenticates, then switch to it`
        : `prove the new secret of ${key} authenticates`;
    case "deploy":
      return `manual: deploy the new API secret of ${key} to your services, then confirm`;
    case "deliver":
      return describeDelivery(change);
    case "check":
      return describeCheck(change);
    case "prove-rejected":
      return describeProveRejected(change);
    case "verify-end":
      return `${key} ends with exactly one secret, the new one, and it authenticates`;
  }
}

async function checkPrecondition(ctx: ActionContext, change: Change): Promise<string | undefined> {
  const key = str(change.params, "apiKey");
  const role = roleOf(change);
  if (role !== "revoke-first" && role !== "create" && role !== "revoke") return undefined;
  const secrets = await ctx.gateway.listSecrets(key);
  const ids = secrets.map((s) => s.id);
  if (role === "revoke-first") {
    const id = str(change.params, "secretId");
    if (!ids.includes(id))
      return `secret ${id} is no longer listed for ${key} (now: ${ids.join(", ") || "none"})`;
    if (secrets.length !== MAX_SECRETS) return `${key} now holds ${secrets.length} secret(s), not 2`;
    return undefined;
  }
  if (role === "create") {
    if (secrets.length >= MAX_SECRETS) {
      return `${key} holds ${secrets.length} secrets (${ids.join(", ")}): no room for a new one`;
    }
    const known = change.params["knownSecretIds"];
    const unknown = ids.filter((id) => !(Array.isArray(known) && known.includes(id)));
    if (unknown.length > 0)
      return `${key} lists secret(s) that did not exist when the plan was made: ${unknown.join(", ")}`;
    return undefined;
  }
  // revoke: never the last secret, and only while the new one is listed (with 2 at most, no stranger fits).
  const id = str(change.params, "secretId");
  const newId = newSecretIdOf(ctx, change);
  if (secrets.length < MAX_SECRETS)
    return `${key} holds ${secrets.length} secret(s): refusing to revoke the last one`;
  if (!ids.includes(newId))
    return `the new secret ${newId} is not listed for ${key}: refusing to revoke ${id}`;
  if (!ids.includes(id)) return `secret ${id} is no longer listed for ${key} (now: ${ids.join(", ")})`;
  return undefined;
}

async function prepare(ctx: ActionContext, change: Change): Promise<JsonObject> {
  if (roleOf(change) !== "create") return {};
  const sinkName = str(change.params, "sinkName");
  // A retry after a failed attempt reuses the value already in the sink (it may even have reached Vonage).
  const value = (await ctx.sink.exists(sinkName)) ? await ctx.sink.read(sinkName) : generateApiSecret();
  ctx.registerSecret(value);
  const written = await ctx.sink.write(sinkName, value);
  return { sinkName, fingerprint: written.fingerprint, path: written.path };
}

async function readNewSecret(ctx: ActionContext, change: Change): Promise<string> {
  const value = await ctx.sink.read(str(change.params, "sinkName"));
  ctx.registerSecret(value);
  return value;
}

async function apply(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome> {
  if (change.kind === "manual") return runManualChange(ctx, withDeployFacts(ctx, change), new Map());
  const key = str(change.params, "apiKey");
  const primary = isPrimary(change);
  switch (roleOf(change)) {
    case "revoke-first": {
      const id = str(change.params, "secretId");
      await revokeUnlessGone(ctx, key, id);
      if (primary) await assertCurrentCredentialsWork(ctx, id);
      return { status: "done", output: { apiKey: key, revokedSecretId: id } };
    }
    case "create": {
      const sinkName = str(prepared, "sinkName");
      const value = await ctx.sink.read(sinkName);
      ctx.registerSecret(value);
      const created = await ctx.gateway.createSecret(key, value);
      return { status: "done", output: createOutput(key, created, prepared) };
    }
    case "verify-new": {
      const newId = newSecretIdOf(ctx, change);
      const value = await readNewSecret(ctx, change);
      const works = await ctx.gateway.checkCredentials({ apiKey: key, apiSecret: value });
      if (!works) {
        throw new Error(
          `the new secret ${newId} of ${key} (fingerprint ${fingerprint(value)}) does not authenticate; nothing was revoked`,
        );
      }
      if (primary) ctx.usePrimarySecret(value);
      return {
        status: "done",
        output: {
          apiKey: key,
          secretId: newId,
          authenticates: true,
          switched: primary,
          provenAt: ctx.clock.now().toISOString(),
        },
        note: primary ? "the client now uses the new secret" : undefined,
      };
    }
    case "revoke": {
      const id = str(change.params, "secretId");
      const newId = newSecretIdOf(ctx, change);
      if (id === newId) throw new InternalError(`refusing to revoke the new secret ${id}`);
      const gone = await revokeUnlessGone(ctx, key, id);
      return {
        status: "done",
        output: { apiKey: key, revokedSecretId: id },
        note: gone ? "already revoked" : undefined,
      };
    }
    case "verify-end": {
      const newId = newSecretIdOf(ctx, change);
      const secrets = await ctx.gateway.listSecrets(key);
      const ids = secrets.map((s) => s.id);
      if (secrets.length !== 1 || ids[0] !== newId) {
        throw new DriftError(
          `account ${key} should hold exactly one secret, the new one ${newId}; it holds: ${ids.join(", ") || "none"}`,
          "someone else changed the secrets meanwhile (is an attacker still active?): review them, then plan again",
        );
      }
      const value = await readNewSecret(ctx, change);
      if (!(await ctx.gateway.checkCredentials({ apiKey: key, apiSecret: value }))) {
        throw new Error(`the new secret ${newId} of ${key} no longer authenticates`);
      }
      return { status: "done", output: { apiKey: key, secretId: newId, secrets: 1, authenticates: true } };
    }
    case "deliver":
      return applyDelivery(ctx, change);
    case "check":
      return applyCheck(ctx, change);
    case "prove-rejected":
      return proveSecretRejected(ctx, {
        apiKey: key,
        newSecret: await readNewSecret(ctx, change),
        propagationSeconds: Number(change.params["propagationSeconds"] ?? 30),
        provenAt: provenAtOf(ctx, change),
      });
    case "deploy":
      throw new InternalError(`${change.id} has role deploy but kind ${change.kind}`);
  }
}

function provenAtOf(ctx: ActionContext, change: Change): string | undefined {
  const proven = change.params["proven"];
  const value = proven === undefined ? undefined : resolveRef(ctx.outputs, proven);
  return typeof value === "string" ? value : undefined;
}

function createOutput(key: string, created: SecretMeta, prepared: JsonObject): JsonObject {
  return {
    apiKey: key,
    secretId: created.id,
    createdAt: created.createdAt,
    sinkName: prepared["sinkName"] ?? null,
    fingerprint: prepared["fingerprint"] ?? null,
    path: prepared["path"] ?? null,
  };
}

/** Revokes `id`; true when it was already gone (a retry after a lost response). */
async function revokeUnlessGone(ctx: ActionContext, key: string, id: string): Promise<boolean> {
  try {
    await ctx.gateway.revokeSecret(key, id);
    return false;
  } catch (error) {
    if (error instanceof VonageApiError && error.kind === "not-found") {
      const ids = (await ctx.gateway.listSecrets(key)).map((s) => s.id);
      if (!ids.includes(id)) return true;
    }
    throw error;
  }
}

/** After revoking one of the primary's two secrets: the remaining one must be the operator's. */
async function assertCurrentCredentialsWork(ctx: ActionContext, revokedId: string): Promise<void> {
  try {
    await ctx.gateway.listSecrets(ctx.gateway.apiKey);
  } catch (error) {
    if (error instanceof VonageApiError && error.kind === "auth") {
      throw new Error(
        `STOP: after revoking secret ${revokedId} the credentials in VONAGE_API_SECRET no longer work: the secret that remains is NOT the one in VONAGE_API_SECRET (it is probably the attacker's). Contact Vonage support at once to regain control of account ${ctx.gateway.apiKey}.`,
      );
    }
    throw error;
  }
}

async function reconcile(
  ctx: ActionContext,
  change: Change,
  prepared: JsonObject,
): Promise<ApplyOutcome | undefined> {
  const key = str(change.params, "apiKey");
  const role = roleOf(change);
  if (role === "revoke-first" || role === "revoke") {
    const id = str(change.params, "secretId");
    const ids = (await ctx.gateway.listSecrets(key)).map((s) => s.id);
    if (ids.includes(id)) return undefined;
    if (role === "revoke-first" && isPrimary(change)) await assertCurrentCredentialsWork(ctx, id);
    return { status: "done", output: { apiKey: key, revokedSecretId: id }, note: "found revoked on resume" };
  }
  if (role === "create") {
    const known = change.params["knownSecretIds"];
    const knownIds = new Set(
      Array.isArray(known) ? known.filter((v): v is string => typeof v === "string") : [],
    );
    const fresh = (await ctx.gateway.listSecrets(key)).filter((s) => !knownIds.has(s.id));
    if (fresh.length === 0) return undefined;
    const value = await ctx.sink.read(str(prepared, "sinkName"));
    ctx.registerSecret(value);
    if (!(await ctx.gateway.checkCredentials({ apiKey: key, apiSecret: value }))) return undefined;
    const [ours, other] = fresh;
    if (!ours || other) {
      throw new DriftError(
        `account ${key} lists ${fresh.length} secrets that did not exist when the plan was made (${fresh.map((s) => s.id).join(", ")}); ours authenticates but cannot be told apart`,
        "someone else is creating secrets (is an attacker still active?): review them, then plan again",
      );
    }
    return { status: "done", output: createOutput(key, ours, prepared), note: "found created on resume" };
  }
  // verify-new, verify-end and deploy are safe to run again.
  return undefined;
}

/**
 * "One secret, the new one" was verified, but whoever still holds the dashboard can add another afterwards: on
 * every resume and at the end of every attempt, read the list again. A secret that is neither the new one nor
 * created by a vonage-ir run is a suspect.
 */
async function reverify(ctx: ActionContext, change: Change, output: JsonObject): Promise<string | undefined> {
  if (roleOf(change) !== "verify-end") return undefined;
  const key = str(change.params, "apiKey");
  const newId = typeof output["secretId"] === "string" ? output["secretId"] : newSecretIdOf(ctx, change);
  let secrets: SecretMeta[];
  try {
    secrets = await ctx.gateway.listSecrets(key);
  } catch (error) {
    if (error instanceof VonageApiError && error.kind === "auth") {
      throw new Error(
        `STOP: the new secret ${newId} of ${ctx.gateway.apiKey} no longer authenticates: someone revoked it after the rotation was verified. Contact Vonage support at once to regain control of the account.`,
      );
    }
    throw error;
  }
  const strangers = secrets.filter((s) => s.id !== newId && !createdByRun(ctx, key, s.id));
  if (strangers.length === 0) return undefined;
  return `suspect: ${key} holds ${strangers.length === 1 ? "a secret" : "secrets"} that appeared after the rotation was verified: ${listing(ctx, key, strangers, undefined)} (someone still holds the dashboard?). Revoke ${strangers.length === 1 ? "it" : "them"} in the dashboard and resume, or start a new run with secrets.revokeFirst naming ${strangers.length === 1 ? "it" : "one"}`;
}

/** Restore re-enables no credential: a revoked secret stays revoked, the new one stays the working one. */
function undo(change: PriorChange): UndoPlan | undefined {
  if (change.kind === "deliver") return undoDelivery(change);
  const params = (change.params ?? {}) as JsonObject;
  const key = str(params, "apiKey");
  const role = params["role"];
  if (role === "revoke" || role === "revoke-first") {
    return {
      kind: "irreversible",
      reason: `API secret ${short(str(params, "secretId"))} of ${key} was revoked: Vonage cannot restore a revoked secret, and a compromised credential is never re-enabled`,
    };
  }
  if (role === "create") {
    return {
      kind: "irreversible",
      reason: `the new API secret of ${key} stays: it is the account's working credential (in the run's sink)`,
    };
  }
  return undefined;
}

async function restore(ctx: ActionContext, change: Change): Promise<void> {
  if (roleOf(change) !== "verify-new" || !isPrimary(change)) return;
  ctx.usePrimarySecret(await readNewSecret(ctx, change));
}

export const secretsRotate: Action<SecretsRotateParams> = {
  id: "secrets.rotate",
  title: "Rotate the API secrets",
  why: "whoever holds a copy of an API secret controls the account: only a secret generated now is known to be ours",
  params: secretsRotateParams,
  plan,
  describe,
  checkPrecondition,
  prepare,
  apply,
  reconcile,
  restore,
  reverify,
  undo,
};
