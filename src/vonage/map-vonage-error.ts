// Turns whatever the SDK threw into a VonageApiError built from the HTTP status and the response body only.
// The SDK's error object holds the request with its Authorization header: nothing of it is copied or linked.

import { VonageApiError, type VonageErrorKind } from "../core/errors.js";
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import { isNetworkError } from "./request-scheduler.js";

export interface ErrorContext {
  /** Gateway method name, e.g. `createSecret`. */
  operation: string;
  /** The base URL the request went to, e.g. `https://api.nexmo.com`. */
  host: string;
  /** The environment variable that overrides `host`, named in the "cannot reach" message. */
  hostEnvVar?: string;
  timeoutMs?: number | undefined;
  /** Values that must never appear in a message (the API secret), scrubbed as a last line of defence. */
  redact?: readonly string[];
}

export const AUTH_FAILED_MESSAGE =
  "Vonage rejected the credentials: check VONAGE_API_KEY / VONAGE_API_SECRET";

/** Bound of each echoed part of an error body (title, detail, type): a proxy may answer with megabytes. */
export const FOREIGN_DETAIL_MAX = 300;

/** A third secret: `#add-excess-secret` in Vonage's newest SDK fixtures, `#maximum-secrets-allowed` in older ones. */
const MAX_SECRETS_SUFFIXES = ["#add-excess-secret", "#maximum-secrets-allowed"] as const;
const LAST_SECRET_SUFFIX = "#delete-last-secret";

interface ParsedBody {
  type: string | undefined;
  title: string | undefined;
  detail: string | undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** RFC 7807 (`type/title/detail`), rest.nexmo.com (`error-code/error-code-label`), audit (`error/message`). */
export function parseErrorBody(text: string): ParsedBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { type: undefined, title: undefined, detail: text.trim() || undefined };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { type: undefined, title: undefined, detail: undefined };
  }
  const b = body as Record<string, unknown>;
  const type = str(b.type) ?? str(b["error-code"]) ?? str(b.error_code);
  const title = str(b.title) ?? str(b.error);
  let detail = str(b.detail) ?? str(b["error-code-label"]) ?? str(b.error_code_label) ?? str(b.message);
  const invalid = b.invalid_parameters;
  if (Array.isArray(invalid) && invalid.length > 0) {
    const reasons = invalid
      .map((p) => {
        if (typeof p !== "object" || p === null) return undefined;
        const { name, reason } = p as { name?: unknown; reason?: unknown };
        return [str(name), str(reason)].filter(Boolean).join(": ");
      })
      .filter((r): r is string => Boolean(r));
    if (reasons.length > 0) detail = `${detail ? `${detail} ` : ""}(${reasons.join("; ")})`;
  }
  return { type, title, detail };
}

/**
 * A foreign text made safe to echo: secrets out first (in every encoding redactText knows, and the caller's own
 * values), then cut to a bound and cleaned of control characters. Cutting first could leave half a secret
 * that no longer matches.
 */
function scrub(text: string, redact: readonly string[] | undefined, maxLength: number): string {
  let out = redactText(text);
  for (const value of redact ?? []) {
    if (value) out = out.split(value).join("[redacted]");
  }
  return foreignText(out, maxLength);
}

function kindOf(status: number, type: string | undefined): VonageErrorKind {
  if (
    type !== undefined &&
    MAX_SECRETS_SUFFIXES.some((suffix) => type.endsWith(suffix)) &&
    (status === 403 || status === 400)
  )
    return "limit";
  if (type?.endsWith(LAST_SECRET_SUFFIX)) return "forbidden";
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 400 || status === 422) return "validation";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "server";
  return "other";
}

function hintOf(kind: VonageErrorKind, ctx: ErrorContext): string | undefined {
  switch (kind) {
    case "auth":
      return "the API key or secret is wrong, or the secret was revoked";
    case "limit":
      return "the key already has 2 secrets: revoke one before creating another";
    case "rate-limited":
      return "Vonage is rate-limiting this API key: wait a moment and resume the run";
    case "server":
      return "Vonage answered with a server error: resume the run later";
    case "unreachable":
      return `check ${ctx.hostEnvVar ?? "VONAGE_API_HOST"} or your network`;
    case "timeout":
      return "Vonage did not answer in time: resume the run, or raise the timeout";
    default:
      return undefined;
  }
}

async function readBody(response: unknown): Promise<string> {
  try {
    const text = (response as { text?: unknown }).text;
    if (typeof text !== "function") return "";
    const value: unknown = await (text as () => Promise<unknown>).call(response);
    return typeof value === "string" ? value : "";
  } catch {
    // Body already consumed or connection dropped mid-body: status alone still says enough.
    return "";
  }
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps an error thrown by an SDK call (VetchError, FetchError, AbortError, ...) to a VonageApiError. */
export async function mapVonageError(error: unknown, ctx: ErrorContext): Promise<VonageApiError> {
  if (error instanceof VonageApiError) return error;
  const response =
    typeof error === "object" && error !== null && "response" in error
      ? (error as { response: unknown }).response
      : undefined;
  const status =
    typeof response === "object" && response !== null ? (response as { status?: unknown }).status : undefined;

  if (typeof status === "number") {
    const body = parseErrorBody(await readBody(response));
    const kind = kindOf(status, body.type);
    const what = [body.title, body.detail]
      .filter((part): part is string => Boolean(part))
      .map((part) => scrub(part, ctx.redact, FOREIGN_DETAIL_MAX))
      .join(": ");
    const message =
      kind === "auth"
        ? AUTH_FAILED_MESSAGE
        : `${ctx.operation} failed: HTTP ${status}${what ? ` ${what}` : ""}`;
    return new VonageApiError({
      kind,
      operation: ctx.operation,
      message,
      status,
      type: body.type === undefined ? undefined : scrub(body.type, ctx.redact, FOREIGN_DETAIL_MAX),
      hint: hintOf(kind, ctx),
    });
  }

  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === "AbortError" || name === "TimeoutError") {
    const within = ctx.timeoutMs === undefined ? "" : ` within ${ctx.timeoutMs} ms`;
    return new VonageApiError({
      kind: "timeout",
      operation: ctx.operation,
      message: `${ctx.operation}: no answer from ${ctx.host}${within} (timeout)`,
      hint: hintOf("timeout", ctx),
    });
  }

  if (isNetworkError(error)) {
    const code = networkCode(error) ?? "network error";
    return new VonageApiError({
      kind: "unreachable",
      operation: ctx.operation,
      // What to check is the hint, printed once under the error: the message repeats per failed request.
      message: `cannot reach ${ctx.host} (${code})`,
      hint: hintOf("unreachable", ctx),
    });
  }

  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new VonageApiError({
    kind: "other",
    operation: ctx.operation,
    message: `${ctx.operation} failed: ${scrub(detail, ctx.redact, FOREIGN_DETAIL_MAX)}`,
  });
}
