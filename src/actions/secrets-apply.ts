// The apply phase of `secrets.rotate`, one change at a time: its precondition, the new secret into the sink
// (prepare), then per role the create, the proof, the switch and the revokes, the last secret never revoked.
import { DriftError, InternalError, VonageApiError } from "../core/errors.js";
import { fingerprint, generateApiSecret } from "../security/index.js";
import type { SecretMeta } from "../vonage/gateway.js";
import type { ActionContext, ApplyOutcome } from "./action.js";
import type { Change, JsonObject } from "../core/plan.js";
import { resolveRef } from "./action.js";
import { runManualChange } from "./manual.js";
import { applyDelivery } from "./deliver-credentials.js";
import { applyCheck } from "./service-checks.js";
import { proveSecretRejected } from "./prove-secret-rejected.js";
import { MAX_SECRETS, deployInstructions, isPrimary, newSecretIdOf, roleOf, str } from "./secrets-changes.js";

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

/** Read right before the change: what makes it unsafe now (the secrets are no longer as planned). */
export async function checkPrecondition(ctx: ActionContext, change: Change): Promise<string | undefined> {
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

export async function prepare(ctx: ActionContext, change: Change): Promise<JsonObject> {
  if (roleOf(change) !== "create") return {};
  const sinkName = str(change.params, "sinkName");
  // A retry after a failed attempt reuses the value already in the sink (it may even have reached Vonage).
  const value = (await ctx.sink.exists(sinkName)) ? await ctx.sink.read(sinkName) : generateApiSecret();
  ctx.registerSecret(value);
  const written = await ctx.sink.write(sinkName, value);
  return { sinkName, fingerprint: written.fingerprint, path: written.path };
}

export async function readNewSecret(ctx: ActionContext, change: Change): Promise<string> {
  const value = await ctx.sink.read(str(change.params, "sinkName"));
  ctx.registerSecret(value);
  return value;
}

export async function apply(ctx: ActionContext, change: Change, prepared: JsonObject): Promise<ApplyOutcome> {
  if (change.kind === "manual") return runManualChange(ctx, withDeployFacts(ctx, change), new Map());
  const key = str(change.params, "apiKey");
  switch (roleOf(change)) {
    case "revoke-first":
      return applyRevokeFirst(ctx, change, key);
    case "create":
      return applyCreate(ctx, key, prepared);
    case "verify-new":
      return applyVerifyNew(ctx, change, key);
    case "revoke":
      return applyRevoke(ctx, change, key);
    case "verify-end":
      return applyVerifyEnd(ctx, change, key);
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

async function applyRevokeFirst(ctx: ActionContext, change: Change, key: string): Promise<ApplyOutcome> {
  const id = str(change.params, "secretId");
  await revokeUnlessGone(ctx, key, id);
  if (isPrimary(change)) await assertCurrentCredentialsWork(ctx, id);
  return { status: "done", output: { apiKey: key, revokedSecretId: id } };
}

async function applyCreate(ctx: ActionContext, key: string, prepared: JsonObject): Promise<ApplyOutcome> {
  const sinkName = str(prepared, "sinkName");
  const value = await ctx.sink.read(sinkName);
  ctx.registerSecret(value);
  const created = await ctx.gateway.createSecret(key, value);
  return { status: "done", output: createOutput(key, created, prepared) };
}

/** The new secret must authenticate before anything is revoked; the primary's client switches to it. */
async function applyVerifyNew(ctx: ActionContext, change: Change, key: string): Promise<ApplyOutcome> {
  const primary = isPrimary(change);
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

async function applyRevoke(ctx: ActionContext, change: Change, key: string): Promise<ApplyOutcome> {
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

/** The account ends with exactly one secret, the new one, and it authenticates. */
async function applyVerifyEnd(ctx: ActionContext, change: Change, key: string): Promise<ApplyOutcome> {
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

function provenAtOf(ctx: ActionContext, change: Change): string | undefined {
  const proven = change.params["proven"];
  const value = proven === undefined ? undefined : resolveRef(ctx.outputs, proven);
  return typeof value === "string" ? value : undefined;
}

export function createOutput(key: string, created: SecretMeta, prepared: JsonObject): JsonObject {
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
export async function assertCurrentCredentialsWork(ctx: ActionContext, revokedId: string): Promise<void> {
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
