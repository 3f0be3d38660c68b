// Every webhook URL on the account (applications, numbers, account settings) and which of them point at a host the
// operator did not allow: an attacker's collector must never be carried over, or left in place, unnoticed.
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import type { AccountSettings, ApplicationRecord, NumberRecord } from "../vonage/gateway.js";
import type { ActionContext } from "./action.js";

export interface WebhookSite {
  owner: "application" | "number" | "account";
  /** Application id, number msisdn, or the account's API key. */
  ownerId: string;
  /** Application name; empty for numbers and the account. */
  ownerName: string;
  /** Where on the owner: `capabilities.voice.webhooks.answer_url`, `moHttpUrl`, `drCallbackUrl`. */
  path: string;
  url: string;
  host: string;
}

export interface SuspectWebhook extends WebhookSite {
  /** Why it is a suspect, for the plan and the report. */
  why: string;
}

export type SuspectRule = "allowedHosts" | "audit";

export interface WebhookScan {
  suspects: SuspectWebhook[];
  rule: SuspectRule;
  /** What the operator should know about how suspects were found (the rule used, how to set allowedHosts). */
  notes: string[];
}

const AUDIT_APP_EVENTS = new Set(["APP_CREATE", "APP_UPDATE"]);

function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:"
      ? parsed.hostname.toLowerCase()
      : undefined;
  } catch {
    return undefined;
  }
}

function site(
  owner: WebhookSite["owner"],
  ownerId: string,
  ownerName: string,
  path: string,
  url: string,
): WebhookSite | undefined {
  const host = hostOf(url);
  return host === undefined ? undefined : { owner, ownerId, ownerName, path, url, host };
}

/** Every `address` (and the Network APIs `redirect_uri`) under an application's capabilities. */
export function applicationWebhooks(app: ApplicationRecord): WebhookSite[] {
  const found: WebhookSite[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const at = `${path}.${key}`;
      if (typeof child === "string" && (key === "address" || key === "redirect_uri")) {
        const hook = site("application", app.id, app.name, key === "address" ? path : at, child);
        if (hook) found.push(hook);
      } else walk(child, at);
    }
  };
  walk(app.config.capabilities, "capabilities");
  return found;
}

/** Every URL-valued field of an owned number (moHttpUrl, a vxml voice callback, voiceStatusCallback, ...). */
export function numberWebhooks(number: NumberRecord): WebhookSite[] {
  const found: WebhookSite[] = [];
  for (const [key, value] of Object.entries(number.raw)) {
    if (typeof value !== "string") continue;
    const hook = site("number", number.msisdn, "", key, value);
    if (hook) found.push(hook);
  }
  return found;
}

export function accountWebhooks(apiKey: string, settings: AccountSettings): WebhookSite[] {
  const found: WebhookSite[] = [];
  for (const [key, value] of [
    ["moCallbackUrl", settings.moCallbackUrl],
    ["drCallbackUrl", settings.drCallbackUrl],
  ] as const) {
    const hook = value === undefined ? undefined : site("account", apiKey, "", key, value);
    if (hook) found.push(hook);
  }
  return found;
}

/**
 * `webhooks.allowedHosts` rules: an exact host (`hooks.example.com`), or `*.example.com` for every host below
 * example.com (not example.com itself: list it too if it is yours). Case-insensitive; ports are not compared.
 */
export function hostAllowed(host: string, rules: readonly string[]): boolean {
  const h = host.toLowerCase();
  return rules.some((raw) => {
    const rule = raw.trim().toLowerCase();
    return rule.startsWith("*.") ? h.endsWith(rule.slice(1)) && h.length > rule.length - 1 : h === rule;
  });
}

/** One line naming a webhook and where it is, safe to show (userinfo redacted, foreign text made one line). */
export function describeSite(hook: WebhookSite): string {
  const where =
    hook.owner === "application"
      ? `application "${hook.ownerName}" (${hook.ownerId}) ${hook.path}`
      : hook.owner === "number"
        ? `number ${hook.ownerId} ${hook.path}`
        : `account settings ${hook.path}`;
  return foreignText(`${redactText(hook.url)} on ${where}`);
}

export function suspectLine(suspect: SuspectWebhook): string {
  return `suspect webhook ${describeSite(suspect)}: ${suspect.why}`;
}

function auditAppId(raw: Record<string, unknown>): string | undefined {
  const context = raw.context;
  if (typeof context !== "object" || context === null) return undefined;
  const c = context as Record<string, unknown>;
  const id = c.appId ?? c.applicationId ?? c.application_id;
  return typeof id === "string" ? id : undefined;
}

/** Applications this run created (replacements): their creation is ours, not the attacker's. */
function createdByThisRun(ctx: ActionContext): Set<string> {
  const ids = new Set<string>();
  for (const output of ctx.outputs.values()) if (typeof output.newId === "string") ids.add(output.newId);
  return ids;
}

/**
 * Reads the account's webhooks and classifies them. With `allowedHosts`, every host not allowed is a suspect. Without
 * it, a host is a suspect when it is seen only in applications the audit log shows created or changed after
 * `compromisedSince` (nowhere else: no other application, number or account setting uses it).
 */
export async function findSuspectWebhooks(
  ctx: ActionContext,
  options: {
    allowedHosts?: readonly string[] | undefined;
    compromisedSince?: string | undefined;
    /** The applications, when the caller has just listed them (saves a listing). */
    applications?: readonly ApplicationRecord[] | undefined;
    /** Only the applications' suspects are wanted: with allowedHosts, numbers and settings are not read. */
    applicationsOnly?: boolean | undefined;
  },
): Promise<WebhookScan> {
  const { allowedHosts, compromisedSince } = options;
  const listApps = async () => options.applications ?? (await ctx.gateway.listApplications());
  const readRest = () =>
    Promise.all([listApps(), ctx.gateway.listNumbers(), ctx.gateway.getAccountSettings()]);
  if (allowedHosts !== undefined) {
    const [apps, numbers, settings] = options.applicationsOnly
      ? [await listApps(), [], undefined]
      : await readRest();
    const all = [
      ...apps.flatMap(applicationWebhooks),
      ...numbers.flatMap(numberWebhooks),
      ...(settings ? accountWebhooks(ctx.gateway.apiKey, settings) : []),
    ];
    return {
      rule: "allowedHosts",
      notes: [],
      suspects: all
        .filter((hook) => !hostAllowed(hook.host, allowedHosts))
        .map((hook) => ({ ...hook, why: `host ${hook.host} is not in webhooks.allowedHosts` })),
    };
  }
  const unset =
    'webhooks.allowedHosts is not set: suspects are hosts seen only in applications created or changed after compromisedSince (audit log); set webhooks.allowedHosts in the config to your own webhook hosts (e.g. [hooks.example.com, "*.example.org"]) to check every webhook';
  if (compromisedSince === undefined) {
    return {
      rule: "audit",
      notes: [`${unset}; compromisedSince is not set either: none checked`],
      suspects: [],
    };
  }
  const events = await ctx.gateway.listAuditEvents({ since: compromisedSince });
  if (!events.available) {
    return {
      rule: "audit",
      notes: [`${unset}; the audit log is not available (${events.reason}): no webhook could be checked`],
      suspects: [],
    };
  }
  const ours = createdByThisRun(ctx);
  const changed = new Set(
    events.value
      .filter((e) => AUDIT_APP_EVENTS.has(e.eventType))
      .map((e) => auditAppId(e.raw))
      .filter((id): id is string => id !== undefined && !ours.has(id)),
  );
  if (changed.size === 0) return { rule: "audit", notes: [unset], suspects: [] };
  const [apps, numbers, settings] = await readRest();
  const inChanged = apps.filter((app) => changed.has(app.id)).flatMap(applicationWebhooks);
  const elsewhere = new Set(
    [
      ...apps.filter((app) => !changed.has(app.id)).flatMap(applicationWebhooks),
      ...numbers.flatMap(numberWebhooks),
      ...accountWebhooks(ctx.gateway.apiKey, settings),
    ].map((hook) => hook.host),
  );
  return {
    rule: "audit",
    notes: [unset],
    suspects: inChanged
      .filter((hook) => !elsewhere.has(hook.host))
      .map((hook) => ({
        ...hook,
        why: `host ${hook.host} appears only in application(s) created or changed after ${compromisedSince}`,
      })),
  };
}
