// How `secrets.rotate` picks which of two secrets to revoke before it can create one (Vonage allows 2): the
// evidence of who created each (vonage-ir runs, age, the audit log), then the config, the operator or a stop.
import { AbortError, InternalError, UsageError, messageOf } from "../core/errors.js";
import type { AuditEvent, SecretMeta } from "../vonage/gateway.js";
import type { ActionContext } from "./action.js";
import {
  createdByRun,
  isSuspect,
  type AccountToRotate,
  type SecretsRotateParams,
} from "./secrets-changes.js";

/** A secret created this recently is shown as "probably yours": the operator may have made it on noticing. */
const RECENT_HOURS = 6;

/** Audit times carry no zone (UTC); secrets' do. */
function parseTime(value: string): number {
  return Date.parse(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`);
}

/** An audit event whose time is this close to a secret's creation may be its creation (when no id matches). */
const SAME_TIME_MS = 2 * 60_000;

export type AuditLookup = { events: AuditEvent[] } | { unavailable: string };

/** The ACCOUNT_SECRET_CREATE events that may be the creation of these secrets; read once per plan. */
export async function readSecretCreations(ctx: ActionContext, secrets: SecretMeta[]): Promise<AuditLookup> {
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

/**
 * Chooses which of two secrets to revoke before a new one can be created. Never a guess (ARCHITECTURE.md,
 * invariant 6): secrets.revokeFirst names it, or the operator picks it from the evidence, or the plan fails.
 */
export async function chooseRevokeFirst(
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
