// `secrets.rotate`: replace every API secret of the primary (and optionally each subaccount) with one
// generated here. Order is the safety argument: new secret in the sink → created → proven → switched to →
// only then the old ones revoked; the last secret is never revoked (ARCHITECTURE.md, invariant 2).
// Its phases: secrets-plan.ts (and secrets-revoke-first.ts), secrets-apply.ts, secrets-reconcile.ts.
import { API_SECRET_LENGTH } from "../security/index.js";
import type { Action, ActionContext, PriorChange, UndoPlan } from "./action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import { describeDelivery, undoDelivery } from "./deliver-credentials.js";
import { describeCheck } from "./service-checks.js";
import { describeProveRejected } from "./prove-secret-rejected.js";
import {
  isPrimary,
  roleOf,
  secretsRotateParams,
  short,
  str,
  type SecretsRotateParams,
} from "./secrets-changes.js";
import { plan } from "./secrets-plan.js";
import { apply, checkPrecondition, prepare, readNewSecret } from "./secrets-apply.js";
import { reconcile, reverify } from "./secrets-reconcile.js";

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
