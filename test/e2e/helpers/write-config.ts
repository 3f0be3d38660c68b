// A complete config for the compromise runbook, derived from a simulator's scenario metadata (as the drill
// does): the decisions an operator would write down plus an attestation for every manual step, so an
// unattended run can finish. Overrides replace values; `undefined` removes one.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { E2eSimulator } from "./e2e-simulator.js";

export const MANUAL_STEP_IDS = [
  "autoreload",
  "users.review",
  "mfa.verify-contacts",
  "signature-secret.rotate",
  "password.rotate",
  "ip-allowlist.request",
  "fraud-defender.enable",
  "support.contact",
] as const;

export interface ConfigOverrides {
  /** Runbook inputs by dotted name (`secrets.revokeFirst`); undefined removes the default. */
  values?: Record<string, unknown>;
  /** Attestations by step id; undefined removes the default one. */
  attest?: Record<string, unknown>;
  /** Config file name (default vonage-ir.yaml). */
  name?: string;
  /** Top-level settings added as they are (`deliver:`, `verify:`). */
  settings?: Record<string, unknown>;
}

export function defaultConfigValues(sim: E2eSimulator): Record<string, unknown> {
  const meta = sim.meta;
  const values: Record<string, unknown> = {
    compromisedSince: meta.compromisedSince ?? new Date(Date.now() - 86_400_000).toISOString(),
    "secrets.revoke": "immediately",
    "subaccounts.allow": meta.legitimateSubaccountKeys,
    "users.expected": ["oncall@example.com", "finance@example.com"],
    "mfa.expectedPhone": "+44 7700 900123",
    "mfa.expectedEmail": "oncall@example.com",
    ipAllowlist: ["198.51.100.10", "198.51.100.11"],
    "autoreload.waitSeconds": 1,
  };
  if (meta.attackerSecretIds[0]) values["secrets.revokeFirst"] = meta.attackerSecretIds[0];
  // Carried over as before webhook decisions existed, so tests of other steps see the same copies.
  if (meta.attackerWebhookHosts.length > 0)
    values["webhooks.decisions"] = meta.attackerWebhookHosts.map((host) => `${host} keep`);
  return values;
}

/**
 * Written before the run starts, so each carries the `note` an attestation dated before the run needs (the
 * config refuses one without it).
 */
export function defaultAttestations(at = "2026-11-22T10:00:00Z"): Record<string, unknown> {
  const by = "e2e@example.com";
  const note = "done before the run (e2e config)";
  return {
    autoreload: { by, at, note: "switched off in the dashboard" },
    "users.review": { by, at, note, evidence: { removed: "intruder@example.net" } },
    "mfa.verify-contacts": {
      by,
      at,
      note,
      evidence: { phone: "0123", email: "oncall@example.com", matches: "yes" },
    },
    "signature-secret.rotate": { by, at, note: "rotated in the dashboard" },
    "password.rotate": { by, at, note, evidence: { users: "all" } },
    "ip-allowlist.request": { by, at, note, evidence: { ticket: "E2E-1" } },
    "fraud-defender.enable": { by, at, note, evidence: { enabled: "alerts, traffic rules, AIT, burst" } },
    "support.contact": { by, at, note, evidence: { ticket: "E2E-2" } },
  };
}

function merge(base: Record<string, unknown>, overrides: Record<string, unknown> | undefined) {
  const result = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** Writes `<dir>/vonage-ir.yaml` (or `name`) and returns its path. */
export async function writeConfig(
  dir: string,
  sim: E2eSimulator,
  overrides: ConfigOverrides = {},
): Promise<string> {
  const document = {
    runbook: "compromise",
    ...merge(defaultConfigValues(sim), overrides.values),
    attest: merge(defaultAttestations(), overrides.attest),
    ...overrides.settings,
  };
  const path = join(dir, overrides.name ?? "vonage-ir.yaml");
  await writeFile(path, stringify(document), { mode: 0o600 });
  return path;
}
