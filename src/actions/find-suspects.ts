// Suspects: what was created after the compromise time (secrets, subaccounts, audit events of the kinds an attacker
// leaves). Pure; used by the evidence snapshot and by the posture audit.
import type { AuditEvent, Availability, SecretMeta } from "../vonage/gateway.js";

export interface Suspect {
  kind: string;
  id: string;
  createdAt: string;
  detail: string;
}

const SUSPICIOUS_EVENTS =
  /^(ACCOUNT_SECRET_CREATE|APP_CREATE|APP_UPDATE|NUMBER_ASSIGN|NUMBER_LINKED|NUMBER_UPDATED|USER_CREATE|USER_UPDATE|USER_API_KEYS_UPDATE|IP_WHITELIST_DELETE|ACCOUNT_UPDATE_SETTINGS(_API)?|AUTORELOAD_ENABLE|AUTORELOAD_UPDATE)$/;

function after(createdAt: string | undefined, since: string | undefined): boolean {
  if (!since || !createdAt) return false;
  // Audit timestamps have no zone (UTC per Vonage); secrets end in Z.
  const stamp = /[zZ]|[+-]\d\d:?\d\d$/.test(createdAt) ? createdAt : `${createdAt}Z`;
  return Date.parse(stamp) > Date.parse(since);
}

export function findSuspects(
  since: string | undefined,
  secrets: { apiKey: string; secrets: SecretMeta[] }[],
  subaccounts: Availability<{ apiKey: string; name: string; createdAt: string }[]>,
  audit: Availability<AuditEvent[]>,
): Suspect[] {
  const suspects: Suspect[] = [];
  for (const account of secrets) {
    for (const secret of account.secrets) {
      if (after(secret.createdAt, since)) {
        suspects.push({
          kind: "secret",
          id: secret.id,
          createdAt: secret.createdAt,
          detail: `API secret of ${account.apiKey}`,
        });
      }
    }
  }
  if (subaccounts.available) {
    for (const sub of subaccounts.value) {
      if (after(sub.createdAt, since)) {
        suspects.push({
          kind: "subaccount",
          id: sub.apiKey,
          createdAt: sub.createdAt,
          detail: `subaccount "${sub.name}"`,
        });
      }
    }
  }
  if (audit.available) {
    for (const event of audit.value) {
      if (SUSPICIOUS_EVENTS.test(event.eventType) && after(event.createdAt, since)) {
        suspects.push({
          kind: "audit-event",
          id: event.id,
          createdAt: event.createdAt,
          detail: `${event.eventType} by ${event.userEmail ?? event.source ?? "unknown"} from ${event.sourceIp ?? "unknown IP"}`,
        });
      }
    }
  }
  return suspects;
}
