// What applications.recreate and applications.rekey share: which applications are selected, where an
// application's backup and new private key go, the key pairs generated ahead, and the id map both write.
import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { confinedPath } from "../security/confined-path.js";
import { KeyPairPool, publicKeyFingerprint, publicKeyOf } from "../security/index.js";
import { writePrivateFile } from "../security/private-file.js";
import type { ApplicationRecord } from "../vonage/gateway.js";
import { ref, resolveRef, type ActionContext } from "./action.js";
import { type ChangeDraft, type JsonObject, type JsonValue } from "../core/plan.js";
import { webhookDecisionsParam } from "./resolve-webhook-decisions.js";

export const applicationSelectionParams = z.strictObject({
  /** Application ids or names to act on (default: all). */
  include: z.array(z.string().min(1)).optional(),
  /** Application ids or names to leave alone. */
  exclude: z.array(z.string().min(1)).optional(),
});
export type ApplicationSelection = z.infer<typeof applicationSelectionParams>;

/** The params of both strategies: which applications, and what to do with their suspect webhooks. */
export const applicationStepParams = applicationSelectionParams.extend({
  /** The operator's own webhook hosts (exact, or `*.example.com`): any other host is a suspect. */
  allowedHosts: z.array(z.string().min(1)).optional(),
  /** What to do with a suspect webhook: `<url or host> keep | clear | replace <https url>`. */
  webhookDecisions: webhookDecisionsParam.optional(),
  /** Without allowedHosts: hosts only in applications created or changed after it are the suspects. */
  compromisedSince: z.string().optional(),
});
export type ApplicationStepParams = z.infer<typeof applicationStepParams>;

/** The file both strategies write: one entry per application, old id → new id (the same id for a rekey). */
export const ID_MAP_FILE = "application-id-map.json";

export interface IdMapEntry {
  oldId: string;
  newId: string;
  name: string;
  keyPath: string;
  publicKeyFingerprint: string;
}

/**
 * Key pairs generated ahead, so RSA generation overlaps the API calls. Each backup's prepare announces one: prepare
 * runs only when changes are applied, so a dry run or `plan` generates no key it would never use.
 */
export const replacementKeyPairs = new KeyPairPool();

/** The sink file of an application's new private key: named after the application that uses it. */
export function sinkNameFor(appId: string): string {
  return `app-${appId}.key`;
}

/** Refuses (exit 4) an id that would place the backup outside the run directory (`../..`, `a/b`). */
export function backupPathFor(runDir: string, appId: string): string {
  return confinedPath(runDir, "evidence", "applications", `${appId}.json`);
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is ignored for a directory that exists already (evidence/applications/ from an earlier attempt,
  // or made by hand): set it on the directory itself, never through a symlink.
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
  await writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function matches(app: ApplicationRecord, selectors: readonly string[]): boolean {
  return selectors.includes(app.id) || selectors.includes(app.name);
}

/** The applications `params` select from `apps`, and a note for each selector that matches none. */
export function selectApplications(
  apps: readonly ApplicationRecord[],
  params: ApplicationSelection,
): { selected: ApplicationRecord[]; notes: string[] } {
  const include = params.include;
  const exclude = params.exclude ?? [];
  const notes: string[] = [];
  for (const selector of [...(include ?? []), ...exclude]) {
    if (!apps.some((app) => app.id === selector || app.name === selector)) {
      notes.push(`no application has the id or name "${selector}"`);
    }
  }
  const selected = apps.filter(
    (app) => (include === undefined || matches(app, include)) && !matches(app, exclude),
  );
  return { selected, notes };
}

export function safeFingerprint(pem: string): string | undefined {
  try {
    return publicKeyFingerprint(pem);
  } catch {
    return undefined;
  }
}

/**
 * The new key pair of application `appId`, its private key written to the sink (before the intent that announces
 * its use). A prepare whose intent never reached the journal left its key in the sink: it is reused (nothing used
 * it, since apply only runs after the intent), rather than fight the sink's no-overwrite rule.
 */
export async function prepareApplicationKey(
  ctx: ActionContext,
  appId: string,
  sinkName: string = sinkNameFor(appId),
): Promise<JsonObject> {
  let publicKeyPem: string;
  let keyPath: string;
  if (await ctx.sink.exists(sinkName)) {
    const privateKeyPem = await ctx.sink.read(sinkName);
    publicKeyPem = publicKeyOf(privateKeyPem);
    keyPath = join(ctx.sink.dir, sinkName);
  } else {
    const pair = await replacementKeyPairs.take();
    ctx.registerSecret(pair.privateKeyPem);
    keyPath = (await ctx.sink.write(sinkName, pair.privateKeyPem)).path;
    publicKeyPem = pair.publicKeyPem;
  }
  return { sinkName, keyPath, publicKeyPem, publicKeyFingerprint: publicKeyFingerprint(publicKeyPem) };
}

/**
 * Writes the id map to the run directory from the outputs of the changes that gave each application its key (a
 * recreate's creates, a rekey's key changes: both output oldId, newId, name, keyPath, publicKeyFingerprint); returns
 * the change's output.
 */
export async function writeIdMap(ctx: ActionContext, changeIds: readonly JsonValue[]): Promise<JsonObject> {
  const entries: IdMapEntry[] = changeIds.map((id) => {
    const o = (resolveRef(ctx.outputs, ref(str(id))) ?? {}) as JsonObject;
    return {
      oldId: str(o.oldId),
      newId: str(o.newId),
      name: str(o.name),
      keyPath: str(o.keyPath),
      publicKeyFingerprint: str(o.publicKeyFingerprint),
    };
  });
  const path = join(ctx.runDir, ID_MAP_FILE);
  await writeJson(path, entries);
  return { path, count: entries.length };
}

export function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

/** An id as plans show it: its first 8 characters. */
export function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/** Which of its action's operations a change is (`params.op`). */
export function opOf<Op extends string>(change: ChangeDraft): Op | undefined {
  const op = change.params.op;
  return typeof op === "string" ? (op as Op) : undefined;
}
