// Built-in scenarios (`clean`, `compromised`, `large`): deterministic states for a given seed and `now`, so
// drills and benchmarks are repeatable. Only the shared RSA public key differs between processes.

import { AUDIT_EVENT_TYPES, type AuditEventType } from "./audit-event-types.js";
import { sharedPublicKey } from "./generate-key-pair.js";
import { seededRandom, type SeededRandom } from "./seeded-random.js";
import type {
  ScenarioMeta,
  SimApplication,
  SimAuditEvent,
  SimExternalAccount,
  SimNumber,
  SimSecret,
  SimSettings,
  SimState,
  SimSubaccount,
  SimTraffic,
} from "./sim-state.js";
import { auditTime, isoSeconds } from "./timestamps.js";

export const scenarioNames = ["clean", "compromised", "large"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface ScenarioParams {
  seed?: number;
  /** The scenario's "now" (ISO-8601); timestamps are placed relative to it. Default 2026-01-15T12:00:00Z. */
  now?: string;
  /**
   * Base URL of the webhooks the simulator serves itself (`<url>/_hooks`); numbers then get an SMS webhook
   * (`moHttpUrl`) under it. startSimulator passes its own; without it numbers have none.
   */
  hookBase?: string;
  /** `large` only. */
  applications?: number;
  numbers?: number;
  linkedNumbers?: number;
  subaccounts?: number;
}

const DEFAULT_NOW = "2026-01-15T12:00:00Z";
const DAY = 86_400_000;
const HOUR = 3_600_000;
const ATTACKER_IP = "203.0.113.66";
const OPERATOR_IP = "198.51.100.10";
const OPERATOR_EMAIL = "ops@example.com";

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

export function buildScenario(name: string, params: ScenarioParams = {}): SimState {
  if (!isScenarioName(name)) {
    throw new Error(`unknown scenario "${name}" (known: ${scenarioNames.join(", ")})`);
  }
  const seed = params.seed ?? 1;
  const now = Date.parse(params.now ?? DEFAULT_NOW);
  if (Number.isNaN(now)) throw new Error(`scenario parameter now: not a date: ${params.now ?? ""}`);
  const b = new Builder(seededRandom(seed), now, params.hookBase);
  switch (name) {
    case "clean":
      return buildClean(b, seed);
    case "compromised":
      return buildCompromised(b, seed);
    case "large":
      return buildLarge(b, seed, params);
  }
}

/** Accumulates one state; helpers keep each scenario function a readable story. */
class Builder {
  readonly applications: SimApplication[] = [];
  readonly numbers: SimNumber[] = [];
  readonly events: SimAuditEvent[] = [];
  readonly subaccounts: SimSubaccount[] = [];
  readonly externalAccounts: SimExternalAccount[] = [];
  readonly primaryKey: string;
  private msisdnCounter = 0;

  constructor(
    readonly rng: SeededRandom,
    readonly now: number,
    readonly hookBase?: string,
  ) {
    this.primaryKey = rng.hex(8);
  }

  settings(mo = "", dr = ""): SimSettings {
    return {
      moCallbackUrl: mo,
      drCallbackUrl: dr,
      maxOutboundRequest: 30,
      maxInboundRequest: 30,
      maxCallsPerSecond: 30,
    };
  }

  secret(atMs: number): { id: string; createdAt: string; value: string } {
    return { id: this.rng.uuid(), createdAt: isoSeconds(atMs), value: this.rng.secret() };
  }

  event(
    type: AuditEventType,
    atMs: number,
    context: Record<string, unknown>,
    opts: { account?: string; dashboard?: boolean; attacker?: boolean } = {},
  ): void {
    const dashboard = opts.dashboard ?? false;
    this.events.push({
      id: this.rng.uuid(),
      event_type: type,
      event_type_description: AUDIT_EVENT_TYPES[type],
      created_at: auditTime(atMs),
      account_id: opts.account ?? this.primaryKey,
      source: dashboard ? "CD" : "DEVAPI",
      source_description: dashboard ? "Customer Dashboard" : "Developer API",
      ...(dashboard
        ? { user_email: opts.attacker ? "ops.backup@example.net" : OPERATOR_EMAIL, user_id: 1001 }
        : {}),
      source_ip: opts.attacker ? ATTACKER_IP : OPERATOR_IP,
      source_country: opts.attacker ? "ZZ" : "GB",
      context,
    });
  }

  subaccount(name: string, atMs: number, extra: Partial<SimSubaccount> = {}): SimSubaccount {
    const sub: SimSubaccount = {
      apiKey: this.rng.hex(8),
      name,
      createdAt: isoSeconds(atMs),
      secrets: [this.secret(atMs)],
      settings: this.settings(),
      suspended: false,
      usePrimaryAccountBalance: true,
      balance: null,
      creditLimit: null,
      ...extra,
    };
    this.subaccounts.push(sub);
    return sub;
  }

  application(
    name: string,
    atMs: number,
    webhookBase: string,
    opts: { record?: boolean } = {},
  ): SimApplication {
    const app: SimApplication = {
      id: this.rng.uuid(),
      owner: this.primaryKey,
      name,
      keys: { public_key: sharedPublicKey() },
      capabilities: {
        voice: {
          webhooks: {
            answer_url: { address: `${webhookBase}/answer`, http_method: "GET" },
            event_url: { address: `${webhookBase}/event`, http_method: "POST" },
          },
        },
        messages: {
          webhooks: {
            inbound_url: { address: `${webhookBase}/inbound`, http_method: "POST" },
            status_url: { address: `${webhookBase}/status`, http_method: "POST" },
          },
        },
      },
      privacy: { improve_ai: false },
    };
    this.applications.push(app);
    if (opts.record ?? true) {
      this.event("APP_CREATE", atMs, {
        appId: app.id,
        created: { accountId: this.primaryKey, appId: app.id, name, type: "voice" },
      });
    }
    return app;
  }

  externalAccount(
    provider: SimExternalAccount["provider"],
    externalId: string,
    name: string,
    appId: string | undefined,
  ): void {
    this.externalAccounts.push({
      provider,
      externalId,
      name,
      owner: this.primaryKey,
      applications: appId === undefined ? [] : [appId],
      ...(provider === "messenger" ? { accessToken: `EAAG${this.rng.hex(32)}` } : {}),
    });
  }

  number(appId: string | undefined, atMs: number | undefined, country = "GB"): SimNumber {
    this.msisdnCounter += 1;
    const prefix = country === "US" ? "1555" : "447700";
    const msisdn = `${prefix}${String(this.msisdnCounter).padStart(6, "0")}`;
    const n: SimNumber = {
      owner: this.primaryKey,
      country,
      msisdn,
      type: "mobile-lvn",
      features: ["VOICE", "SMS"],
    };
    if (this.hookBase !== undefined) n.moHttpUrl = `${this.hookBase}/sms/${msisdn}`;
    if (appId !== undefined) {
      Object.assign(n, linkFields(appId));
      if (atMs !== undefined) {
        this.event("NUMBER_LINKED", atMs, {
          country,
          msisdn,
          account: this.primaryKey,
          applicationId: appId,
        });
      }
    }
    this.numbers.push(n);
    return n;
  }
}

/** The fields a number gets when linked to an application (what GET /account/numbers then shows). */
export function linkFields(
  appId: string,
): Pick<
  SimNumber,
  "appId" | "voiceCallbackType" | "voiceCallbackValue" | "messagesCallbackType" | "messagesCallbackValue"
> {
  return {
    appId,
    voiceCallbackType: "app",
    voiceCallbackValue: appId,
    messagesCallbackType: "app",
    messagesCallbackValue: appId,
  };
}

/** Reports API traffic parameters: the records themselves are computed on demand (traffic-records.ts). */
function traffic(
  seed: number,
  startMs: number,
  fraudFromMs: number,
  endMs: number,
  counts: SimTraffic["counts"],
): SimTraffic {
  return {
    seed,
    start: isoSeconds(startMs),
    end: isoSeconds(endMs),
    fraudFrom: isoSeconds(fraudFromMs),
    counts,
    attackPerMinute: 0,
    subaccounts: {},
  };
}

/** Adds Verify v2, whose `version` a GET shows but no create or update may send. */
function withVerify(app: SimApplication, webhookBase: string): void {
  app.capabilities = {
    ...app.capabilities,
    verify: {
      version: "v2",
      webhooks: { status_url: { address: `${webhookBase}/verify`, http_method: "POST" } },
    },
  };
}

function meta(seed: number, scenario: string, description: string): ScenarioMeta {
  return {
    scenario,
    seed,
    description,
    compromisedSince: null,
    legitimateSecretIds: [],
    attackerSecretIds: [],
    legitimateSubaccountKeys: [],
    attackerSubaccountKeys: [],
    insecureApplicationIds: [],
    attackerWebhookHosts: [],
  };
}

function buildClean(b: Builder, seed: number): SimState {
  const created = b.now - 400 * DAY;
  const secret = b.secret(created);
  const sub = b.subaccount("eu-sales", b.now - 200 * DAY);
  const app = b.application("main-app", b.now - 300 * DAY, "https://hooks.example.com/main");
  b.number(app.id, b.now - 299 * DAY);
  b.number(app.id, b.now - 298 * DAY);
  b.number(undefined, undefined);
  return {
    version: 1,
    meta: {
      ...meta(
        seed,
        "clean",
        "A healthy account: one secret, one subaccount, one application with two numbers.",
      ),
      legitimateSecretIds: [secret.id],
      legitimateSubaccountKeys: [sub.apiKey],
    },
    primary: {
      apiKey: b.primaryKey,
      name: "Example Ltd",
      createdAt: isoSeconds(created),
      secrets: [secret],
      settings: b.settings(
        "https://hooks.example.com/inbound-sms",
        "https://hooks.example.com/delivery-receipt",
      ),
      balance: 52.4,
      autoReload: false,
      autoReloadAmount: 100,
    },
    subaccounts: b.subaccounts,
    applications: b.applications,
    numbers: b.numbers,
    externalAccounts: b.externalAccounts,
    fraudRules: [],
    auditEvents: b.events,
  };
}

function buildCompromised(b: Builder, seed: number): SimState {
  const created = b.now - 500 * DAY;
  const compromisedSince = b.now - 3 * DAY;
  const account = compromisedAccountBeforeAttack(b, created);
  const attack = compromisedAttack(b, compromisedSince, account.ivr);
  return {
    version: 1,
    meta: {
      ...meta(
        seed,
        "compromised",
        "An attacker added a second API secret, created subaccount svc-backup and pointed ivr-legacy at an http:// collector; auto-reload is on.",
      ),
      compromisedSince: isoSeconds(compromisedSince),
      legitimateSecretIds: [account.legitSecret.id],
      attackerSecretIds: [attack.attackerSecret.id],
      legitimateSubaccountKeys: account.legitSubs.map((s) => s.apiKey),
      attackerSubaccountKeys: [attack.rogue.apiKey],
      insecureApplicationIds: [account.ivr.id],
      attackerWebhookHosts: [new URL(attack.collector).hostname],
    },
    primary: {
      apiKey: b.primaryKey,
      name: "Example Ltd",
      createdAt: isoSeconds(created),
      secrets: [account.legitSecret, attack.attackerSecret],
      settings: b.settings(
        "https://hooks.example.com/inbound-sms",
        "https://hooks.example.com/delivery-receipt",
      ),
      balance: 1234.56,
      autoReload: true,
      autoReloadAmount: 500,
    },
    subaccounts: b.subaccounts,
    applications: b.applications,
    numbers: b.numbers,
    externalAccounts: b.externalAccounts,
    fraudRules: [],
    traffic: compromisedTraffic(b, seed, compromisedSince, attack.rogue.apiKey),
    auditEvents: b.events,
  };
}

/**
 * The compromised account as its operator built it: one secret, two subaccounts, five applications, their numbers
 * and chat channels.
 */
function compromisedAccountBeforeAttack(
  b: Builder,
  created: number,
): { legitSecret: SimSecret; legitSubs: SimSubaccount[]; ivr: SimApplication } {
  const legitSecret = b.secret(created);
  const legitSubs = [
    b.subaccount("eu-sales", b.now - 300 * DAY),
    b.subaccount("us-support", b.now - 120 * DAY, {
      usePrimaryAccountBalance: false,
      balance: 25,
      creditLimit: 0,
    }),
  ];
  b.event("USER_CREATE", b.now - 300 * DAY, { subaccount_api_key: legitSubs[0]?.apiKey });
  b.event("USER_CREATE", b.now - 120 * DAY, { subaccount_api_key: legitSubs[1]?.apiKey });

  const shop = b.application("shop-voice", b.now - 400 * DAY, "https://hooks.example.com/shop");
  const support = b.application("support-messages", b.now - 350 * DAY, "https://hooks.example.com/support");
  // A GET shows response-only fields (here `verify.version`), so a GET body posted back verbatim is refused.
  withVerify(support, "https://hooks.example.com/support");
  const ivr = b.application("ivr-legacy", b.now - 330 * DAY, "https://hooks.example.com/ivr");
  const alerts = b.application("alerts", b.now - 100 * DAY, "https://hooks.example.com/alerts");
  // Chat channels only: an application without numbers that still owns an external account.
  const chat = b.application("chat-bot", b.now - 90 * DAY, "https://hooks.example.com/chat");
  b.externalAccount("whatsapp", "447700900500", "Example Ltd WhatsApp", support.id);
  b.externalAccount("messenger", "104857600123", "Example Ltd on Messenger", support.id);
  b.externalAccount("viber_service_msg", "37812", "Example Ltd Viber", alerts.id);
  b.externalAccount("rcs", "example_ltd_agent", "Example Ltd RCS", chat.id);
  for (let i = 0; i < 3; i++) b.number(shop.id, b.now - (399 - i) * DAY);
  for (let i = 0; i < 2; i++) b.number(support.id, b.now - (349 - i) * DAY);
  for (let i = 0; i < 2; i++) b.number(ivr.id, b.now - (329 - i) * DAY);
  b.number(alerts.id, b.now - 99 * DAY, "US");
  for (let i = 0; i < 3; i++) b.number(undefined, undefined);
  return { legitSecret, legitSubs, ivr };
}

/**
 * The attack: a dashboard login from an unknown address, a second API secret, a new subaccount, and the
 * legacy IVR's webhooks pointed at a plain-http collector.
 */
function compromisedAttack(
  b: Builder,
  compromisedSince: number,
  ivr: SimApplication,
): { attackerSecret: SimSecret; rogue: SimSubaccount; collector: string } {
  b.event("USER_LOGIN", compromisedSince, {}, { dashboard: true, attacker: true });
  const attackerSecret = b.secret(compromisedSince + 2 * HOUR);
  b.event(
    "ACCOUNT_SECRET_CREATE",
    compromisedSince + 2 * HOUR,
    { secret_id: attackerSecret.id },
    { attacker: true },
  );
  const rogue = b.subaccount("svc-backup", compromisedSince + 3 * HOUR);
  b.event(
    "USER_CREATE",
    compromisedSince + 3 * HOUR,
    { subaccount_api_key: rogue.apiKey },
    { attacker: true },
  );
  const collector = "http://collector.example.net/ivr";
  ivr.capabilities = {
    voice: {
      webhooks: {
        answer_url: { address: `${collector}/answer`, http_method: "GET" },
        event_url: { address: `${collector}/event`, http_method: "POST" },
      },
    },
  };
  b.event("APP_UPDATE", compromisedSince + 4 * HOUR, { appId: ivr.id, name: ivr.name }, { attacker: true });
  return { attackerSecret, rogue, collector };
}

function compromisedTraffic(
  b: Builder,
  seed: number,
  compromisedSince: number,
  rogueKey: string,
): SimTraffic {
  return {
    ...traffic(seed, b.now - 10 * DAY, compromisedSince, b.now, {
      SMS: 2000,
      "VOICE-CALL": 500,
      MESSAGES: 1000,
    }),
    // The attacker keeps pumping while a credential of theirs is live: a drill sees the spend stop.
    attackPerMinute: 30,
    // The attacker's subaccount sends fraud of its own from its creation, until it is suspended.
    subaccounts: {
      [rogueKey]: {
        start: isoSeconds(compromisedSince + 3 * HOUR),
        counts: { SMS: 300, "VOICE-CALL": 20, MESSAGES: 0 },
        attackPerMinute: 30,
      },
    },
  };
}

function buildLarge(b: Builder, seed: number, params: ScenarioParams): SimState {
  const appCount = nonNegative("applications", params.applications ?? 150);
  const numberCount = nonNegative("numbers", params.numbers ?? 1500);
  const linked = Math.min(nonNegative("linkedNumbers", params.linkedNumbers ?? 1000), numberCount);
  const subCount = nonNegative("subaccounts", params.subaccounts ?? 20);
  if (linked > 0 && appCount === 0)
    throw new Error("scenario large: linkedNumbers needs at least one application");
  const created = b.now - 800 * DAY;
  const secret = b.secret(created);
  const subKeys: string[] = [];
  for (let i = 0; i < subCount; i++)
    subKeys.push(b.subaccount(`sub-${i + 1}`, b.now - (700 - i) * DAY).apiKey);
  const apps: SimApplication[] = [];
  for (let i = 0; i < appCount; i++) {
    const app = b.application(
      `app-${i + 1}`,
      b.now - (600 - (i % 500)) * DAY,
      `https://hooks.example.com/app-${i + 1}`,
    );
    if (i % 10 === 1) withVerify(app, `https://hooks.example.com/app-${i + 1}`);
    apps.push(app);
  }
  for (let i = 0; i < numberCount; i++) {
    const app = i < linked ? apps[i % apps.length] : undefined;
    b.number(app?.id, undefined);
  }
  // One of each provider; RCS on the last application, which has no numbers when linkedNumbers < applications.
  b.externalAccount("whatsapp", "447700900500", "Enterprise WhatsApp", apps[0]?.id);
  b.externalAccount(
    "messenger",
    "104857600123",
    "Enterprise on Messenger",
    apps[1 % Math.max(appCount, 1)]?.id,
  );
  b.externalAccount("viber_service_msg", "37812", "Enterprise Viber", apps[2 % Math.max(appCount, 1)]?.id);
  b.externalAccount("rcs", "enterprise_agent", "Enterprise RCS", apps.at(-1)?.id);
  return {
    version: 1,
    meta: {
      ...meta(
        seed,
        "large",
        `A large healthy account: ${appCount} applications, ${numberCount} numbers (${linked} linked), ${subCount} subaccounts.`,
      ),
      legitimateSecretIds: [secret.id],
      legitimateSubaccountKeys: subKeys,
    },
    primary: {
      apiKey: b.primaryKey,
      name: "Example Enterprise",
      createdAt: isoSeconds(created),
      secrets: [secret],
      settings: b.settings(),
      balance: 10_000,
      autoReload: false,
      autoReloadAmount: 100,
    },
    subaccounts: b.subaccounts,
    applications: b.applications,
    numbers: b.numbers,
    externalAccounts: b.externalAccounts,
    fraudRules: [],
    // Large: a week of history, and fraud from the last day.
    traffic: traffic(seed, b.now - 7 * DAY, b.now - DAY, b.now, {
      SMS: 200_000,
      "VOICE-CALL": 20_000,
      MESSAGES: 50_000,
    }),
    auditEvents: b.events,
  };
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`scenario large: ${name} must be a non-negative integer`);
  return value;
}
