// The posture audit's second phase: pure checks over the collected PostureData, taken from Vonage's
// account-security advice, and the checks no API can answer (listed so they are not forgotten).
import { findSuspects } from "./find-suspects.js";
import type { PostureData } from "./collect-posture.js";
import type { AccountSettings, Availability, Balance, SubaccountRecord } from "../vonage/gateway.js";

export type Severity = "high" | "medium" | "low" | "info";
export const SEVERITIES: readonly Severity[] = ["high", "medium", "low", "info"];

export interface Finding {
  /** The check that produced it, e.g. `applications.webhook-not-https`; several findings may share it. */
  id: string;
  severity: Severity;
  title: string;
  detail: string;
  fix: string;
  /** A check no API can answer: a person must look (always severity "info"). */
  manual?: boolean;
}

export interface CheckOptions {
  since?: string | undefined;
  allowSubaccounts?: readonly string[] | undefined;
  now: Date;
  /**
   * Suspects are things created after `since` and, when given, before `until`: the posture.audit step sets it to
   * its run's start, so the run's own new secrets and applications are not reported as suspects.
   */
  until?: string | undefined;
  /** Secrets vonage-ir runs created (read from their journals): never suspects. */
  ownSecrets?: readonly { apiKey: string; secretId: string }[] | undefined;
  /** Secrets older than this many days are reported; default 365. */
  secretMaxAgeDays?: number | undefined;
}

export const DEFAULT_SECRET_MAX_AGE_DAYS = 365;
const DAY_MS = 86_400_000;

/** The checks nobody can run through an API: listed so they are not forgotten. */
export const MANUAL_CHECKS: readonly Finding[] = [
  {
    id: "manual.mfa",
    severity: "info",
    title: "Two-factor authentication by authenticator app",
    detail: "every dashboard user should sign in with an authenticator app (not SMS) as the second factor",
    fix: "Dashboard → Settings → your profile → two-step verification; ask each user to switch to an authenticator app",
    manual: true,
  },
  {
    id: "manual.ip-allowlist",
    severity: "info",
    title: "IP allow-listing of API requests",
    detail: "with an allow-list, a leaked API secret is useless from any other address",
    fix: "ask Vonage support to restrict API access to your egress addresses",
    manual: true,
  },
  {
    id: "manual.fraud-defender",
    severity: "info",
    title: "Fraud Defender tier and protections",
    detail: "traffic rules, AIT/SMS pumping protection, burst protection and fraud alerts depend on the tier",
    fix: "Dashboard → Fraud Defender: enable what your tier offers; block destinations you do not serve",
    manual: true,
  },
  {
    id: "manual.low-balance-alert",
    severity: "info",
    title: "Low-balance notification",
    detail: "a sudden drop in balance is often the first visible sign of fraud",
    fix: "Dashboard → Billing → set a low-balance notification to an on-call address",
    manual: true,
  },
  {
    id: "manual.secondary-users",
    severity: "info",
    title: "Secondary users review",
    detail: "every dashboard user should be a current team member, with the least role they need",
    fix: "Dashboard → Settings → users: remove unknown or departed users, reduce roles",
    manual: true,
  },
];

/** Pure: the findings for `data`, most severe first, the manual checks last. */
export function runChecks(data: PostureData, options: CheckOptions): Finding[] {
  const findings: Finding[] = [
    ...checkSecrets(data, options),
    ...checkApplications(data),
    ...checkAccountCallbacks(data.settings),
    ...checkAutoReload(data.balance),
    ...checkSubaccounts(data.subaccounts, options.allowSubaccounts),
    ...checkSuspects(data, options.since, options.until, options.ownSecrets ?? []),
    ...checkNumbers(data),
  ];
  const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);
  findings.sort((a, b) => rank(a) - rank(b));
  return [...findings, ...MANUAL_CHECKS.map((f) => ({ ...f }))];
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Whether any finding is at or above `threshold` (high > medium > low). */
export function failsThreshold(
  findings: readonly Finding[],
  threshold: Exclude<Severity, "info"> | undefined,
): boolean {
  if (threshold === undefined) return false;
  const limit = SEVERITIES.indexOf(threshold);
  return findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit);
}

function accountLabel(data: PostureData, apiKey: string): string {
  return apiKey === data.apiKey ? `primary account ${apiKey}` : `subaccount ${apiKey}`;
}

function checkSecrets(data: PostureData, options: CheckOptions): Finding[] {
  const findings: Finding[] = [];
  const maxAgeDays = options.secretMaxAgeDays ?? DEFAULT_SECRET_MAX_AGE_DAYS;
  for (const account of data.secrets) {
    const label = accountLabel(data, account.apiKey);
    if (account.unavailable !== undefined) {
      findings.push({
        id: "secrets.unreadable",
        severity: "info",
        title: "Secrets could not be listed",
        detail: `${label}: ${account.unavailable}`,
        fix: "check this account's secrets in the dashboard",
      });
    }
    if (account.secrets.length > 1) {
      findings.push({
        id: "secrets.multiple",
        severity: "medium",
        title: "More than one API secret",
        detail: `${label} has ${account.secrets.length} secrets: ${account.secrets.map((s) => `${s.id} (created ${s.createdAt})`).join(", ")}; is every one of them known?`,
        fix: "keep one secret per account outside a rotation; revoke any you cannot account for (vonage-ir run compromise rotates them safely)",
      });
    }
    for (const secret of account.secrets) {
      const created = Date.parse(secret.createdAt);
      if (Number.isNaN(created)) continue;
      const ageDays = Math.floor((options.now.getTime() - created) / DAY_MS);
      if (ageDays > maxAgeDays) {
        findings.push({
          id: "secrets.old",
          severity: "low",
          title: `API secret older than ${maxAgeDays} days`,
          detail: `${label}: secret ${secret.id} was created ${secret.createdAt} (${ageDays} days ago)`,
          fix: "rotate it: create a new secret, move your services to it, then revoke the old one",
        });
      }
    }
  }
  return findings;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};

/** Vonage's default for answer_url is GET, and the NCCO fetch carries no message content: info only. */
const GET_IS_DEFAULT = new Set(["voice.answer_url", "voice.fallback_answer_url"]);

function checkApplications(data: PostureData): Finding[] {
  const findings: Finding[] = [];
  const defaultGet: string[] = [];
  const unreported: string[] = [];
  for (const app of data.applications) {
    const label = `application "${app.name}" (${app.id})`;
    const capabilities = asObject(app.config.capabilities);
    for (const [capability, value] of Object.entries(capabilities)) {
      const webhooks = asObject(asObject(value).webhooks);
      for (const [hook, spec] of Object.entries(webhooks)) {
        const { address, http_method: method } = asObject(spec);
        if (typeof address !== "string" || address === "") continue;
        const name = `${capability}.${hook}`;
        if (!/^https:\/\//i.test(address)) {
          findings.push({
            id: "applications.webhook-not-https",
            severity: "high",
            title: "Application webhook is not HTTPS",
            detail: `${label}: ${name} is ${address}`,
            fix: "serve the webhook over HTTPS and update the application; an unknown host may be an attacker's collector",
          });
        }
        if (typeof method === "string" && method.toUpperCase() !== "POST") {
          if (GET_IS_DEFAULT.has(name)) {
            defaultGet.push(`${label} ${name}`);
            continue;
          }
          findings.push({
            id: "applications.webhook-not-post",
            severity: "low",
            title: "Application webhook is not POST",
            detail: `${label}: ${name} uses ${method}`,
            fix: POST_FIX,
          });
        }
      }
    }
    for (const capability of ["voice", "rtc"]) {
      if (!(capability in capabilities)) continue;
      const signed = asObject(capabilities[capability]).signed_callbacks;
      if (signed === true) continue;
      if (signed !== false) {
        unreported.push(`${label} ${capability}`);
        continue;
      }
      findings.push({
        id: "applications.unsigned-callbacks",
        severity: "medium",
        title: `${capability === "voice" ? "Voice" : "RTC"} callbacks not signed`,
        detail: `${label}: capabilities.${capability}.signed_callbacks is false`,
        fix: SIGNED_FIX,
      });
    }
  }
  // Informational observations are grouped (one line each, not one per application of a large account).
  if (defaultGet.length > 0) {
    findings.push({
      id: "applications.webhook-not-post",
      severity: "info",
      title: "Application answer webhook uses GET (Vonage's default)",
      detail: `${sample(defaultGet)} use${defaultGet.length === 1 ? "s" : ""} GET`,
      fix: POST_FIX,
    });
  }
  if (unreported.length > 0) {
    findings.push({
      id: "applications.unsigned-callbacks",
      severity: "info",
      title: "Signed callbacks not reported",
      detail: `signed_callbacks is not reported for ${sample(unreported)} (on by default since Applications API 2.4.1)`,
      fix: `confirm it is on in the dashboard; ${SIGNED_FIX}`,
    });
  }
  return findings;
}

const POST_FIX =
  "use POST so call and message data travel in the body, not in URLs that proxies and servers log";
const SIGNED_FIX =
  "turn on signed callbacks and verify them (vonage-ir verify-callback, or verifySignedCallback from the library)";

/** `a, b, c and 147 more`: a list that stays one readable line. */
function sample(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function checkAccountCallbacks(settings: AccountSettings): Finding[] {
  const findings: Finding[] = [];
  for (const [name, url] of [
    ["mo (inbound SMS)", settings.moCallbackUrl],
    ["dr (delivery receipt)", settings.drCallbackUrl],
  ] as const) {
    if (url === undefined || url === "" || /^https:\/\//i.test(url)) continue;
    findings.push({
      id: "account.callback-not-https",
      severity: "high",
      title: "Account SMS callback is not HTTPS",
      detail: `the account's ${name} callback is ${url}`,
      fix: "Dashboard → Settings → SMS settings: use an HTTPS URL you control",
    });
  }
  return findings;
}

function checkAutoReload(balance: Balance): Finding[] {
  if (!balance.autoReload) return [];
  return [
    {
      id: "balance.auto-reload",
      severity: "medium",
      title: "Auto-reload is on",
      detail: `auto-reload tops the balance up automatically (balance now ${balance.value} EUR): fraud spend has no ceiling`,
      fix: "Dashboard → Billing → turn auto-reload off (there is no API for it); rely on a low-balance notification",
    },
  ];
}

function checkSubaccounts(
  subaccounts: Availability<SubaccountRecord[]>,
  allow: readonly string[] | undefined,
): Finding[] {
  if (!subaccounts.available) {
    return [
      {
        id: "subaccounts.unavailable",
        severity: "info",
        title: "Subaccounts could not be listed",
        detail: subaccounts.reason,
        fix: "if the account has subaccounts, review them in the dashboard",
      },
    ];
  }
  if (allow === undefined) {
    const active = subaccounts.value.filter((s) => !s.suspended);
    if (active.length === 0) return [];
    return [
      {
        id: "subaccounts.review",
        severity: "info",
        title: "Subaccounts to review",
        detail: `${active.length} active: ${sample(
          active.map((s) => `${s.apiKey} "${s.name}" (created ${s.createdAt})`),
          10,
        )}`,
        fix: "pass --allow-subaccounts with the keys you know to turn this into a check",
      },
    ];
  }
  return subaccounts.value
    .filter((s) => !allow.includes(s.apiKey))
    .map((s) => ({
      id: "subaccounts.not-allowed",
      severity: s.suspended ? "low" : "high",
      title: "Subaccount not in the allow list",
      detail: `subaccount ${s.apiKey} "${s.name}" (created ${s.createdAt})${s.suspended ? " is suspended" : " is active"}`,
      fix: s.suspended
        ? "suspended already; add it to the allow list if it is known"
        : "suspend it if nobody knows it (vonage-ir run compromise, step subaccounts), else add it to the allow list",
    }));
}

/** Audit timestamps have no zone (UTC per Vonage); secrets and subaccounts end in Z. */
function parseStamp(value: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

function checkSuspects(
  data: PostureData,
  since: string | undefined,
  until: string | undefined,
  ownSecrets: readonly { apiKey: string; secretId: string }[],
): Finding[] {
  if (since === undefined) return [];
  const findings: Finding[] = [];
  if (data.audit !== undefined && !data.audit.available) {
    findings.push({
      id: "suspects.audit-unavailable",
      severity: "info",
      title: "Audit events could not be read",
      detail: data.audit.reason,
      fix: "review Dashboard → Audit events for changes since the given time",
    });
  }
  const notOurs = data.secrets.map((a) => ({
    apiKey: a.apiKey,
    secrets: a.secrets.filter((s) => !ownSecrets.some((o) => o.apiKey === a.apiKey && o.secretId === s.id)),
  }));
  const suspects = findSuspects(
    since,
    notOurs,
    data.subaccounts,
    data.audit ?? { available: false, reason: "not read" },
  );
  const end = until === undefined ? Number.POSITIVE_INFINITY : parseStamp(until);
  for (const suspect of suspects) {
    if (parseStamp(suspect.createdAt) >= end) continue;
    findings.push({
      id: "suspects.created-after",
      severity: "high",
      title: `Created after ${since}`,
      detail: `${suspect.kind} ${suspect.id} at ${suspect.createdAt}: ${suspect.detail}`,
      fix: "confirm who made it; if nobody did, treat the account as compromised (vonage-ir run compromise)",
    });
  }
  return findings;
}

function checkNumbers(data: PostureData): Finding[] {
  const known = new Set(data.applications.map((a) => a.id));
  return data.numbers
    .filter((n) => n.appId !== undefined && !known.has(n.appId))
    .map((n) => ({
      id: "numbers.missing-application",
      severity: "medium",
      title: "Number linked to a missing application",
      detail: `number ${n.msisdn} (${n.country}) is linked to application ${n.appId ?? ""}, which does not exist`,
      fix: "link the number to a live application (or unlink it): calls and messages to it are lost",
    }));
}
