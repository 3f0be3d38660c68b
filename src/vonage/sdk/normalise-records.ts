// The SDK's answers as the Gateway's records: wire-keyed `raw`/`config`, typed summary fields, credentials left out.

import type {
  ApplicationRecord,
  AuditEvent,
  ExternalAccountRecord,
  NumberRecord,
  SecretMeta,
  SubaccountRecord,
} from "../gateway.js";
import { toWireKeys } from "../wire-keys.js";
import { list, obj, text, type Json } from "./json-values.js";

/** Applications: the SDK adds camelCase twins of snake keys; keep the wire form, drop id, keys and links. */
export function normaliseApplication(sdkApp: unknown): ApplicationRecord {
  const wire = toWireKeys(sdkApp) as Json;
  const { id, keys, _links: _ignored, ...config } = wire;
  return {
    id: String(id ?? ""),
    name: typeof wire.name === "string" ? wire.name : "",
    publicKey: text(obj(keys).public_key),
    config,
  };
}

export function normaliseNumber(wire: unknown): NumberRecord {
  const raw = { ...obj(wire) };
  const appId =
    text(raw.app_id) ?? (raw.voiceCallbackType === "app" ? text(raw.voiceCallbackValue) : undefined);
  return { country: String(raw.country ?? ""), msisdn: String(raw.msisdn ?? ""), appId, raw };
}

/** Subaccounts arrive snake_case from the wire (list page) or camelCase from the SDK (update): accept both. */
export function normaliseSubaccount(value: unknown): SubaccountRecord {
  const raw = toWireKeys(value, { snakeTopLevel: true }) as Json;
  return {
    apiKey: String(raw.api_key ?? ""),
    name: String(raw.name ?? ""),
    suspended: raw.suspended === true,
    createdAt: String(raw.created_at ?? ""),
    usePrimaryAccountBalance: raw.use_primary_account_balance !== false,
    raw,
  };
}

/** The SDK camelCases audit events without keeping the wire keys; top-level keys are snake_cased back for `raw`. */
export function normaliseAuditEvent(value: unknown): AuditEvent {
  const e = obj(value);
  const raw = obj(toWireKeys(e, { snakeTopLevel: true }));
  return {
    id: String(e.id ?? ""),
    eventType: String(e.eventType ?? e.event_type ?? ""),
    createdAt: String(e.createdAt ?? e.created_at ?? ""),
    source: text(e.source),
    sourceIp: text(e.sourceIp ?? e.source_ip),
    userEmail: text(e.userEmail ?? e.user_email),
    raw,
  };
}

/** External accounts: `access_token` (Messenger's page token) is a credential and leaves `raw`. */
export function normaliseExternalAccount(value: unknown): ExternalAccountRecord {
  const { access_token: token, ...raw } = obj(value);
  return {
    provider: String(raw.provider ?? ""),
    externalId: String(raw.external_id ?? ""),
    name: String(raw.name ?? ""),
    applicationIds: list(raw.applications).filter((a): a is string => typeof a === "string" && a !== ""),
    accessToken: text(token),
    raw,
  };
}

export function secretMeta(value: unknown): SecretMeta {
  const s = obj(value);
  return { id: String(s.id ?? ""), createdAt: String(s.created_at ?? s.createdAt ?? "") };
}
