// The simulator's state file format: one zod schema, so a `--state file.json` is validated with readable paths
// and `/_sim/state` dumps exactly what can be loaded back. Field meanings are documented in docs/simulator.md.

import { z } from "zod";

/** `2018-12-03T10:07:23Z`: the timestamp shape the Secrets API uses. */
const isoSeconds = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, "expected e.g. 2018-12-03T10:07:23Z");

export const SecretSchema = z.object({
  id: z.string().min(1),
  createdAt: isoSeconds,
  /** The secret value itself: a drill needs it, which is why only the admin dump shows state. */
  value: z.string().min(1),
});

export const SettingsSchema = z.object({
  moCallbackUrl: z.string(),
  drCallbackUrl: z.string(),
  maxOutboundRequest: z.number().int(),
  maxInboundRequest: z.number().int(),
  maxCallsPerSecond: z.number().int(),
});

const accountBase = {
  apiKey: z.string().min(1),
  name: z.string(),
  createdAt: isoSeconds,
  secrets: z.array(SecretSchema),
  settings: SettingsSchema,
};

export const PrimaryAccountSchema = z.object({
  ...accountBase,
  balance: z.number(),
  autoReload: z.boolean(),
  /** What one top-up adds (the amount of the payment that enabled auto-reload). */
  autoReloadAmount: z.number().default(100),
});

export const SubaccountSchema = z.object({
  ...accountBase,
  suspended: z.boolean(),
  usePrimaryAccountBalance: z.boolean(),
  /** null while the subaccount shares the primary's balance, as the API reports it. */
  balance: z.number().nullable(),
  creditLimit: z.number().nullable(),
});

/** Stored in wire shape (snake_case, as the Application API v2 sends it) minus `_links`. */
export const ApplicationSchema = z.looseObject({
  id: z.string().min(1),
  /** The API key that owns the application (not on the wire). */
  owner: z.string().min(1),
  name: z.string(),
  keys: z.object({ public_key: z.string() }),
  capabilities: z.record(z.string(), z.unknown()).default({}),
  privacy: z.object({ improve_ai: z.boolean() }).optional(),
});

export const NumberSchema = z.object({
  /** The API key that owns the number (not on the wire). */
  owner: z.string().min(1),
  country: z.string().length(2),
  msisdn: z.string().min(1),
  type: z.string().default("mobile-lvn"),
  features: z.array(z.string()).default(["VOICE", "SMS"]),
  /** The linked application id; may point at a deleted application (orphaned). */
  appId: z.string().optional(),
  moHttpUrl: z.string().optional(),
  moSmppSysType: z.string().optional(),
  voiceCallbackType: z.string().optional(),
  voiceCallbackValue: z.string().optional(),
  voiceStatusCallback: z.string().optional(),
  messagesCallbackType: z.string().optional(),
  messagesCallbackValue: z.string().optional(),
});

export const EXTERNAL_PROVIDERS = ["messenger", "viber_service_msg", "whatsapp", "rcs"] as const;

/** A WhatsApp, Messenger, Viber or RCS account (External Accounts API 0.1.6): at most one linked application. */
export const ExternalAccountSchema = z.object({
  provider: z.enum(EXTERNAL_PROVIDERS),
  externalId: z.string().min(1),
  name: z.string(),
  /** The API key that owns the account (`api_key` on the wire). */
  owner: z.string().min(1),
  /** Application ids; may name a deleted application (left linked to a dead id). */
  applications: z.array(z.string()).max(1),
  /** Messenger only: the page access token the spec's Messenger account carries. */
  accessToken: z.string().optional(),
});

/** A Fraud Defender traffic rule, stored in the wire shape of its 201 (fraud-defender-notes.md 2.1). */
export const FraudRuleSchema = z.object({
  id: z.string().min(1),
  /** The API key the rule belongs to (rules are per key). */
  owner: z.string().min(1),
  product: z.enum(["sms", "voice"]),
  prefix: z.string().regex(/^\d{1,15}$/),
  action: z.enum(["block", "allow"]),
  reason: z.string(),
  status: z.enum(["active", "archived"]),
  /** `2022-12-09T18:19:26`: no zone, as the notes' example. */
  createdTimestamp: z.string(),
  archivedTimestamp: z.string().optional(),
});

const TrafficCountsSchema = z.object({
  SMS: z.number().int().min(0),
  "VOICE-CALL": z.number().int().min(0),
  MESSAGES: z.number().int().min(0),
});

/** A subaccount's own traffic: from `start` to the primary's `end`, with the primary's `fraudFrom`. */
export const SubaccountTrafficSchema = z.object({
  start: z.string(),
  counts: TrafficCountsSchema,
  /** As the primary's `attackPerMinute`, for this subaccount. */
  attackPerMinute: z.number().min(0).default(0),
});

/** The parameters the Reports API's records are computed from (see traffic-records.ts); nothing is stored. */
export const TrafficSchema = z.object({
  seed: z.number().int(),
  /** ISO-8601: records are evenly spaced over [start, end). */
  start: z.string(),
  end: z.string(),
  /** From here on, two of three records go to premium-rate destinations. */
  fraudFrom: z.string(),
  counts: TrafficCountsSchema,
  /**
   * Past `end`, while an attacker credential is live: records per minute of each product that has any (0: the
   * history's own rate). Absent in older state files.
   */
  attackPerMinute: z.number().min(0).default(0),
  /** Subaccounts that send traffic of their own, by API key; absent in older state files. */
  subaccounts: z.record(z.string(), SubaccountTrafficSchema).default({}),
});

/** Stored in wire shape, as GET /beta/audit/events/{id} returns it minus `_links`. */
export const AuditEventSchema = z.looseObject({
  id: z.string().min(1),
  event_type: z.string().min(1),
  event_type_description: z.string(),
  /** No zone, as the Audit API sends it: `2018-07-04T11:41:32` (UTC). */
  created_at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, "expected e.g. 2018-07-04T11:41:32"),
  account_id: z.string(),
  source: z.enum(["CD", "DEVAPI"]),
  source_description: z.string(),
  user_email: z.string().optional(),
  user_id: z.number().int().optional(),
  source_ip: z.string().optional(),
  source_country: z.string().optional(),
  context: z.record(z.string(), z.unknown()).default({}),
});

/** What a drill needs to know about a scenario without reading the audit log. */
export const ScenarioMetaSchema = z.object({
  scenario: z.string(),
  seed: z.number().int(),
  description: z.string(),
  /** ISO-8601 UTC; null for scenarios without a compromise. */
  compromisedSince: z.string().nullable(),
  legitimateSecretIds: z.array(z.string()),
  attackerSecretIds: z.array(z.string()),
  legitimateSubaccountKeys: z.array(z.string()),
  attackerSubaccountKeys: z.array(z.string()),
  /** Applications with a plain-http webhook. */
  insecureApplicationIds: z.array(z.string()),
  /** Webhook hosts the attacker put on applications; absent in older state files. */
  attackerWebhookHosts: z.array(z.string()).default([]),
});

export const SimStateSchema = z.object({
  version: z.literal(1),
  meta: ScenarioMetaSchema,
  primary: PrimaryAccountSchema,
  subaccounts: z.array(SubaccountSchema),
  applications: z.array(ApplicationSchema),
  numbers: z.array(NumberSchema),
  /** Absent in state files written before external accounts existed. */
  externalAccounts: z.array(ExternalAccountSchema).default([]),
  /** Fraud Defender traffic rules; absent in older state files. */
  fraudRules: z.array(FraudRuleSchema).default([]),
  /** Reports API traffic; absent: no records. */
  traffic: TrafficSchema.optional(),
  auditEvents: z.array(AuditEventSchema),
});

export type SimSecret = z.infer<typeof SecretSchema>;
export type SimSettings = z.infer<typeof SettingsSchema>;
export type SimPrimaryAccount = z.infer<typeof PrimaryAccountSchema>;
export type SimSubaccount = z.infer<typeof SubaccountSchema>;
export type SimApplication = z.infer<typeof ApplicationSchema>;
export type SimNumber = z.infer<typeof NumberSchema>;
export type SimAuditEvent = z.infer<typeof AuditEventSchema>;
export type SimExternalAccount = z.infer<typeof ExternalAccountSchema>;
export type SimFraudRule = z.infer<typeof FraudRuleSchema>;
export type SimTraffic = z.infer<typeof TrafficSchema>;
export type ScenarioMeta = z.infer<typeof ScenarioMetaSchema>;
export type SimState = z.infer<typeof SimStateSchema>;

/** Parses untrusted JSON (a state file) into a SimState, with `path: message` lines on failure. */
export function parseSimState(input: unknown): SimState {
  const result = SimStateSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid simulator state:\n${lines.join("\n")}`);
  }
  return result.data;
}
