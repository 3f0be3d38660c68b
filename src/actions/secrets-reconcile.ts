// `secrets.rotate` on resume and after: whether a change cut short by a crash took effect (reconcile), and
// whether "one secret, the new one" still holds at the end of every attempt (reverify).
import { DriftError, VonageApiError } from "../core/errors.js";
import type { SecretMeta } from "../vonage/gateway.js";
import type { ActionContext, ApplyOutcome } from "./action.js";
import type { Change, JsonObject } from "../core/plan.js";
import { createdByRun, isPrimary, listing, newSecretIdOf, roleOf, str } from "./secrets-changes.js";
import { assertCurrentCredentialsWork, createOutput } from "./secrets-apply.js";

export async function reconcile(
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
export async function reverify(
  ctx: ActionContext,
  change: Change,
  output: JsonObject,
): Promise<string | undefined> {
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
