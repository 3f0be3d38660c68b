// The apply phase of `applications.recreate`, one change at a time: the backup, the replacement's create
// (its key renamed in the sink once it has an id), the moves of numbers and external accounts, the proof
// nothing is left, the delete (and its precondition), the id map.
import { VonageApiError } from "../core/errors.js";
import type { ApplicationConfig, ExternalAccountRecord } from "../vonage/gateway.js";
import { resolveRef, type ActionContext, type ApplyOutcome } from "./action.js";
import type { Change, JsonObject, JsonValue } from "../core/plan.js";
import { withWebhookCredentials } from "./with-webhook-credentials.js";
import {
  backupPathFor,
  safeFingerprint,
  sinkNameFor,
  str,
  writeIdMap,
  writeJson,
} from "./application-keys.js";
import {
  accountLabel,
  accountsLinkedTo,
  mapBounded,
  pendingSinkNameFor,
  readExternalAccounts,
  type Op,
} from "./recreate-changes.js";

/** Number links run concurrently within one relink, bounded so one big application cannot starve the rest. */
const RELINK_CONCURRENCY = 4;
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

/** Before a delete: what still links to the old application (unread if this process just verified it). */
export async function deletePrecondition(ctx: ActionContext, change: Change): Promise<string | undefined> {
  const oldId = str(change.params.oldId);
  // The verify change this delete depends on read exactly this a moment ago, in this process: reading it
  // again would only double the requests. After a resume, or once stale, it is read again.
  const verifiedAt = verifiedIn(ctx).get(oldId);
  verifiedIn(ctx).delete(oldId);
  if (verifiedAt !== undefined && performance.now() - verifiedAt < VERIFIED_FRESH_MS) return undefined;
  const left = await stillLinked(ctx, oldId);
  return left === undefined ? undefined : `${left}: it is not deleted`;
}

/** Once the replacement has an id, its private key takes that id's name in the sink (see sinkNameFor). */
export async function createOutput(
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

function resolvedNewId(ctx: ActionContext, change: Change): string {
  const value = resolveRef(ctx.outputs, change.params.newId ?? null);
  if (typeof value !== "string" || value === "") {
    throw new Error(`the replacement of application ${str(change.params.oldId)} is not known`);
  }
  return value;
}

export async function applyBackup(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const oldId = str(change.params.oldId);
  const path = backupPathFor(ctx.runDir, oldId);
  await writeJson(path, {
    application: change.params.application ?? null,
    linkedNumbers: change.params.linkedNumbers ?? [],
  });
  const accounts = accountKeys(change.params.linkedExternalAccounts).map((a) => ({ ...a }));
  return { status: "done", output: { path, externalAccounts: accounts } };
}

export async function applyCreate(
  ctx: ActionContext,
  change: Change,
  prepared: JsonObject,
): Promise<ApplyOutcome> {
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

export async function applyRelink(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
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
export async function applyChannels(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
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

export async function applyVerify(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
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

export async function applyDelete(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
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

export async function applyIdMap(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const ids = Array.isArray(change.params.creates) ? change.params.creates : [];
  return { status: "done", output: await writeIdMap(ctx, ids) };
}
