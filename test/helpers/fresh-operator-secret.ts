// The red team's lock-out: on noticing the compromise the operator revoked the old secret by hand and created a
// fresh one (now in VONAGE_API_SECRET); the attacker's secret predates the compromise time the operator guessed.
// "Revoke first the only secret created after compromisedSince" would pick the operator's own.
import { randomUUID } from "node:crypto";
import { buildScenario, type SimState } from "../../src/simulator/index.js";

const HOUR = 3_600_000;

export const OPERATOR_IP = "198.51.100.10";
export const OPERATOR_EMAIL = "ops@example.com";
export const ATTACKER_IP = "203.0.113.66";

export interface FreshSecretState {
  state: SimState;
  freshId: string;
  attackerId: string;
  /** A compromise time the operator guessed too late: after the attacker's secret, before their own. */
  guessedSince: string;
}

export function stateWithFreshOperatorSecret(): FreshSecretState {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const state = buildScenario("compromised", { now: new Date(now).toISOString() });
  const legitId = state.meta.legitimateSecretIds[0];
  const attackerId = state.meta.attackerSecretIds[0];
  if (!legitId || !attackerId) throw new Error("the compromised scenario lacks its two secrets");
  const at = now - HOUR;
  const fresh = {
    id: randomUUID(),
    createdAt: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
    value: "Fresh0perator-secret1",
  };
  state.primary.secrets = [...state.primary.secrets.filter((s) => s.id !== legitId), fresh];
  state.meta.legitimateSecretIds = [fresh.id];
  state.auditEvents.push({
    id: randomUUID(),
    event_type: "ACCOUNT_SECRET_CREATE",
    event_type_description: "Account secret created",
    created_at: new Date(at).toISOString().slice(0, 19),
    account_id: state.primary.apiKey,
    source: "CD",
    source_description: "Customer Dashboard",
    user_email: OPERATOR_EMAIL,
    user_id: 1001,
    source_ip: OPERATOR_IP,
    source_country: "GB",
    context: { secret_id: fresh.id },
  });
  return {
    state,
    freshId: fresh.id,
    attackerId,
    guessedSince: new Date(now - 24 * HOUR).toISOString(),
  };
}
