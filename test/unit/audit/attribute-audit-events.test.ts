// Matching audit events to a run's journaled changes: by type, object and time; what a run did not do stays with
// the events to judge, even when it happened during the run and to the same account.
import { describe, expect, it } from "vitest";
import type { PriorChange, PriorRun } from "../../../src/actions/action.js";
import { attributeAuditEvents } from "../../../src/actions/attribute-audit-events.js";
import type { AuditEvent } from "../../../src/vonage/gateway.js";

const KEY = "a08ff49b";
const OLD = "6f772632-716c-4430-99c4-3a8c3b7cf3c2";
const ATTACKER = "ecd94e3a-1bb4-4b8e-945b-aa0ed3932512";
const NEW = "79f1a585-9c1a-493f-bc46-4d223d0b29ad";
const OTHER = "11111111-2222-4333-8444-555555555555";

function change(id: string, kind: string, params: unknown, output: unknown, at: string): PriorChange {
  return {
    changeId: id,
    action: "secrets.rotate",
    kind,
    summary: id,
    target: "",
    params,
    before: undefined,
    output,
    intentAt: at,
    doneAt: at,
  };
}

function event(id: string, type: string, createdAt: string, context: Record<string, unknown>): AuditEvent {
  return {
    id,
    eventType: type,
    createdAt,
    source: "DEVAPI",
    sourceIp: undefined,
    userEmail: undefined,
    raw: { id, event_type: type, created_at: createdAt, context },
  };
}

const run: PriorRun = {
  runId: "20261201-120000-a1b2c3",
  account: KEY,
  startedAt: "2026-12-01T12:00:00Z",
  changes: [
    // both revokes list every secret they saw; each reports only the one it revoked
    change(
      "secrets:revoke-first",
      "delete",
      { apiKey: KEY, secretId: ATTACKER, knownSecretIds: [OLD, ATTACKER] },
      { apiKey: KEY, revokedSecretId: ATTACKER },
      "2026-12-01T12:00:01.100Z",
    ),
    change(
      "secrets:create",
      "create",
      { apiKey: KEY, knownSecretIds: [OLD, ATTACKER] },
      { apiKey: KEY, secretId: NEW },
      "2026-12-01T12:00:01.200Z",
    ),
    change(
      "secrets:revoke",
      "delete",
      { apiKey: KEY, secretId: OLD, knownSecretIds: [OLD, ATTACKER, NEW] },
      { apiKey: KEY, revokedSecretId: OLD },
      "2026-12-01T12:00:01.300Z",
    ),
  ],
};

describe("attributeAuditEvents", () => {
  it("gives each event to the change that reports its object, and leaves the rest to judge", () => {
    const events = [
      event("e1", "ACCOUNT_SECRET_DELETE", "2026-12-01T12:00:01", { secret_id: ATTACKER, api_key: KEY }),
      event("e2", "ACCOUNT_SECRET_CREATE", "2026-12-01T12:00:01", { secret_id: NEW, api_key: KEY }),
      event("e3", "ACCOUNT_SECRET_DELETE", "2026-12-01T12:00:01", { secret_id: OLD, api_key: KEY }),
      // during the run, same account, but a secret no change made: someone else's
      event("e4", "ACCOUNT_SECRET_CREATE", "2026-12-01T12:00:01", { secret_id: OTHER, api_key: KEY }),
      // the same secret created by the attacker days before (outside the run's time window)
      event("e5", "ACCOUNT_SECRET_CREATE", "2026-11-29T01:56:00", { secret_id: ATTACKER, api_key: KEY }),
      // the right object and time, but a type the change does not produce
      event("e6", "APP_UPDATE", "2026-12-01T12:00:01", { appId: NEW }),
    ];
    const { ours, others } = attributeAuditEvents(events, [run]);
    expect(ours.map((c) => [c.changeId, c.events.map((e) => e.id)])).toEqual([
      ["secrets:revoke-first", ["e1"]],
      ["secrets:create", ["e2"]],
      ["secrets:revoke", ["e3"]],
    ]);
    expect(others.map((e) => e.id)).toEqual(["e4", "e5", "e6"]);
  });

  it("the account's own key, named by every change, explains no event by itself", () => {
    const events = [event("e1", "USER_STATUS", "2026-12-01T12:00:01", { subaccount_api_key: KEY })];
    expect(attributeAuditEvents(events, [run]).others.map((e) => e.id)).toEqual(["e1"]);
  });
});
