// The Gateway over @vonage/server-sdk, @vonage/subaccounts and @vonage/audit: hosts, timeouts, pacing and retries
// (RequestScheduler), paging, normalisation to wire-keyed records, and error mapping (map-vonage-error.ts).
// The SDK is imported lazily so that commands which never call Vonage (`--help`, `validate`) do not load it.

import { createRequire } from "node:module";
import type { Vonage } from "@vonage/server-sdk";
import type { SubAccounts } from "@vonage/subaccounts";
import type { Audit } from "@vonage/audit";
import { VonageApiError } from "../core/errors.js";
import {
  GATEWAY_METHODS,
  type AccountSettings,
  type ApplicationConfig,
  type ApplicationRecord,
  type AuditEvent,
  type Availability,
  type Balance,
  type Credentials,
  type ExternalAccountRecord,
  type Gateway,
  type GatewayMethod,
  type ListProgress,
  type NumberRecord,
  type SecretMeta,
  type SubaccountRecord,
} from "./gateway.js";
import { applicationRequestBody } from "./application-request.js";
import { mapVonageError } from "./map-vonage-error.js";
import { RequestScheduler } from "./request-scheduler.js";
import { toWireKeys } from "./wire-keys.js";
import {
  FRAUD_RULES_PATH,
  RECORDS_PATH,
  nextCursor,
  normaliseFraudRule,
  normaliseTrafficRecord,
  recordsParams,
} from "./traffic-wire.js";

export const DEFAULT_API_HOST = "https://api.nexmo.com";
export const DEFAULT_REST_HOST = "https://rest.nexmo.com";
export const DEFAULT_TIMEOUT_MS = 15_000;
const EXTERNAL_ACCOUNTS_PATH = "/beta/chatapp-accounts";
/** Vonage's maximum page size for applications, numbers and audit events. */
const PAGE_SIZE = 100;

export interface RequestInfo {
  operation: string;
  kind: "read" | "write";
}

export interface SdkGatewayOptions {
  credentials: Credentials;
  apiHost?: string | undefined;
  restHost?: string | undefined;
  /** Per HTTP request. Default 15000. */
  timeoutMs?: number | undefined;
  /** Shared by every gateway derived with withSecret(); one is created when absent. */
  scheduler?: RequestScheduler | undefined;
  /** Called before every HTTP request (retries and pages included). */
  onRequest?: ((info: RequestInfo) => void) | undefined;
}

/** The clients of @vonage/server-sdk the gateway uses, under the names the SDK's `Vonage` class gives them. */
type VonageParts = Pick<Vonage, "accounts" | "secrets" | "applications" | "numbers">;
type VonageAuth = ConstructorParameters<typeof Vonage>[0];
type VonageOptions = ConstructorParameters<typeof Vonage>[1];
type PartClass<T> = new (auth: VonageAuth, options: VonageOptions) => T;

/**
 * What `new Vonage(auth, options)` builds for accounts, secrets, applications and numbers, without loading the
 * SDK's twelve other API packages (Voice, Video, Messages, ...): that halves the SDK's load time (~140 ms on
 * the 2-vCPU machines), which is time before the first request of a run. Each package is resolved from the
 * SDK's own location, so it is the exact version the SDK depends on, whatever else is installed.
 */
function loadVonageParts(auth: VonageAuth, options: VonageOptions): VonageParts {
  const fromSdk = createRequire(import.meta.resolve("@vonage/server-sdk"));
  const accounts = fromSdk("@vonage/accounts") as {
    Accounts: PartClass<Vonage["accounts"]>;
    Secrets: PartClass<Vonage["secrets"]>;
  };
  const { Applications } = fromSdk("@vonage/applications") as {
    Applications: PartClass<Vonage["applications"]>;
  };
  const { Numbers } = fromSdk("@vonage/numbers") as { Numbers: PartClass<Vonage["numbers"]> };
  return {
    accounts: new accounts.Accounts(auth, options),
    secrets: new accounts.Secrets(auth, options),
    applications: new Applications(auth, options),
    numbers: new Numbers(auth, options),
  };
}

interface Clients {
  vonage: VonageParts;
  subaccounts: SubAccounts;
  audit: Audit;
}

type Host = "api" | "rest";
type Json = Record<string, unknown>;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

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

function secretMeta(value: unknown): SecretMeta {
  const s = obj(value);
  return { id: String(s.id ?? ""), createdAt: String(s.created_at ?? s.createdAt ?? "") };
}

/**
 * Fields `POST /number/update` takes besides country, msisdn and app_id. The update is not a patch (it clears what
 * it omits), so every one of them that the number's read shows is sent again.
 */
const NUMBER_UPDATE_FIELDS = [
  "moHttpUrl",
  "moSmppSysType",
  "voiceCallbackType",
  "voiceCallbackValue",
  "voiceStatusCallback",
] as const;

/**
 * The form fields a relink sends: the new application as `app_id` and the number's fields as read. Never the
 * deprecated `voiceCallbackType=app` ("will be removed", Numbers 1.1.0): with `app_id` set, voice goes to the
 * linked application without it, and re-sending it would keep voice pointed at the old application's id.
 */
export function numberUpdateParams(number: NumberRecord, appId: string): Record<string, string> {
  const params: Record<string, string> = {
    country: number.country,
    msisdn: number.msisdn,
    applicationId: appId,
  };
  for (const field of NUMBER_UPDATE_FIELDS) {
    const value = text(number.raw[field]);
    if (value !== undefined) params[field] = value;
  }
  if (params.voiceCallbackType === "app") {
    delete params.voiceCallbackType;
    delete params.voiceCallbackValue;
  }
  return params;
}

/**
 * Vonage GETs a number's `moHttpUrl` and refuses the update unless it answers 200 OK: a refusal of an update that
 * sent one names the number and the URL. Auth, rate-limit, server and network failures are not that refusal.
 */
function numberUpdateRefused(
  error: VonageApiError,
  params: Record<string, string>,
  label: string,
): VonageApiError {
  const url = params.moHttpUrl;
  const refusal = ["validation", "forbidden", "other", "not-found"].includes(error.kind);
  if (url === undefined || !refusal) return error;
  return new VonageApiError({
    kind: error.kind,
    operation: error.operation,
    status: error.status,
    type: error.type,
    message: `Vonage refused to update number ${params.msisdn} (${label}); Vonage first checks that its SMS webhook (moHttpUrl) ${url} answers 200 OK`,
    hint: `make ${url} answer 200 OK to a GET (or change the number's SMS webhook in the Vonage dashboard), then resume the run`,
  });
}

export function createSdkGateway(options: SdkGatewayOptions): Gateway {
  const { credentials } = options;
  const apiHost = trimSlash(options.apiHost ?? DEFAULT_API_HOST);
  const restHost = trimSlash(options.restHost ?? DEFAULT_REST_HOST);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const scheduler = options.scheduler ?? new RequestScheduler();
  const clientOptions = { apiHost, restHost, timeout: timeoutMs };

  let loaded: Promise<Clients> | undefined;
  const clients = (): Promise<Clients> => (loaded ??= createClients(credentials));

  async function createClients(creds: Credentials): Promise<Clients> {
    const [{ SubAccounts }, { Audit }] = await Promise.all([
      import("@vonage/subaccounts"),
      import("@vonage/audit"),
    ]);
    const auth = { apiKey: creds.apiKey, apiSecret: creds.apiSecret };
    const audit = new Audit(auth, clientOptions);
    // Audit pages through an async generator: schedule each page's HTTP request, not the whole listing.
    const sendRequest = audit.sendRequest.bind(audit);
    audit.sendRequest = ((request: Parameters<typeof sendRequest>[0]) =>
      call("listAuditEvents", "api", true, () => sendRequest({ ...request }))) as typeof audit.sendRequest;
    const vonage = loadVonageParts(auth, clientOptions);
    const subaccounts = new SubAccounts(auth, clientOptions);
    for (const client of [
      vonage.accounts,
      vonage.secrets,
      vonage.applications,
      vonage.numbers,
      subaccounts,
      audit,
    ]) {
      observeRateLimits(client, creds.apiKey);
    }
    return { vonage, subaccounts, audit };
  }

  /**
   * The SDK drops the headers of successful responses, so the X-RateLimit-* pacing hints would only be seen on
   * errors: wrap the client's response parser to show them to the scheduler first.
   */
  function observeRateLimits(client: object, apiKey: string): void {
    const target = client as { parseResponse?: (request: unknown, response: unknown) => Promise<unknown> };
    const parse = target.parseResponse;
    if (typeof parse !== "function") return;
    target.parseResponse = (request, response) => {
      const headers = obj(response).headers as { get?: unknown } | undefined;
      if (headers && typeof headers.get === "function") {
        scheduler.observe(apiKey, headers as { get(name: string): string | null });
      }
      return parse.call(client, request, response);
    };
  }

  function kindOf(operation: string): "read" | "write" {
    return GATEWAY_METHODS[operation as GatewayMethod] ?? "read";
  }

  function externalAccountUrl(account: ExternalAccountRecord): string {
    return `${apiHost}${EXTERNAL_ACCOUNTS_PATH}/${encodeURIComponent(account.provider)}/${encodeURIComponent(account.externalId)}`;
  }

  /** One scheduled, error-mapped request. `fn` may run more than once (see RequestScheduler). */
  async function call<T>(
    operation: GatewayMethod,
    host: Host,
    idempotent: boolean,
    fn: (attempt: number) => Promise<T>,
    schedulerKey: string = credentials.apiKey,
    secret: string = credentials.apiSecret,
  ): Promise<T> {
    try {
      return await scheduler.run(schedulerKey, { idempotent }, (attempt) => {
        options.onRequest?.({ operation, kind: kindOf(operation) });
        return fn(attempt);
      });
    } catch (error) {
      throw await mapVonageError(error, {
        operation,
        host: host === "api" ? apiHost : restHost,
        hostEnvVar: host === "api" ? "VONAGE_API_HOST" : "VONAGE_REST_HOST",
        timeoutMs,
        redact: [secret],
      });
    }
  }

  /** A DELETE repeated after an unknown outcome (5xx, dropped connection) may find the thing already gone. */
  function goneOnRetry(error: unknown, attempt: number): boolean {
    const status = obj(obj(error).response).status;
    return attempt > 1 && status === 404;
  }

  /** Fetches page 1, then the remaining pages concurrently (the scheduler paces them), in page order. */
  async function allPages<T>(
    fetchPage: (
      page: number,
    ) => Promise<{ items: T[]; totalPages: number | undefined; hasNext: boolean; total: number | undefined }>,
    progress: ListProgress | undefined,
  ): Promise<T[]> {
    const first = await fetchPage(1);
    const pages: T[][] = [first.items];
    let done = first.items.length;
    progress?.(done, first.total);
    if (first.totalPages !== undefined && first.totalPages > 1) {
      const rest = await Promise.all(
        Array.from({ length: first.totalPages - 1 }, async (_, i) => {
          const page = await fetchPage(i + 2);
          done += page.items.length;
          progress?.(done, first.total);
          return page.items;
        }),
      );
      pages.push(...rest);
    } else if (first.totalPages === undefined) {
      // No total: follow `next` links one page at a time.
      let current = first;
      for (let n = 2; current.hasNext && current.items.length > 0; n++) {
        current = await fetchPage(n);
        pages.push(current.items);
        done += current.items.length;
        progress?.(done, current.total);
      }
    }
    return pages.flat();
  }

  const gateway: Gateway = {
    apiKey: credentials.apiKey,

    async listSecrets(apiKey) {
      const { vonage } = await clients();
      const body = await call("listSecrets", "api", true, () => vonage.secrets.listSecrets(apiKey));
      return list(obj(obj(body)._embedded).secrets).map(secretMeta);
    },

    async checkCredentials(creds) {
      const probe = loadVonageParts({ apiKey: creds.apiKey, apiSecret: creds.apiSecret }, clientOptions);
      observeRateLimits(probe.accounts, creds.apiKey);
      try {
        await call(
          "checkCredentials",
          "rest",
          true,
          () => probe.accounts.getBalance(),
          creds.apiKey,
          creds.apiSecret,
        );
        return true;
      } catch (error) {
        if (error instanceof VonageApiError && error.kind === "auth") return false;
        throw error;
      }
    },

    async getBalance(): Promise<Balance> {
      const { vonage } = await clients();
      const body = obj(await call("getBalance", "rest", true, () => vonage.accounts.getBalance()));
      return {
        value: num(body.value) ?? 0,
        autoReload: body.autoReload === true || body.autoReload === "true",
      };
    },

    async getAccountSettings(): Promise<AccountSettings> {
      const { vonage } = await clients();
      // An empty settings POST changes nothing and answers with the current settings.
      const raw = obj(
        await call("getAccountSettings", "rest", true, () => vonage.accounts.updateAccountCallbacks({})),
      );
      const rate = num(raw["max-calls-per-second"] ?? raw.maxCallsPerSecond);
      // The account's own figure beats any default: every later request of the key is paced by it.
      if (rate !== undefined && rate > 0) scheduler.setAccountRate(credentials.apiKey, rate);
      return {
        moCallbackUrl: text(raw["mo-callback-url"] ?? raw.moCallbackUrl),
        drCallbackUrl: text(raw["dr-callback-url"] ?? raw.drCallbackUrl),
        maxCallsPerSecond: rate,
        raw,
      };
    },

    async listApplications(progress) {
      const { vonage } = await clients();
      return allPages(async (page) => {
        const body = obj(
          await call("listApplications", "api", true, () =>
            vonage.applications.listApplications({ pageSize: PAGE_SIZE, page }),
          ),
        );
        const items = list(obj(body._embedded).applications).map(normaliseApplication);
        return {
          items,
          totalPages: num(body.total_pages ?? body.totalPages),
          hasNext: Boolean(obj(body._links).next),
          total: num(body.total_items ?? body.totalItems),
        };
      }, progress);
    },

    async getApplication(id) {
      const { vonage } = await clients();
      try {
        return normaliseApplication(
          await call("getApplication", "api", true, () => vonage.applications.getApplication(id)),
        );
      } catch (error) {
        if (error instanceof VonageApiError && error.kind === "not-found") return undefined;
        throw error;
      }
    },

    async listNumbers(filter, progress) {
      const { vonage } = await clients();
      const applicationId = filter?.applicationId;
      const hasApplication = filter?.hasApplication;
      return allPages(async (index) => {
        const body = obj(
          await call("listNumbers", "rest", true, () =>
            vonage.numbers.getOwnedNumbers({
              ...(applicationId === undefined ? {} : { applicationId }),
              ...(hasApplication === undefined ? {} : { hasApplication }),
              size: PAGE_SIZE,
              index,
            }),
          ),
        );
        const count = num(body.count) ?? 0;
        const items = list(body.numbers).map(normaliseNumber);
        return { items, totalPages: Math.max(1, Math.ceil(count / PAGE_SIZE)), hasNext: false, total: count };
      }, progress);
    },

    async listSubaccounts(): Promise<Availability<SubaccountRecord[]>> {
      const { subaccounts } = await clients();
      try {
        const page = obj(await call("listSubaccounts", "api", true, () => subaccounts.getSubAccountPage()));
        return { available: true, value: list(obj(page._embedded).subaccounts).map(normaliseSubaccount) };
      } catch (error) {
        if (error instanceof VonageApiError && (error.status === 403 || error.status === 404)) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async listAuditEvents(filter): Promise<Availability<AuditEvent[]>> {
      const { audit } = await clients();
      const events: AuditEvent[] = [];
      try {
        // Each page request goes through call() (see createClients); errors arrive already mapped.
        const params = { size: PAGE_SIZE, ...(filter.since === undefined ? {} : { dateFrom: filter.since }) };
        for await (const event of audit.getEvents(params)) events.push(normaliseAuditEvent(event));
        return { available: true, value: events };
      } catch (error) {
        const mapped = await mapVonageError(error, {
          operation: "listAuditEvents",
          host: apiHost,
          hostEnvVar: "VONAGE_API_HOST",
          timeoutMs,
          redact: [credentials.apiSecret],
        });
        if (mapped.status === 403 || mapped.status === 404)
          return { available: false, reason: mapped.message };
        throw mapped;
      }
    },

    async listExternalAccounts(): Promise<Availability<ExternalAccountRecord[]>> {
      // No client in @vonage/server-sdk: the Applications client sends the request (its Basic auth is one the
      // External Accounts API accepts), through call() like every other one.
      const { vonage } = await clients();
      try {
        const accounts = await allPages(async (page) => {
          const response = await call("listExternalAccounts", "api", true, () =>
            vonage.applications.sendGetRequest<unknown>(`${apiHost}${EXTERNAL_ACCOUNTS_PATH}`, {
              page_number: page,
              page_size: PAGE_SIZE,
            }),
          );
          const body = obj(response.data);
          const items = list(body._embedded);
          return { items, totalPages: undefined, hasNext: Boolean(obj(body._links).next), total: undefined };
        }, undefined);
        return { available: true, value: accounts.map(normaliseExternalAccount) };
      } catch (error) {
        if (error instanceof VonageApiError && (error.status === 403 || error.status === 404)) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async readTrafficRecords(query, onPage) {
      // No Reports client in @vonage/server-sdk: the Applications client sends it (Basic auth), through call().
      const { vonage } = await clients();
      let cursor: { cursor: string; iv: string } | undefined;
      let records = 0;
      let pages = 0;
      try {
        do {
          const params = recordsParams(query, cursor);
          const response = await call("readTrafficRecords", "api", true, () =>
            vonage.applications.sendGetRequest<unknown>(`${apiHost}${RECORDS_PATH}`, params),
          );
          const body = obj(response.data);
          const page = list(body.records).map((r) => normaliseTrafficRecord(query.product, r));
          pages++;
          records += page.length;
          await onPage(page);
          cursor = page.length > 0 ? nextCursor(body) : undefined;
        } while (cursor);
        return { available: true, value: { records, pages } };
      } catch (error) {
        if (error instanceof VonageApiError && error.status === 403) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async createSecret(apiKey, secret) {
      const { vonage } = await clients();
      // Never retried blindly: after an unknown outcome the caller lists secrets to reconcile.
      const body = await call("createSecret", "api", false, () =>
        vonage.secrets.createSecret(apiKey, secret),
      );
      return secretMeta(body);
    },

    async revokeSecret(apiKey, secretId) {
      const { vonage } = await clients();
      await call("revokeSecret", "api", true, async (attempt) => {
        try {
          await vonage.secrets.deleteSecret(apiKey, secretId);
        } catch (error) {
          if (!goneOnRetry(error, attempt)) throw error;
        }
      });
    },

    async createApplication(config: ApplicationConfig, publicKeyPem: string) {
      const { vonage } = await clients();
      // The SDK deep-snake_cases the request; wire keys pass through unchanged.
      const body = applicationRequestBody(config, publicKeyPem);
      const created = await call("createApplication", "api", false, () =>
        vonage.applications.createApplication(
          body as unknown as Parameters<Vonage["applications"]["createApplication"]>[0],
        ),
      );
      return normaliseApplication(created);
    },

    async updateApplication(id, config, publicKeyPem) {
      const { vonage } = await clients();
      const body = applicationRequestBody(config, publicKeyPem);
      // Not the SDK's updateApplication: it sends the application's `id` in the body, which the PUT request
      // schema does not have. A PUT of the same body twice leaves the same application: safe to retry.
      const url = `${apiHost}/v2/applications/${encodeURIComponent(id)}`;
      const response = await call("updateApplication", "api", true, () =>
        vonage.applications.sendPutRequest<unknown>(url, body),
      );
      return normaliseApplication(response.data);
    },

    async deleteApplication(id) {
      const { vonage } = await clients();
      await call("deleteApplication", "api", true, async (attempt) => {
        try {
          await vonage.applications.deleteApplication(id);
        } catch (error) {
          if (!goneOnRetry(error, attempt)) throw error;
        }
      });
    },

    async linkNumber(number, appId) {
      const { vonage } = await clients();
      const params = numberUpdateParams(number, appId);
      let result: Json;
      try {
        result = obj(
          await call("linkNumber", "rest", true, () =>
            // A fresh object per attempt: the SDK deletes keys from its argument.
            vonage.numbers.updateNumber({ ...params } as unknown as Parameters<
              Vonage["numbers"]["updateNumber"]
            >[0]),
          ),
        );
      } catch (error) {
        if (error instanceof VonageApiError)
          throw numberUpdateRefused(error, params, `HTTP ${error.status ?? "?"}`);
        throw error;
      }
      const code = String(result.errorCode ?? result["error-code"] ?? "");
      if (code !== "200") {
        const label = text(result.errorCodeLabel ?? result["error-code-label"]) ?? "no reason given";
        throw numberUpdateRefused(
          new VonageApiError({
            kind: "other",
            operation: "linkNumber",
            message: `linkNumber failed for number ${number.msisdn}: Vonage answered error-code ${code || "(none)"}: ${label}`,
            type: code || undefined,
          }),
          params,
          `error-code ${code || "(none)"}: ${label}`,
        );
      }
    },

    async linkExternalAccount(account, appId) {
      const { vonage } = await clients();
      // Linking the application already linked answers 200: safe to retry.
      await call("linkExternalAccount", "api", true, () =>
        vonage.applications.sendPostRequest<unknown>(`${externalAccountUrl(account)}/applications`, {
          application: appId,
        }),
      );
    },

    async unlinkExternalAccount(account, appId) {
      const { vonage } = await clients();
      await call("unlinkExternalAccount", "api", true, async (attempt) => {
        try {
          await vonage.applications.sendDeleteRequest<unknown>(
            `${externalAccountUrl(account)}/applications/${encodeURIComponent(appId)}`,
          );
        } catch (error) {
          // A repeat after an unknown outcome finds it unlinked already: Vonage answers 409 for "not linked".
          if (!(attempt > 1 && obj(obj(error).response).status === 409)) throw error;
        }
      });
    },

    async setSubaccountSuspended(apiKey, suspended) {
      const { subaccounts } = await clients();
      const updated = await call("setSubaccountSuspended", "api", true, () =>
        subaccounts.updateSubAccount(apiKey, { suspended }),
      );
      return normaliseSubaccount(updated);
    },

    async createFraudRule(rule) {
      const { vonage } = await clients();
      // Never retried after an unknown outcome: the caller decides (a second BLOCK rule is harmless, see traffic.block).
      const response = await call("createFraudRule", "api", false, () =>
        vonage.applications.sendPostRequest<unknown>(`${apiHost}${FRAUD_RULES_PATH}`, { ...rule }),
      );
      return normaliseFraudRule(response.data);
    },

    withSecret(apiSecret) {
      return createSdkGateway({
        ...options,
        credentials: { apiKey: credentials.apiKey, apiSecret },
        scheduler,
      });
    },
  };
  return gateway;
}
