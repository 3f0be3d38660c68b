// Route handlers return a Reply instead of writing to the socket, so faults, logging and headers are applied in
// one place. Each API family has its own error body; these builders are the only place those shapes exist.

import { randomBytes } from "node:crypto";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Default `application/json`. */
  contentType?: string;
  /** Recorded in the request log, never sent. */
  notes?: string[];
}

/**
 * Which error body shape a path's API family uses. `account` is the Account API 1.0.4 (balance, top-up,
 * settings, secrets): RFC 7807 bodies sent as `application/problem+json`.
 */
export type ErrorFamily = "problem" | "account" | "audit" | "rest";

export const PROBLEM_JSON = "application/problem+json";

export function json(status: number, body: unknown): Reply {
  return { status, body };
}

export function noContent(): Reply {
  return { status: 204 };
}

export interface InvalidParameter {
  name: string;
  reason: string;
}

/** RFC 7807-style body of api.nexmo.com (secrets, applications, subaccounts). */
export function problem(
  status: number,
  type: string,
  title: string,
  detail: string,
  invalidParameters?: InvalidParameter[],
): Reply {
  return {
    status,
    body: {
      type,
      title,
      detail,
      instance: randomBytes(16).toString("hex"),
      ...(invalidParameters ? { invalid_parameters: invalidParameters } : {}),
    },
  };
}

/** The same body sent as `application/problem+json`, as Account API 1.0.4 declares its errors. */
export function accountProblem(
  status: number,
  type: string,
  title: string,
  detail: string,
  invalidParameters?: InvalidParameter[],
): Reply {
  return { ...problem(status, type, title, detail, invalidParameters), contentType: PROBLEM_JSON };
}

/** `{status, error, message}` body of /beta/audit. */
export function auditError(status: number, error: string, message: string): Reply {
  return { status, body: { status, error, message } };
}

/** `{"error-code", "error-code-label"}` body of rest.nexmo.com. */
export function restError(status: number, label: string): Reply {
  return { status, body: { "error-code": String(status), "error-code-label": label } };
}

export function familyOf(path: string): ErrorFamily {
  if (path.startsWith("/beta/audit")) return "audit";
  if (path === "/account/numbers" || path.startsWith("/number/")) return "rest";
  if (path.startsWith("/account/") || /^\/accounts\/[^/]+\/secrets(\/|$)/.test(path)) return "account";
  return "problem";
}

export function unauthorized(family: ErrorFamily): Reply {
  switch (family) {
    case "audit":
      return auditError(401, "Unauthorized", "Full authentication is required to access this resource");
    case "rest":
      return restError(401, "authentication failed");
    case "account":
      return accountProblem(
        401,
        "https://developer.nexmo.com/api-errors#unauthorized",
        "Invalid credentials supplied",
        "You did not provide correct credentials.",
      );
    case "problem":
      return problem(
        401,
        "https://developer.nexmo.com/api-errors#unauthorized",
        "Invalid credentials supplied",
        "You did not provide correct credentials.",
      );
  }
}

export function notFound(family: ErrorFamily, what: string): Reply {
  switch (family) {
    case "audit":
      return auditError(404, "Not Found", what);
    case "rest":
      return restError(404, what);
    case "account":
      return accountProblem(404, "https://developer.nexmo.com/api-errors#not-found", "Not Found", what);
    case "problem":
      return problem(404, "https://developer.nexmo.com/api-errors#not-found", "Not Found", what);
  }
}

export function serverError(family: ErrorFamily, status: number): Reply {
  const message = "Injected fault: the simulator answered with a server error";
  switch (family) {
    case "audit":
      return auditError(status, "Internal Server Error", message);
    case "rest":
      return restError(status, "internal error");
    case "account":
      return accountProblem(
        status,
        "https://developer.nexmo.com/api-errors#internal-error",
        "Internal Server Error",
        message,
      );
    case "problem":
      return problem(
        status,
        "https://developer.nexmo.com/api-errors#internal-error",
        "Internal Server Error",
        message,
      );
  }
}

export function tooManyRequests(family: ErrorFamily): Reply {
  const message = "Rate limit exceeded; retry after the number of seconds in Retry-After";
  switch (family) {
    case "audit":
      return auditError(429, "Too Many Requests", message);
    case "rest":
      return restError(429, "throttled");
    case "account":
      return accountProblem(
        429,
        "https://developer.nexmo.com/api-errors#throttled",
        "Rate Limit Hit",
        message,
      );
    case "problem":
      return problem(429, "https://developer.nexmo.com/api-errors#throttled", "Rate Limit Hit", message);
  }
}
