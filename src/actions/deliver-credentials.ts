// Delivery of a new credential to the places services read it (the config's `deliver:`): one change per target
// per credential, planned by the action that makes the credential (secrets.rotate, applications.rekey) right
// after the change that puts it in place. The value is read from the sink and goes to an `exec` target's stdin
// or into a `dotenv` file, never anywhere else; a crash between intent and done delivers again (idempotent).
import { resolve } from "node:path";
import { enclosingGitTree } from "../security/private-file.js";
import { messageOf } from "../core/errors.js";
import { redact } from "../core/redact.js";
import type { DeliverTarget } from "./delivery-config.js";
import { targetLabel } from "./delivery-config.js";
import { describeEnd, runCommand } from "../security/run-command.js";
import { writeDotenv } from "../security/write-dotenv.js";
import type { ActionContext, ApplyOutcome, PriorChange, UndoPlan } from "./action.js";
import type { Change, ChangeDraft, JsonObject, JsonValue } from "../core/plan.js";
import { resolveRef } from "./action.js";

export type DeliveredItem = "api-secret" | "application-key";

/** A credential as the planning action knows it, before it exists. */
export interface CredentialToDeliver {
  item: DeliveredItem;
  /** The API key the secret belongs to; for an application key, the account's. */
  apiKey: string;
  /** An API secret of the primary account (not a subaccount's). */
  primary: boolean;
  application?: { id: string; name: string } | undefined;
  /** Where the new value is in the sink: a name, or a reference to the output field that names it. */
  sinkName: string | JsonObject;
  /** The application id the services must use, when known only after apply (a recreate's new id). */
  applicationIdRef?: JsonObject | undefined;
  /** Full id of the change after which the credential is in place (its output has the fingerprint). */
  after: string;
  /** The field of that change's output (or of `fingerprintFrom`'s) holding the fingerprint. */
  fingerprintField: string;
  fingerprintFrom?: string | undefined;
}

/** Whether a `for:` selector of the config names this credential. */
export function selects(selector: string, credential: CredentialToDeliver): boolean {
  if (selector === "api-secret") return credential.item === "api-secret" && credential.primary;
  if (selector.startsWith("subaccount:"))
    return (
      credential.item === "api-secret" &&
      !credential.primary &&
      credential.apiKey === selector.slice("subaccount:".length)
    );
  const app = selector.slice("application:".length);
  return (
    credential.item === "application-key" &&
    (credential.application?.id === app || credential.application?.name === app)
  );
}

function whose(credential: CredentialToDeliver): string {
  return credential.application ? credential.application.id : credential.apiKey;
}

/** The delivery changes of one credential, one per configured target that wants it; `base` tags them. */
export function deliveryDrafts(
  ctx: ActionContext,
  credential: CredentialToDeliver,
  base: JsonObject,
): ChangeDraft[] {
  const targets = ctx.delivery?.config?.targets ?? [];
  return targets
    .filter((t) => t.for.some((selector) => selects(selector, credential)))
    .map((target) => {
      const label = targetLabel(target);
      return {
        id: `deliver/${label}/${whose(credential)}`,
        kind: "deliver",
        target: `${credential.item} of ${whose(credential)} at ${label}`,
        reversible: true,
        idempotent: true,
        params: {
          ...base,
          item: credential.item,
          apiKey: credential.apiKey,
          applicationId: credential.applicationIdRef ?? credential.application?.id ?? null,
          shownAs: whose(credential),
          name: credential.application?.name ?? null,
          sinkName: credential.sinkName,
          fingerprint: {
            $ref: credential.fingerprintFrom ?? credential.after,
            field: credential.fingerprintField,
          },
          placedBy: credential.after,
          label,
          deliver: target as unknown as JsonObject,
        },
        dependsOn: [credential.after],
      } satisfies ChangeDraft;
    });
}

/**
 * The deliveries of an application's new private key (tagged `op: "deliver"` for the action that plans them):
 * `sinkName` where the key is, `after` the change that put it in place (its output has the public key's
 * fingerprint), `applicationIdRef` when the application gets a new id (recreate).
 */
export function applicationKeyDeliveries(
  ctx: ActionContext,
  app: { id: string; name: string },
  key: { sinkName: string | JsonObject; after: string; applicationIdRef?: JsonObject | undefined },
): ChangeDraft[] {
  return deliveryDrafts(
    ctx,
    {
      item: "application-key",
      apiKey: ctx.gateway.apiKey,
      primary: false,
      application: { id: app.id, name: app.name },
      sinkName: key.sinkName,
      ...(key.applicationIdRef === undefined ? {} : { applicationIdRef: key.applicationIdRef }),
      after: key.after,
      fingerprintField: "publicKeyFingerprint",
    },
    { op: "deliver" },
  );
}

export function describeDelivery(change: ChangeDraft): string {
  const p = change.params;
  return `deliver ${String(p.item)} of ${String(p.shownAs)} to ${String(p.label)}`;
}

/**
 * What `vonage-ir restore` says about a delivery an earlier run completed: it stays. The target was given the new
 * credential; putting the old one back would hand it the compromised credential, so restore never does.
 */
export function undoDelivery(change: PriorChange): UndoPlan | undefined {
  if (change.kind !== "deliver") return undefined;
  const p = (change.params ?? {}) as JsonObject;
  return {
    kind: "irreversible",
    reason: `the target keeps the new value: ${String(p.label ?? change.target)} (${String(p.item)} of ${String(p.shownAs)}); its old value was the compromised credential, which restore never puts back`,
  };
}

function stringParam(params: JsonObject, key: string): string {
  const value = params[key];
  return typeof value === "string" ? value : "";
}

/** The VONAGE_IR_* metadata a target's command receives; never the value itself. */
function metadataEnv(ctx: ActionContext, change: Change, fingerprint: string): Record<string, string> {
  const p = change.params;
  return {
    VONAGE_IR_ITEM: stringParam(p, "item"),
    VONAGE_IR_API_KEY: stringParam(p, "apiKey"),
    VONAGE_IR_APPLICATION_ID: resolvedString(ctx, p.applicationId),
    VONAGE_IR_FINGERPRINT: fingerprint,
    VONAGE_IR_RUN_ID: ctx.runId,
  };
}

/** Output of a target, redacted and trimmed to its last lines, for messages and the journal. */
export function shownOutput(stdout: string, stderr: string): string {
  const text = redact(`${stdout}${stdout && stderr ? "\n" : ""}${stderr}`).trim();
  const lines = text.split("\n");
  return lines.length > 20 ? lines.slice(-20).join("\n") : text;
}

/** One attempt: undefined when the target took the value, else why not. */
async function deliverOnce(
  ctx: ActionContext,
  change: Change,
  target: DeliverTarget,
  value: string,
  fingerprint: string,
): Promise<string | undefined> {
  if (target.dotenv) {
    try {
      await writeDotenv(resolve(target.dotenv.file), target.dotenv.key, value, {
        create: target.dotenv.create === true,
      });
      return undefined;
    } catch (error) {
      return redact(messageOf(error));
    }
  }
  const timeoutMs = target.timeoutSeconds * 1000;
  const result = await runCommand({
    argv: target.exec ?? [],
    stdin: value,
    env: { ...ctx.delivery?.baseEnv, ...metadataEnv(ctx, change, fingerprint) },
    timeoutMs,
    signal: ctx.signal,
  });
  const output = shownOutput(result.stdout, result.stderr);
  if (output) ctx.emit({ kind: "info", message: `${describeDelivery(change)}: ${output}` });
  if (result.code === 0 && !result.timedOut) return undefined;
  return `${describeEnd(result, timeoutMs)}${output ? `: ${output}` : ""}`;
}

function resolvedString(ctx: ActionContext, value: JsonValue | undefined): string {
  const resolved = value === undefined ? null : resolveRef(ctx.outputs, value);
  return typeof resolved === "string" ? resolved : "";
}

/** Delivers with retries (exponential backoff); still failing after them, the change is pending (exit 3). */
export async function applyDelivery(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const target = change.params.deliver as unknown as DeliverTarget;
  const stored = await ctx.sink.read(resolvedString(ctx, change.params.sinkName));
  // A secret is one token; a PEM keeps its final newline (some readers want it).
  const value = change.params.item === "api-secret" ? stored.trim() : stored;
  ctx.registerSecret(value);
  // A store's CLI may echo what it stored, base64-encoded (Kubernetes manifests do): redacted too.
  ctx.registerSecret(Buffer.from(value).toString("base64").replace(/=+$/, ""));
  const fingerprint = resolvedString(ctx, change.params.fingerprint);
  let failure: string | undefined;
  let attempt = 0;
  for (; attempt <= target.retries; attempt++) {
    if (attempt > 0) await ctx.clock.sleep(target.backoffSeconds * 1000 * 2 ** (attempt - 1), ctx.signal);
    failure = await deliverOnce(ctx, change, target, value, fingerprint);
    if (failure === undefined) break;
  }
  if (failure !== undefined) {
    // Pending, not failed: the old credential stays alive (its revoke depends on this delivery) and the later
    // steps, which stop the spend, still run; a resume delivers again.
    const kept =
      change.params.item === "api-secret"
        ? "the old API secret was not revoked (nothing that depends on this delivery was applied)"
        : "nothing that depends on this delivery was applied";
    const resume = ctx.resumeCommand ? `, then resume: ${ctx.resumeCommand}` : ", then resume the run";
    return {
      status: "pending",
      reason: `${describeDelivery(change)} failed after ${attempt} attempt(s): ${failure}; ${kept}: fix the target ${stringParam(change.params, "label")}${resume}`,
    };
  }
  const placed = ctx.outputs.get(stringParam(change.params, "placedBy"));
  const placedAt = typeof placed?.placedAt === "string" ? Date.parse(placed.placedAt) : Number.NaN;
  const now = ctx.clock.now();
  const gapMs = Number.isNaN(placedAt) ? undefined : now.getTime() - placedAt;
  const warning = target.dotenv ? await gitWarning(target.dotenv.file) : undefined;
  if (warning) ctx.emit({ kind: "warning", message: warning });
  return {
    status: "done",
    output: {
      target: stringParam(change.params, "label"),
      fingerprint,
      attempts: attempt + 1,
      deliveredAt: now.toISOString(),
      ...(gapMs === undefined ? {} : { gapMs }),
    },
    note: [
      attempt > 0 ? `delivered on attempt ${attempt + 1}` : "delivered",
      gapMs === undefined ? undefined : `${(gapMs / 1000).toFixed(1)} s after the key was replaced`,
      warning,
    ]
      .filter((n) => n !== undefined)
      .join("; "),
  };
}

/** A .env inside a git work tree can be committed with its secret: said, not refused (the operator chose it). */
async function gitWarning(file: string): Promise<string | undefined> {
  const tree = await enclosingGitTree(resolve(file, ".."));
  return tree === undefined
    ? undefined
    : `warning: ${file} is inside the git work tree ${tree}: make sure it is ignored (a commit would carry the secret)`;
}
