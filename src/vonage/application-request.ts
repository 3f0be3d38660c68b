// The body of an application create or update, built from an application read: only the fields of the current
// request schema (Application API 2.4.1), so response-only fields of a GET never reach Vonage's validation.

/** A request field: a value sent as read ("value"), an object that must be sent empty ("empty"), or an object. */
export type RequestShape = "value" | "empty" | { readonly [field: string]: RequestShape };

const hook = { address: "value", http_method: "value" } as const;
const timedHook = { ...hook, connect_timeout: "value", socket_timeout: "value" } as const;
const videoHook = { address: "value", active: "value" } as const;

/**
 * The request body of `POST /v2/applications` in Application 2.4.1 (keys apart), field for field. What a GET
 * returns besides these (id, `_links`, `keys.private_key`, `verify.version`, `voice.payment_enabled`,
 * `voice.payments`, `rtc.leg_persistence_time`, `messages.authenticate_inbound_media`, ...) is response-only, and
 * Vonage refuses a create carrying it (400 `#payload-validation`).
 *
 * The PUT request schema of the same spec lacks `verify` and `messages.version` and names the meetings webhooks
 * `*_url` where its GET and POST say `*_changed`. A PUT replaces the whole application, so leaving a capability
 * out would remove it: updates send this shape too, the one Vonage's own GET answers with.
 */
export const APPLICATION_REQUEST_SHAPE: RequestShape = {
  name: "value",
  capabilities: {
    voice: {
      webhooks: { answer_url: timedHook, fallback_answer_url: timedHook, event_url: timedHook },
      signed_callbacks: "value",
      conversations_ttl: "value",
      leg_persistence_time: "value",
      region: "value",
    },
    rtc: { webhooks: { event_url: hook }, signed_callbacks: "value" },
    messages: { version: "value", webhooks: { inbound_url: hook, status_url: hook } },
    vbc: "empty",
    network_apis: { network_application_id: "value", redirect_uri: "value" },
    meetings: { webhooks: { recording_changed: hook, room_changed: hook, session_changed: hook } },
    verify: { webhooks: { status_url: hook } },
    video: {
      webhooks: Object.fromEntries(
        [
          "archive_status",
          "connection_created",
          "connection_destroyed",
          "session_created",
          "session_destroyed",
          "session_notification",
          "stream_created",
          "stream_destroyed",
          "render_status",
          "captions_status",
          "broadcast_status",
          "sip_call_created",
          "sip_call_updated",
          "sip_call_destroyed",
          "sip_call_mute_forced",
        ].map((name) => [name, videoHook]),
      ),
      storage: { server_side_encryption: "value", end_to_end_encryption: "value", cloud_storage: "value" },
    },
  },
  privacy: { improve_ai: "value" },
};

export interface ApplicationRequest {
  name: string;
  keys: { public_key: string };
  [field: string]: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The part of `value` that `shape` allows; undefined when nothing of it is allowed. */
function pick(value: unknown, shape: RequestShape): unknown {
  if (shape === "value") {
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? value
      : undefined;
  }
  if (!isObject(value)) return undefined;
  if (shape === "empty") return {};
  const out: Record<string, unknown> = {};
  for (const [field, fieldShape] of Object.entries(shape)) {
    const picked = pick(value[field], fieldShape);
    if (picked !== undefined) out[field] = picked;
  }
  // An object that held only response-only fields is kept empty: `verify: {}` still enables the capability.
  return out;
}

/**
 * The create or update body for an application read (wire keys, as a GET answers or as the gateway's
 * ApplicationRecord.config holds them) with `publicKeyPem` as its key. `name` is required by the schema.
 */
export function applicationRequestBody(
  read: Record<string, unknown>,
  publicKeyPem: string,
): ApplicationRequest {
  const { name: _name, ...fields } = pick(read, APPLICATION_REQUEST_SHAPE) as Record<string, unknown>;
  const name = typeof read.name === "string" ? read.name : "";
  return { name, ...fields, keys: { public_key: publicKeyPem } };
}
