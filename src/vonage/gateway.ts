// Our narrow, typed view of the Vonage API. Every method is tagged read or write in GATEWAY_METHODS; the
// dry-run guard (dry-run-gateway.ts) is the one place that refuses writes. Actions only ever see this.

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

export interface SecretMeta {
  id: string;
  /** ISO-8601 as Vonage returns it, e.g. `2018-12-03T10:07:23Z`. */
  createdAt: string;
}

/**
 * An application as returned by Vonage, wire (snake_case) keys, `_links` removed. `config` is everything that
 * must be carried over to a replacement: name, capabilities, privacy, ... (not id, not keys).
 */
export interface ApplicationRecord {
  id: string;
  name: string;
  publicKey: string | undefined;
  config: Record<string, unknown>;
}

/** The configuration needed to create an application: wire keys (snake_case), no id, no keys. */
export type ApplicationConfig = Record<string, unknown> & { name: string };

export interface NumberRecord {
  country: string;
  msisdn: string;
  /** The linked application id, or undefined when not linked. */
  appId: string | undefined;
  /** The number as returned by the owned-numbers list (mixed camelCase + app_id), for evidence and re-sends. */
  raw: Record<string, unknown>;
}

/** An external account (External Accounts API 0.1.6): one application at most may be linked to it. */
export interface ExternalAccountRecord {
  /** `whatsapp`, `messenger`, `viber_service_msg` or `rcs` (kept as Vonage sends it: it is part of the URL). */
  provider: string;
  /** The channel's own id: the WhatsApp number, the Facebook page id, the Viber service id, the RCS agent id. */
  externalId: string;
  name: string;
  /** The linked application ids as Vonage lists them (at most one; a deleted application's id stays). */
  applicationIds: string[];
  /** Messenger's page access token: a credential, kept out of `raw`; undefined for other channels. */
  accessToken: string | undefined;
  /** The account as listed, `access_token` removed. */
  raw: Record<string, unknown>;
}

export interface SubaccountRecord {
  apiKey: string;
  name: string;
  suspended: boolean;
  createdAt: string;
  usePrimaryAccountBalance: boolean;
  raw: Record<string, unknown>;
}

export interface Balance {
  value: number;
  autoReload: boolean;
}

export interface AccountSettings {
  moCallbackUrl: string | undefined;
  drCallbackUrl: string | undefined;
  /** The account's own API rate (`max-calls-per-second`), when Vonage says it. */
  maxCallsPerSecond: number | undefined;
  raw: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  eventType: string;
  createdAt: string;
  source: string | undefined;
  sourceIp: string | undefined;
  userEmail: string | undefined;
  raw: Record<string, unknown>;
}

export interface ListProgress {
  (done: number, total: number | undefined): void;
}

/** The Reports API products vonage-ir reads (outbound): the ones fraud is sent with and charged for. */
export const TRAFFIC_PRODUCTS = ["SMS", "VOICE-CALL", "MESSAGES"] as const;
export type TrafficProduct = (typeof TRAFFIC_PRODUCTS)[number];

/** A Reports API records query (3.1.4, GET /v2/reports/records), date-based, outbound only. */
export interface TrafficQuery {
  /** The primary key or one of its subaccounts' (`account_id`). */
  accountId: string;
  product: TrafficProduct;
  /** ISO-8601, inclusive. */
  dateStart: string;
  /** ISO-8601, exclusive; default now. */
  dateEnd?: string | undefined;
}

/** One record, with the fields a fraud summary needs; `raw` is the record as Vonage sent it. */
export interface TrafficRecord {
  product: TrafficProduct;
  accountId: string;
  id: string;
  to: string;
  country: string;
  /** When Vonage received it (`date_received`; `date_start` for calls), ISO-8601. */
  at: string;
  /** `total_price` (what was charged), 0 when absent. */
  price: number;
  currency: string;
  status: string;
  /** Only when the record names one (most products do not). */
  applicationId: string | undefined;
  raw: Record<string, unknown>;
}

/** A Fraud Defender traffic rule as created (fraud-defender-notes.md 2.1: the only confirmed call). */
export interface FraudRule {
  id: string;
  product: "sms" | "voice";
  prefix: string;
  action: "block" | "allow";
  status: string;
}

/** Result for APIs an account may not have (Subaccounts, Audit): 403/404 means "not available". */
export type Availability<T> = { available: true; value: T } | { available: false; reason: string };

export interface Gateway {
  /** The primary account's API key (the one in the credentials). */
  readonly apiKey: string;

  // ---- reads
  /** Secrets metadata of `apiKey` (the primary, or one of its subaccounts). */
  listSecrets(apiKey: string): Promise<SecretMeta[]>;
  /** Whether these credentials authenticate (a read with them); false on 401, throws on anything else. */
  checkCredentials(credentials: Credentials): Promise<boolean>;
  getBalance(): Promise<Balance>;
  /**
   * The account's SMS callbacks and API rate: an empty settings POST, which changes nothing (tagged read). The
   * rate it answers paces every later request of the key.
   */
  getAccountSettings(): Promise<AccountSettings>;
  /** Every application, all pages (page size 100). */
  listApplications(progress?: ListProgress): Promise<ApplicationRecord[]>;
  getApplication(id: string): Promise<ApplicationRecord | undefined>;
  /**
   * Every owned number, all pages (size 100); optionally only those linked to one application, or only those
   * linked to any application (one listing instead of one per application).
   */
  listNumbers(
    filter?: { applicationId?: string; hasApplication?: boolean },
    progress?: ListProgress,
  ): Promise<NumberRecord[]>;
  listSubaccounts(): Promise<Availability<SubaccountRecord[]>>;
  /** Audit events created at or after `since` (ISO-8601), all pages. */
  listAuditEvents(filter: { since?: string }): Promise<Availability<AuditEvent[]>>;
  /** Every WhatsApp, Messenger, Viber and RCS account of the account, all pages (External Accounts API). */
  listExternalAccounts(): Promise<Availability<ExternalAccountRecord[]>>;
  /**
   * Every record of one query, page by page (the cursor), each page handed to `onPage` before the next is asked
   * for: nothing is kept, so memory does not grow with the count. A 403 (no Reports product) is "not available".
   */
  readTrafficRecords(
    query: TrafficQuery,
    onPage: (records: TrafficRecord[]) => void | Promise<void>,
  ): Promise<Availability<{ records: number; pages: number }>>;

  // ---- writes
  createSecret(apiKey: string, secret: string): Promise<SecretMeta>;
  revokeSecret(apiKey: string, secretId: string): Promise<void>;
  /** Creates an application with the given configuration and our locally generated public key. */
  createApplication(config: ApplicationConfig, publicKeyPem: string): Promise<ApplicationRecord>;
  /**
   * Replaces application `id` with `config` and the public key `publicKeyPem` (PUT: the full application, id,
   * numbers and links unchanged). Only request-schema fields of `config` are sent.
   */
  updateApplication(id: string, config: ApplicationConfig, publicKeyPem: string): Promise<ApplicationRecord>;
  deleteApplication(id: string): Promise<void>;
  /**
   * Links a number to `appId`, re-sending the number's other fields that /account/numbers shows so they survive
   * the update (it is not a patch). `voiceStatusCallback` and `moSmppSysType` cannot be read back: see
   * unreadableNumberFields.
   */
  linkNumber(number: NumberRecord, appId: string): Promise<void>;
  /** Links an external account to `appId` (it must be linked to no other application: 409 otherwise). */
  linkExternalAccount(account: ExternalAccountRecord, appId: string): Promise<void>;
  /** Unlinks `appId` from an external account (409 when it is not the linked application). */
  unlinkExternalAccount(account: ExternalAccountRecord, appId: string): Promise<void>;
  setSubaccountSuspended(apiKey: string, suspended: boolean): Promise<SubaccountRecord>;
  /** Creates a Fraud Defender traffic rule for the primary key (rules are per API key). 403: not on the account. */
  createFraudRule(rule: {
    product: "sms" | "voice";
    prefix: string;
    reason: string;
    action: "block" | "allow";
  }): Promise<FraudRule>;

  /** A gateway for the same account and hosts, authenticating with another secret of the primary key. */
  withSecret(apiSecret: string): Gateway;
}

export type GatewayMethod = Exclude<keyof Gateway, "apiKey" | "withSecret">;

/** The one table that says which calls change Vonage state. A mapped type forces every method to be tagged. */
export const GATEWAY_METHODS: { readonly [K in GatewayMethod]: "read" | "write" } = {
  listSecrets: "read",
  checkCredentials: "read",
  getBalance: "read",
  getAccountSettings: "read",
  listApplications: "read",
  getApplication: "read",
  listNumbers: "read",
  listSubaccounts: "read",
  listAuditEvents: "read",
  listExternalAccounts: "read",
  readTrafficRecords: "read",
  createSecret: "write",
  revokeSecret: "write",
  createApplication: "write",
  updateApplication: "write",
  deleteApplication: "write",
  linkNumber: "write",
  linkExternalAccount: "write",
  unlinkExternalAccount: "write",
  setSubaccountSuspended: "write",
  createFraudRule: "write",
};
