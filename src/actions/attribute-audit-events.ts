// Which of an account's audit events a vonage-ir run caused: each event is matched to a change the run journaled as
// done, by the event type that kind of change produces, the object it names, and the time the change was made.
import type { PriorChange, PriorRun } from "./action.js";
import type { AuditEvent } from "../vonage/gateway.js";

/** Vonage's clock and ours differ a little, and an event is stamped to the second. */
export const MATCH_SLACK_MS = 120_000;

/** The event types each kind of change produces (the Audit API has no subaccount types: see the simulator). */
const TYPES_BY_KIND: Record<string, RegExp> = {
  create: /^(ACCOUNT_SECRET_CREATE|APP_CREATE|USER_CREATE|IP_WHITELIST_CREATE)$/,
  delete: /^(ACCOUNT_SECRET_DELETE|APP_DELETE|NUMBER_UNLINKED|IP_WHITELIST_DELETE)$/,
  update:
    /^(APP_UPDATE|APP_DISABLE|APP_ENABLE|NUMBER_LINKED|NUMBER_UNLINKED|NUMBER_UPDATED|ACCOUNT_UPDATE_SETTINGS(_API)?|AUTORELOAD_DISABLE|AUTORELOAD_UPDATE|USER_STATUS)$/,
  suspend: /^USER_STATUS$/,
};

/** What a run did, with the audit events it explains. */
export interface OwnChange {
  runId: string;
  changeId: string;
  summary: string;
  events: AuditEvent[];
}

export interface Attribution {
  /** Events no journaled change explains: the ones to judge. */
  others: AuditEvent[];
  /** Per run and change, in journal order, the events it explains (changes without any are left out). */
  ours: OwnChange[];
}

/** An identifier-looking value: a UUID, an API key (8 hex), a phone number. */
const IDENTIFIER = /^([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{8}|\d{6,15})$/i;

function identifiers(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 6) return;
  if (typeof value === "string") {
    for (const token of value.split(/[\s"(),:…]+/)) if (IDENTIFIER.test(token)) into.add(token.toLowerCase());
  } else if (Array.isArray(value)) {
    for (const item of value) identifiers(item, into, depth + 1);
  } else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) identifiers(item, into, depth + 1);
  }
}

/**
 * The objects a change touched: first what it reports having done (its output), then, except for a create (the
 * old ids its params list must not explain someone else's event), what it was planned on.
 */
function touched(
  change: PriorChange,
  account: string | undefined,
): { direct: Set<string>; planned: Set<string> } {
  const direct = new Set<string>();
  const planned = new Set<string>();
  identifiers(change.output, direct);
  if (change.kind !== "create") {
    identifiers(change.target, planned);
    identifiers(change.params, planned);
    identifiers(change.before, planned);
  }
  // The account's own key is in nearly every change and every event: it tells nothing apart.
  if (account !== undefined) {
    direct.delete(account.toLowerCase());
    planned.delete(account.toLowerCase());
  }
  return { direct, planned };
}

/**
 * The objects an event names. When it names a UUID or a number, only those count: an API key alone (a subaccount's,
 * in a secret's deletion) would let a run's change explain another change to the same account.
 */
function namedBy(event: AuditEvent): Set<string> {
  const all = new Set<string>();
  identifiers(event.raw["context"], all);
  const specific = [...all].filter((id) => id.length > 8 || /^\d+$/.test(id));
  return specific.length > 0 ? new Set(specific) : all;
}

/** Audit timestamps have no zone (UTC per Vonage); journal stamps end in Z. */
function stamp(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

interface Candidate {
  run: PriorRun;
  change: PriorChange;
  types: RegExp;
  direct: Set<string>;
  planned: Set<string>;
  from: number;
  to: number;
}

function candidates(runs: readonly PriorRun[]): Candidate[] {
  const found: Candidate[] = [];
  for (const run of runs) {
    for (const change of run.changes) {
      const types = TYPES_BY_KIND[change.kind];
      const from = stamp(change.intentAt ?? change.doneAt);
      const to = stamp(change.doneAt ?? change.intentAt);
      if (types === undefined || Number.isNaN(from) || Number.isNaN(to)) continue;
      const { direct, planned } = touched(change, run.account);
      if (direct.size === 0 && planned.size === 0) continue;
      found.push({
        run,
        change,
        types,
        direct,
        planned,
        from: from - MATCH_SLACK_MS,
        to: to + MATCH_SLACK_MS,
      });
    }
  }
  return found;
}

/** Splits `events` into the ones `runs` explain (type, object and time all match) and the rest. */
export function attributeAuditEvents(events: readonly AuditEvent[], runs: readonly PriorRun[]): Attribution {
  const all = candidates(runs);
  const byChange = new Map<Candidate, AuditEvent[]>();
  const others: AuditEvent[] = [];
  for (const event of events) {
    const at = stamp(event.createdAt);
    const named = namedBy(event);
    const possible = all.filter((c) => c.types.test(event.eventType) && at >= c.from && at <= c.to);
    // The change that reports the object wins over one that only planned around it (two revokes both list the
    // secrets they saw; each reports only the one it revoked).
    const match =
      possible.find((c) => [...named].some((id) => c.direct.has(id))) ??
      possible.find((c) => [...named].some((id) => c.planned.has(id)));
    if (match === undefined) others.push(event);
    else byChange.set(match, [...(byChange.get(match) ?? []), event]);
  }
  const ours = all
    .filter((c) => byChange.has(c))
    .map((c) => ({
      runId: c.run.runId,
      changeId: c.change.changeId,
      summary: c.change.summary,
      events: byChange.get(c) ?? [],
    }));
  return { others, ours };
}
