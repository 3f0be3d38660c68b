// The request body of POST and PUT /v2/applications as Application API 2.4.1 defines it, with every object
// closed: a field the request schema lacks (a response-only one such as `verify.version`, or a typo) is a
// 400 `#payload-validation`, as are bad enums and out-of-range timeouts.

import { z } from "zod";

import type { InvalidParameter } from "./reply.js";

const getOrPost = z.enum(["GET", "POST"]);
const postOnly = z.enum(["POST"]);

function hook(method: z.ZodEnum<Record<string, string>>) {
  return z.strictObject({ address: z.string().optional(), http_method: method.optional() });
}

function timedHook(socketMax: number) {
  return z.strictObject({
    address: z.string().optional(),
    http_method: getOrPost.optional(),
    connect_timeout: z.int().min(300).max(1000).optional(),
    socket_timeout: z.int().min(1000).max(socketMax).optional(),
  });
}

const videoHook = z.strictObject({ address: z.string().optional(), active: z.boolean().optional() });
const VIDEO_HOOKS = [
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
] as const;

// Create names the meetings hooks *_changed, update names them *_url; an update accepts both, as it accepts
// `verify` and `messages.version`, which only the create schema lists: a full update must be able to send
// back what a create set (our reading; see docs/simulator.md).
const MEETINGS_HOOKS = [
  "recording_changed",
  "room_changed",
  "session_changed",
  "recording_url",
  "rooms_url",
  "sessions_url",
] as const;

const capabilities = z.strictObject({
  voice: z
    .strictObject({
      webhooks: z
        .strictObject({
          answer_url: timedHook(5000).optional(),
          fallback_answer_url: timedHook(5000).optional(),
          event_url: timedHook(10000).optional(),
        })
        .optional(),
      signed_callbacks: z.boolean().optional(),
      conversations_ttl: z.int().min(1).max(9000).optional(),
      leg_persistence_time: z.int().min(1).max(31).optional(),
      region: z.enum(["na-east", "na-west", "eu-east", "eu-west", "apac-sng", "apac-australia"]).optional(),
    })
    .optional(),
  rtc: z
    .strictObject({
      webhooks: z.strictObject({ event_url: hook(getOrPost).optional() }).optional(),
      signed_callbacks: z.boolean().optional(),
    })
    .optional(),
  messages: z
    .strictObject({
      version: z.string().optional(),
      webhooks: z
        .strictObject({ inbound_url: hook(postOnly).optional(), status_url: hook(postOnly).optional() })
        .optional(),
    })
    .optional(),
  vbc: z.strictObject({}).optional(),
  network_apis: z
    .strictObject({ network_application_id: z.string().optional(), redirect_uri: z.string().optional() })
    .optional(),
  meetings: z
    .strictObject({
      webhooks: z
        .strictObject(Object.fromEntries(MEETINGS_HOOKS.map((h) => [h, hook(postOnly).optional()])))
        .optional(),
    })
    .optional(),
  verify: z
    .strictObject({
      webhooks: z.strictObject({ status_url: hook(postOnly).optional() }).optional(),
    })
    .optional(),
  video: z
    .strictObject({
      webhooks: z
        .strictObject(Object.fromEntries(VIDEO_HOOKS.map((h) => [h, videoHook.optional()])))
        .optional(),
      storage: z
        .strictObject({
          server_side_encryption: z.boolean().optional(),
          end_to_end_encryption: z.boolean().optional(),
          cloud_storage: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
});

export const applicationRequestSchema = z.strictObject({
  name: z.string(),
  keys: z.strictObject({ public_key: z.string().optional() }).optional(),
  capabilities: capabilities.optional(),
  privacy: z.strictObject({ improve_ai: z.boolean().optional() }).optional(),
});

export type ApplicationRequest = z.infer<typeof applicationRequestSchema>;

/** Validates a create/update body; the failures are Vonage's `invalid_parameters` (dotted names). */
export function validateApplicationRequest(
  body: unknown,
): { ok: true; value: ApplicationRequest } | { ok: false; invalid: InvalidParameter[] } {
  const result = applicationRequestSchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const invalid: InvalidParameter[] = [];
  for (const issue of result.error.issues) {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        invalid.push({ name: at === "" ? key : `${at}.${key}`, reason: "is not a recognised field" });
      }
    } else if (issue.code === "invalid_value") {
      invalid.push({ name: at, reason: `must be one of: ${issue.values.map(String).join(", ")}` });
    } else if (issue.code === "too_small" || issue.code === "too_big") {
      const range = rangeOf(issue.path);
      invalid.push({ name: at, reason: range ?? issue.message });
    } else if (issue.code === "invalid_type" && at === "name") {
      invalid.push({ name: "name", reason: "Is required." });
    } else {
      invalid.push({ name: at === "" ? "body" : at, reason: `must be ${expected(issue)}` });
    }
  }
  return { ok: false, invalid };
}

function expected(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_type" ? `a ${issue.expected}` : "valid";
}

/** `must be between 300 and 1000`: the bounds of the field's own schema. */
function rangeOf(path: PropertyKey[]): string | undefined {
  let node: z.ZodType = applicationRequestSchema;
  for (const key of path) {
    const unwrapped = unwrap(node);
    if (!(unwrapped instanceof z.ZodObject)) return undefined;
    const next = (unwrapped.shape as Record<string, z.ZodType>)[String(key)];
    if (next === undefined) return undefined;
    node = next;
  }
  const leaf = unwrap(node);
  if (!(leaf instanceof z.ZodNumber)) return undefined;
  return `must be between ${String(leaf.minValue)} and ${String(leaf.maxValue)}`;
}

function unwrap(node: z.ZodType): z.ZodType {
  return node instanceof z.ZodOptional ? unwrap(node.unwrap() as z.ZodType) : node;
}
