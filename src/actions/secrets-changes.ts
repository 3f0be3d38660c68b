// What the phases of `secrets.rotate` (secrets-plan.ts, secrets-apply.ts, secrets-reconcile.ts) share: its
// params, the roles of its changes and how a change's params are read, and which secrets are suspects.
import { z } from "zod";
import { InternalError } from "../core/errors.js";
import type { SecretMeta } from "../vonage/gateway.js";
import type { ActionContext, PriorSecret } from "./action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import { resolveRef } from "./action.js";

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
export const MAX_SECRETS = 2;

export type Role =
  | "revoke-first"
  | "create"
  | "verify-new"
  | "deliver"
  | "check"
  | "deploy"
  | "revoke"
  | "prove-rejected"
  | "verify-end";

export interface AccountToRotate {
  apiKey: string;
  primary: boolean;
  secrets: SecretMeta[];
}

export function deployInstructions(key: string, print: string, path: string): string {
  return `Deploy the new API secret (fingerprint ${print}, file ${path}) to every service that uses API key ${key}, then confirm. The old secret keeps working until then.`;
}

export function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

export function str(params: JsonObject, key: string): string {
  const value = params[key];
  if (typeof value !== "string")
    throw new InternalError(`secrets.rotate: change parameter ${key} is missing`);
  return value;
}

export function roleOf(change: ChangeDraft): Role {
  return str(change.params, "role") as Role;
}

export function isPrimary(change: ChangeDraft): boolean {
  return change.params["primary"] === true;
}

/** The vonage-ir run that created this secret (its journal is in the out directory), if any. */
export function createdByRun(ctx: ActionContext, apiKey: string, secretId: string): PriorSecret | undefined {
  return ctx.priorRuns.secretsCreated.find((s) => s.apiKey === apiKey && s.secretId === secretId);
}

/** Created after the compromise began, and not by a vonage-ir run (ours are never suspects). */
export function isSuspect(
  ctx: ActionContext,
  apiKey: string,
  secret: SecretMeta,
  since: string | undefined,
): boolean {
  if (since === undefined || createdByRun(ctx, apiKey, secret.id)) return false;
  const created = Date.parse(secret.createdAt);
  return !Number.isNaN(created) && created > Date.parse(since);
}

export function listing(
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

/** The new secret's id, from the output of its create change (known after apply). */
export function newSecretIdOf(ctx: ActionContext, change: Change): string {
  const value = resolveRef(ctx.outputs, change.params["newSecretId"] ?? null);
  if (typeof value !== "string") throw new InternalError(`${change.id}: the new secret's id is not known`);
  return value;
}
