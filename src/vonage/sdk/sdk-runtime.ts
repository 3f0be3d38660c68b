// The request machinery every API family of the SDK gateway shares: the resolved hosts and timeout, the lazily
// built SDK clients, and `call`, which runs one request through the RequestScheduler and maps its errors
// (map-vonage-error.ts). The SDK is imported lazily so that commands which never call Vonage do not load it.

import type { SubAccounts } from "@vonage/subaccounts";
import type { Audit } from "@vonage/audit";
import { GATEWAY_METHODS, type Credentials, type GatewayMethod } from "../gateway.js";
import { mapVonageError, type ErrorContext } from "../map-vonage-error.js";
import { RequestScheduler } from "../request-scheduler.js";
import { obj } from "./json-values.js";
import { loadVonageParts, type VonageParts } from "./load-vonage-parts.js";

export const DEFAULT_API_HOST = "https://api.nexmo.com";
export const DEFAULT_REST_HOST = "https://rest.nexmo.com";
export const DEFAULT_TIMEOUT_MS = 15_000;

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

export interface Clients {
  vonage: VonageParts;
  subaccounts: SubAccounts;
  audit: Audit;
}

export type Host = "api" | "rest";

/** What every SDK client is built with. */
export interface ClientOptions {
  apiHost: string;
  restHost: string;
  timeout: number;
}

export interface SdkRuntime {
  readonly credentials: Credentials;
  readonly apiHost: string;
  readonly restHost: string;
  readonly timeoutMs: number;
  readonly scheduler: RequestScheduler;
  readonly clientOptions: ClientOptions;
  /** The SDK clients for the gateway's credentials, built on first use. */
  clients(): Promise<Clients>;
  /** One scheduled, error-mapped request. `fn` may run more than once (see RequestScheduler). */
  call<T>(
    operation: GatewayMethod,
    host: Host,
    idempotent: boolean,
    fn: (attempt: number) => Promise<T>,
    schedulerKey?: string,
    secret?: string,
  ): Promise<T>;
  /** How an error of `operation` is mapped: the host it went to, its override, the timeout, what to redact. */
  errorContext(operation: GatewayMethod, host: Host, secret?: string): ErrorContext;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function kindOf(operation: string): "read" | "write" {
  return GATEWAY_METHODS[operation as GatewayMethod] ?? "read";
}

/**
 * The SDK drops the headers of successful responses, so the X-RateLimit-* pacing hints would only be seen on
 * errors: wrap the client's response parser to show them to the scheduler first.
 */
export function observeRateLimits(scheduler: RequestScheduler, client: object, apiKey: string): void {
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

async function createClients(runtime: SdkRuntime): Promise<Clients> {
  const [{ SubAccounts }, { Audit }] = await Promise.all([
    import("@vonage/subaccounts"),
    import("@vonage/audit"),
  ]);
  const { credentials: creds, clientOptions, scheduler } = runtime;
  const auth = { apiKey: creds.apiKey, apiSecret: creds.apiSecret };
  const audit = new Audit(auth, clientOptions);
  // Audit pages through an async generator: schedule each page's HTTP request, not the whole listing.
  const sendRequest = audit.sendRequest.bind(audit);
  audit.sendRequest = ((request: Parameters<typeof sendRequest>[0]) =>
    runtime.call("listAuditEvents", "api", true, () =>
      sendRequest({ ...request }),
    )) as typeof audit.sendRequest;
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
    observeRateLimits(scheduler, client, creds.apiKey);
  }
  return { vonage, subaccounts, audit };
}

export function createSdkRuntime(options: SdkGatewayOptions): SdkRuntime {
  const { credentials } = options;
  const apiHost = trimSlash(options.apiHost ?? DEFAULT_API_HOST);
  const restHost = trimSlash(options.restHost ?? DEFAULT_REST_HOST);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const scheduler = options.scheduler ?? new RequestScheduler();
  let loaded: Promise<Clients> | undefined;

  const runtime: SdkRuntime = {
    credentials,
    apiHost,
    restHost,
    timeoutMs,
    scheduler,
    clientOptions: { apiHost, restHost, timeout: timeoutMs },
    clients: () => (loaded ??= createClients(runtime)),
    errorContext: (operation, host, secret = credentials.apiSecret) => ({
      operation,
      host: host === "api" ? apiHost : restHost,
      hostEnvVar: host === "api" ? "VONAGE_API_HOST" : "VONAGE_REST_HOST",
      timeoutMs,
      redact: [secret],
    }),
    async call(
      operation,
      host,
      idempotent,
      fn,
      schedulerKey = credentials.apiKey,
      secret = credentials.apiSecret,
    ) {
      try {
        return await scheduler.run(schedulerKey, { idempotent }, (attempt) => {
          options.onRequest?.({ operation, kind: kindOf(operation) });
          return fn(attempt);
        });
      } catch (error) {
        throw await mapVonageError(error, runtime.errorContext(operation, host, secret));
      }
    },
  };
  return runtime;
}

/** A DELETE repeated after an unknown outcome (5xx, dropped connection) may find the thing already gone. */
export function goneOnRetry(error: unknown, attempt: number): boolean {
  const status = obj(obj(error).response).status;
  return attempt > 1 && status === 404;
}
