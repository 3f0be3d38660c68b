// The plan of `secrets.rotate`, reads only: which accounts, then per account the drafts in the order that is
// the safety argument (revoke first when full → create → prove → deliver/deploy → revoke the old → verify).
import { join } from "node:path";
import { InternalError, UsageError } from "../core/errors.js";
import { API_SECRET_LENGTH } from "../security/index.js";
import type { SecretMeta } from "../vonage/gateway.js";
import type { ActionContext, PlanResult } from "./action.js";
import type { ChangeDraft, JsonObject } from "../core/plan.js";
import { ref } from "./action.js";
import { deliveryDrafts } from "./deliver-credentials.js";
import { checkDrafts } from "./service-checks.js";
import { proveRejectedDraft } from "./prove-secret-rejected.js";
import {
  MAX_SECRETS,
  deployInstructions,
  isSuspect,
  listing,
  roleOf,
  short,
  type AccountToRotate,
  type SecretsRotateParams,
} from "./secrets-changes.js";
import { chooseRevokeFirst, readSecretCreations, type AuditLookup } from "./secrets-revoke-first.js";

/** The drafts for one account, in phases so a run can put all manual confirmations together. */
interface AccountDrafts {
  prepare: ChangeDraft[];
  /** Deliveries of the new secret to the config's targets (before the step's service checks). */
  deliver: ChangeDraft[];
  deploy: ChangeDraft[];
  finish: ChangeDraft[];
}

/** What every draft of one account's rotation is built from. */
interface AccountPlan {
  ctx: ActionContext;
  account: AccountToRotate;
  params: SecretsRotateParams;
  key: string;
  /** Local draft ids of this account start with it (`<api key>/`). */
  prefix: string;
  sinkName: string;
  base: { apiKey: string; primary: boolean };
  knownIds: string[];
  /** The full id (with the step's) of a draft of this step. */
  full(draftId: string): string;
  meta(secret: SecretMeta): JsonObject;
}

function accountPlan(ctx: ActionContext, account: AccountToRotate, params: SecretsRotateParams): AccountPlan {
  const key = account.apiKey;
  return {
    ctx,
    account,
    params,
    key,
    prefix: `${key}/`,
    sinkName: `api-secret-${key}`,
    base: { apiKey: key, primary: account.primary },
    knownIds: account.secrets.map((s) => s.id),
    full: (draftId) => `${ctx.step.id}:${draftId}`,
    meta: (s) => ({
      id: s.id,
      createdAt: s.createdAt,
      suspect: isSuspect(ctx, key, s, params.compromisedSince),
    }),
  };
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

/** An account holding 2 secrets: the one to revoke before the create, chosen by chooseRevokeFirst. */
async function revokeFirstDraft(
  p: AccountPlan,
  notes: string[],
  after: string[],
  audit: () => Promise<AuditLookup>,
): Promise<{ secretId: string; draft: ChangeDraft }> {
  const { ctx, account, key } = p;
  const since = p.params.compromisedSince;
  const { secret, why } = await chooseRevokeFirst(ctx, account, p.params, audit);
  notes.push(
    `account ${key}: holds 2 secrets (${listing(ctx, key, account.secrets, since)}); ${secret.id} is revoked first (${why})`,
  );
  const draft: ChangeDraft = {
    id: `${p.prefix}revoke-first/${secret.id}`,
    kind: "delete",
    target: `secret ${short(secret.id)} of ${key}`,
    before: { apiKey: key, secrets: account.secrets.map(p.meta) },
    after: { apiKey: key, secrets: account.secrets.filter((s) => s.id !== secret.id).map(p.meta) },
    reversible: false,
    idempotent: true,
    params: {
      ...p.base,
      role: "revoke-first",
      secretId: secret.id,
      createdAt: secret.createdAt,
      suspect: isSuspect(ctx, key, secret, since),
      why,
    },
    precondition: `secret ${secret.id} still exists and ${key} still holds 2 secrets`,
    dependsOn: after.length > 0 ? [...after] : undefined,
    killsCredential: `API secret ${secret.id} of ${key}`,
  };
  return { secretId: secret.id, draft };
}

/** The new secret: created (after the revoke-first, if any), then proven to authenticate. */
function newSecretDrafts(p: AccountPlan, after: string[], revokeFirst: string | undefined): ChangeDraft[] {
  const { key, sinkName } = p;
  const createId = `${p.prefix}create`;
  const createDeps = [...after, ...(revokeFirst === undefined ? [] : [revokeFirst])];
  return [
    {
      id: createId,
      kind: "create",
      target: `API secret of ${key}`,
      before: { apiKey: key, secrets: p.account.secrets.map(p.meta) },
      after: { apiKey: key, newSecret: "(known after apply)", length: API_SECRET_LENGTH, sinkName },
      reversible: false,
      idempotent: false,
      params: { ...p.base, role: "create", sinkName, knownSecretIds: p.knownIds },
      precondition: `${key} holds fewer than 2 secrets`,
      dependsOn: createDeps.length > 0 ? createDeps : undefined,
    },
    {
      id: `${p.prefix}verify-new`,
      kind: "verify",
      target: `new API secret of ${key}`,
      reversible: true,
      idempotent: true,
      params: { ...p.base, role: "verify-new", sinkName, newSecretId: ref(p.full(createId), "secretId") },
      dependsOn: [p.full(createId)],
    },
  ];
}

/** `secrets.revoke: after-confirmation`: the operator deploys the new secret before an old one is revoked. */
function deployDraft(p: AccountPlan): ChangeDraft {
  const { key, sinkName } = p;
  return {
    id: `${p.prefix}deploy`,
    kind: "manual",
    target: `deploy the new API secret of ${key}`,
    reversible: true,
    idempotent: true,
    params: { ...p.base, role: "deploy", sinkName, created: ref(p.full(`${p.prefix}create`)) },
    dependsOn: [p.full(`${p.prefix}verify-new`)],
    manual: {
      instructions: deployInstructions(key, "(known after apply)", join(p.ctx.runDir, "secrets", sinkName)),
      evidence: [],
      verify: undefined,
    },
  };
}

/** One revoke per old secret (bar the one revoked first), each after everything in `revokeDeps`. */
function revokeDrafts(
  p: AccountPlan,
  revokeFirstId: string | undefined,
  revokeDeps: string[],
  delivered: boolean,
): ChangeDraft[] {
  const { ctx, key } = p;
  const newSecretId = ref(p.full(`${p.prefix}create`), "secretId");
  return p.account.secrets
    .filter((old) => old.id !== revokeFirstId)
    .map((old): ChangeDraft => ({
      id: `${p.prefix}revoke/${old.id}`,
      kind: "delete",
      target: `secret ${short(old.id)} of ${key}`,
      before: { apiKey: key, secret: p.meta(old) },
      after: null,
      reversible: false,
      idempotent: true,
      params: {
        ...p.base,
        role: "revoke",
        secretId: old.id,
        createdAt: old.createdAt,
        suspect: isSuspect(ctx, key, old, p.params.compromisedSince),
        knownSecretIds: p.knownIds,
        newSecretId,
      },
      precondition: `${key} still holds at least 2 secrets, among them ${old.id} and the new one`,
      dependsOn: [...revokeDeps],
      killsCredential: `API secret ${old.id} of ${key}`,
      // Said where the revoke is shown (plan, dry run, the step's confirm), before it happens: the decision is
      // the config's, and this names the key that changes it.
      ...(p.params.revoke === "immediately" && !delivered
        ? {
            warnings: [
              `revoked as soon as the new secret works: production still using this secret fails until it has the new one (from the sink); to deploy it first, set \`secrets.revoke: after-confirmation\` in the config`,
            ],
          }
        : {}),
    }));
}

/** After the revokes: (primary) proof that every old secret is rejected, then "one secret, the new one". */
function endDrafts(p: AccountPlan, revokeIds: string[], revokeFirst: string | undefined): ChangeDraft[] {
  const { key, sinkName } = p;
  const verifyNewId = p.full(`${p.prefix}verify-new`);
  const drafts: ChangeDraft[] = [];
  if (p.account.primary && revokeIds.length > 0) {
    const first = revokeFirst === undefined ? [] : [revokeFirst];
    const prove = proveRejectedDraft(key, p.base, p.params.propagationSeconds, [...revokeIds, ...first]);
    const proven = ref(verifyNewId, "provenAt");
    drafts.push({ ...prove, params: { ...prove.params, sinkName, proven } });
  }
  drafts.push({
    id: `${p.prefix}verify-end`,
    kind: "verify",
    target: `secrets of ${key}`,
    after: { apiKey: key, secrets: 1, newSecret: "(known after apply)" },
    reversible: true,
    idempotent: true,
    params: {
      ...p.base,
      role: "verify-end",
      sinkName,
      newSecretId: ref(p.full(`${p.prefix}create`), "secretId"),
    },
    dependsOn: [verifyNewId, ...revokeIds],
  });
  return drafts;
}

/** One account's rotation; its first change waits for `after` (a subaccount's: the primary's switch). */
async function planAccount(
  ctx: ActionContext,
  account: AccountToRotate,
  params: SecretsRotateParams,
  notes: string[],
  after: string[],
  audit: () => Promise<AuditLookup>,
): Promise<AccountDrafts> {
  const key = account.apiKey;
  const drafts: AccountDrafts = { prepare: [], deliver: [], deploy: [], finish: [] };
  if (account.secrets.length === 0) {
    notes.push(`account ${key}: lists no API secret; nothing to rotate`);
    return drafts;
  }
  if (account.secrets.length > MAX_SECRETS) {
    throw new InternalError(
      `account ${key} lists ${account.secrets.length} secrets; Vonage allows ${MAX_SECRETS}`,
    );
  }
  const p = accountPlan(ctx, account, params);
  let revokeFirstId: string | undefined;
  if (account.secrets.length === MAX_SECRETS) {
    const { secretId, draft } = await revokeFirstDraft(p, notes, after, audit);
    revokeFirstId = secretId;
    drafts.prepare.push(draft);
  } else if (params.revokeFirst !== undefined && account.secrets.some((s) => s.id === params.revokeFirst)) {
    notes.push(
      `account ${key}: secrets.revokeFirst ${params.revokeFirst} is its only secret, so it is revoked in the normal order (after the new secret works), never first`,
    );
  }
  const since = params.compromisedSince;
  const suspects = account.secrets.filter((s) => isSuspect(ctx, key, s, since));
  if (suspects.length > 0)
    notes.push(`account ${key}: suspect secrets: ${listing(ctx, key, suspects, since)}`);

  const revokeFirst =
    revokeFirstId === undefined ? undefined : p.full(`${p.prefix}revoke-first/${revokeFirstId}`);
  drafts.prepare.push(...newSecretDrafts(p, after, revokeFirst));
  const verifyNewId = p.full(`${p.prefix}verify-new`);
  drafts.deliver = secretDeliveries(ctx, account, p.sinkName, p.full(`${p.prefix}create`), verifyNewId);
  if (params.revoke === "after-confirmation") drafts.deploy.push(deployDraft(p));
  const revokeDeps = [
    verifyNewId,
    ...checkIdsOf(ctx),
    ...drafts.deliver.map((d) => p.full(d.id)),
    ...drafts.deploy.map((d) => p.full(d.id)),
  ];
  const revokes = revokeDrafts(p, revokeFirstId, revokeDeps, drafts.deliver.length > 0);
  drafts.finish.push(
    ...revokes,
    ...endDrafts(
      p,
      revokes.map((d) => p.full(d.id)),
      revokeFirst,
    ),
  );
  return drafts;
}

/** The primary and, with includeSubaccounts, every subaccount that is not suspended, with their secrets. */
async function accountsToRotate(
  ctx: ActionContext,
  params: SecretsRotateParams,
  notes: string[],
): Promise<AccountToRotate[]> {
  const primaryKey = ctx.gateway.apiKey;
  const accounts: AccountToRotate[] = [
    { apiKey: primaryKey, primary: true, secrets: await ctx.gateway.listSecrets(primaryKey) },
  ];
  if (!params.includeSubaccounts) return accounts;
  const subs = await ctx.gateway.listSubaccounts();
  if (!subs.available) {
    notes.push(
      `subaccounts not rotated: the Subaccounts API is not available for this account (${subs.reason})`,
    );
    return accounts;
  }
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
  return accounts;
}

/** A secrets.revokeFirst that names no secret of any account fails the plan, listing the candidates. */
function assertRevokeFirstKnown(
  ctx: ActionContext,
  params: SecretsRotateParams,
  accounts: AccountToRotate[],
): void {
  if (
    params.revokeFirst === undefined ||
    accounts.some((a) => a.secrets.some((s) => s.id === params.revokeFirst))
  )
    return;
  const full = accounts.filter((a) => a.secrets.length >= MAX_SECRETS);
  const candidates = (full.length > 0 ? full : accounts)
    .map((a) => `${a.apiKey}: ${listing(ctx, a.apiKey, a.secrets, params.compromisedSince)}`)
    .join("; ");
  throw new UsageError(
    `secrets.revokeFirst ${params.revokeFirst} is not a secret of any account being rotated; set secrets.revokeFirst in the config to one of: ${candidates}`,
    "copy the id from the list above, or remove secrets.revokeFirst",
  );
}

export async function plan(ctx: ActionContext, params: SecretsRotateParams): Promise<PlanResult> {
  const notes: string[] = [];
  const primaryKey = ctx.gateway.apiKey;
  const accounts = await accountsToRotate(ctx, params, notes);
  assertRevokeFirstKnown(ctx, params, accounts);
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
