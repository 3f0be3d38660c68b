// Before anything changes: a read-only snapshot of the account to evidence/ with a sha256 manifest, and the
// suspects (things created after the compromise time). Reads only; writes only local files.
// apply's phases: read the account, find the suspects (not our own secrets), lay out the files, write them
// (redacted, originals to the sink), then the manifest.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Action, ActionContext, PriorSecret } from "./action.js";
import type { JsonObject, JsonValue } from "../core/plan.js";
import { writePrivateFile } from "../security/private-file.js";
import { redact } from "../core/redact.js";
import type {
  AccountSettings,
  ApplicationRecord,
  AuditEvent,
  Availability,
  Balance,
  ExternalAccountRecord,
  NumberRecord,
  SecretMeta,
  SubaccountRecord,
} from "../vonage/gateway.js";
import { findSuspects, type Suspect } from "./find-suspects.js";

export const evidenceSnapshotParams = z.strictObject({
  /** ISO date-time of the compromise: anything created after it is a suspect. */
  compromisedSince: z.iso.datetime({ offset: true }).optional(),
});

/** Everything the snapshot reads, the primary's secrets first in `secrets`. */
interface AccountRead {
  primarySecrets: SecretMeta[];
  secrets: { apiKey: string; secrets: SecretMeta[] }[];
  applications: ApplicationRecord[];
  numbers: NumberRecord[];
  subaccounts: Availability<SubaccountRecord[]>;
  balance: Balance;
  settings: AccountSettings;
  audit: Availability<AuditEvent[]>;
  externalAccounts: Availability<ExternalAccountRecord[]>;
}

export const evidenceSnapshot: Action<z.infer<typeof evidenceSnapshotParams>> = {
  id: "evidence.snapshot",
  title: "Preserve evidence: a read-only snapshot of the account",
  why: "what the attacker touched must be recorded before containment changes it",
  params: evidenceSnapshotParams,
  async plan(_ctx, params) {
    return {
      changes: [
        {
          id: "snapshot",
          kind: "write-file",
          target: "evidence/",
          reversible: true,
          idempotent: true,
          params: { compromisedSince: params.compromisedSince ?? null },
        },
      ],
    };
  },
  describe: (change) =>
    `snapshot secrets metadata, applications, numbers, external accounts, subaccounts, balance, callbacks and audit events to ${change.target}${change.params.compromisedSince ? ` (suspects: created after ${String(change.params.compromisedSince)})` : ""}`,
  async apply(ctx, change) {
    const since =
      typeof change.params.compromisedSince === "string" ? change.params.compromisedSince : undefined;
    const read = await readAccount(ctx, since);
    // Messenger's page access token is a credential: never in the evidence, never in any output.
    if (read.externalAccounts.available)
      for (const account of read.externalAccounts.value)
        if (account.accessToken !== undefined) ctx.registerSecret(account.accessToken);
    const suspects = suspectsNotOurs(since, read, ctx.priorRuns.secretsCreated);
    const files = evidenceFiles(read, suspects);
    const dir = join(ctx.runDir, "evidence");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { manifest, originals } = await writeEvidenceFiles(ctx, dir, files);
    const manifestSha256 = await writeManifest(dir, manifest, originals, {
      takenAt: ctx.clock.now().toISOString(),
      account: ctx.gateway.apiKey,
      compromisedSince: since ?? null,
    });
    const { primarySecrets, applications, numbers, externalAccounts, subaccounts, balance, audit } = read;
    const summary: JsonObject = {
      manifestSha256,
      files: Object.keys(files).length,
      secrets: primarySecrets.length,
      applications: applications.length,
      numbers: numbers.length,
      linkedNumbers: numbers.filter((n) => n.appId !== undefined).length,
      externalAccounts: externalAccounts.available ? externalAccounts.value.length : "unavailable",
      subaccounts: subaccounts.available ? subaccounts.value.length : "unavailable",
      autoReload: balance.autoReload,
      auditEvents: audit.available ? audit.value.length : "unavailable",
      suspects: suspects as unknown as JsonValue,
    };
    return {
      status: "done",
      output: summary,
      note: `${applications.length} applications, ${numbers.length} numbers, ${suspects.length} suspect(s); manifest sha256 ${manifestSha256.slice(0, 16)}…`,
    };
  },
};

/** Reads only. */
async function readAccount(ctx: ActionContext, since: string | undefined): Promise<AccountRead> {
  const gateway = ctx.gateway;
  // All at once: the gateway's scheduler paces them; one by one, each would wait a full round trip. Each
  // subaccount's secrets are read as soon as the subaccount list is in, not after the slowest other read.
  const subaccountsRead = gateway.listSubaccounts();
  const [
    primarySecrets,
    applications,
    numbers,
    subaccounts,
    balance,
    settings,
    audit,
    subSecrets,
    externalAccounts,
  ] = await Promise.all([
    gateway.listSecrets(gateway.apiKey),
    gateway.listApplications((done, total) => ctx.progress(done, total, "applications")),
    gateway.listNumbers({}, (done, total) => ctx.progress(done, total, "numbers")),
    subaccountsRead,
    gateway.getBalance(),
    gateway.getAccountSettings(),
    gateway.listAuditEvents(since === undefined ? {} : { since }),
    subaccountsRead.then((found) =>
      found.available
        ? Promise.all(
            found.value.map(async (sub) => ({
              apiKey: sub.apiKey,
              secrets: await gateway.listSecrets(sub.apiKey).catch((): SecretMeta[] => []),
            })),
          )
        : [],
    ),
    gateway.listExternalAccounts(),
  ]);
  return {
    primarySecrets,
    secrets: [{ apiKey: gateway.apiKey, secrets: primarySecrets }, ...subSecrets],
    applications,
    numbers,
    subaccounts,
    balance,
    settings,
    audit,
    externalAccounts,
  };
}

/** A secret a vonage-ir run created (an earlier run's, awaiting deployment) is never a suspect, nor its creation. */
function suspectsNotOurs(
  since: string | undefined,
  read: AccountRead,
  ours: readonly PriorSecret[],
): Suspect[] {
  const { secrets, audit } = read;
  const notOurs = secrets.map((a) => ({
    apiKey: a.apiKey,
    secrets: a.secrets.filter((s) => !ours.some((p) => p.apiKey === a.apiKey && p.secretId === s.id)),
  }));
  const notOurEvents: typeof audit = audit.available
    ? {
        available: true,
        value: audit.value.filter(
          (e) =>
            e.eventType !== "ACCOUNT_SECRET_CREATE" ||
            !ours.some((p) => JSON.stringify(e.raw).includes(p.secretId)),
        ),
      }
    : audit;
  return findSuspects(since, notOurs, read.subaccounts, notOurEvents);
}

/** The evidence files by name, in the manifest's order. */
function evidenceFiles(read: AccountRead, suspects: Suspect[]): Record<string, unknown> {
  const { secrets, applications, numbers, externalAccounts, subaccounts, balance, settings, audit } = read;
  return {
    "secrets.json": secrets,
    "applications.json": applications.map((a) => ({
      id: a.id,
      name: a.name,
      public_key: a.publicKey,
      ...a.config,
    })),
    "numbers.json": numbers.map((n) => n.raw),
    "external-accounts.json": externalAccounts.available
      ? externalAccounts.value.map((a) => a.raw)
      : { unavailable: externalAccounts.reason },
    "subaccounts.json": subaccounts.available
      ? subaccounts.value.map((s) => s.raw)
      : { unavailable: subaccounts.reason },
    "balance.json": balance,
    "account-settings.json": settings.raw,
    "audit-events.json": audit.available ? audit.value.map((e) => e.raw) : { unavailable: audit.reason },
    "suspects.json": suspects,
  };
}

/** Writes each file redacted; returns each file's sha256 and where the unredacted originals went. */
async function writeEvidenceFiles(
  ctx: ActionContext,
  dir: string,
  files: Record<string, unknown>,
): Promise<{
  manifest: Record<string, string>;
  originals: Record<string, { sink: string; sha256: string }>;
}> {
  const manifest: Record<string, string> = {};
  const originals: Record<string, { sink: string; sha256: string }> = {};
  for (const [name, content] of Object.entries(files)) {
    const original = `${JSON.stringify(content, null, 2)}\n`;
    // Evidence is shown, copied and attached to tickets: credentials in it (the password of a webhook URL's
    // userinfo) are redacted, and the original goes to the sink, named by its hash (a resume may see another).
    const text = `${JSON.stringify(redact(content), null, 2)}\n`;
    if (text !== original) {
      const sha256 = createHash("sha256").update(original).digest("hex");
      const sinkName = `evidence-${sha256.slice(0, 12)}-${name}`;
      await ctx.sink.write(sinkName, original);
      originals[name] = { sink: join(ctx.sink.dir, sinkName), sha256 };
    }
    await writePrivateFile(join(dir, name), text);
    manifest[name] = createHash("sha256").update(text).digest("hex");
  }
  return { manifest, originals };
}

/** Writes manifest.json; returns its sha256 (the report pins it). */
async function writeManifest(
  dir: string,
  manifest: Record<string, string>,
  originals: Record<string, { sink: string; sha256: string }>,
  meta: { takenAt: string; account: string; compromisedSince: string | null },
): Promise<string> {
  const redacted =
    Object.keys(originals).length === 0
      ? {}
      : {
          redacted: {
            why: "these files held credentials (e.g. webhook URL passwords): the copies here show them as [redacted]; each original is in the sink file named here (mode 0600)",
            originals,
          },
        };
  const manifestText = `${JSON.stringify({ ...meta, sha256: manifest, ...redacted }, null, 2)}\n`;
  await writePrivateFile(join(dir, "manifest.json"), manifestText);
  return createHash("sha256").update(manifestText).digest("hex");
}
