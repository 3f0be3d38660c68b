// Plain fetch against a running simulator, for tests that must see status, headers and the exact body.

import type { RunningSimulator } from "../../src/simulator/index.js";

export interface RawResponse {
  status: number;
  contentType: string | null;
  headers: Headers;
  body: unknown;
}

export interface RawOptions {
  /** `[apiKey, secret]`; default the primary's credentials; null sends none. */
  auth?: [string, string] | null;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
}

export async function raw(
  sim: RunningSimulator,
  method: string,
  path: string,
  opts: RawOptions = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? [sim.primary.apiKey, sim.primary.apiSecret] : opts.auth;
  if (auth) headers["Authorization"] = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
  if (opts.bearer !== undefined) headers["Authorization"] = `Bearer ${opts.bearer}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${sim.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // keep the text
  }
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    headers: res.headers,
    body: parsed,
  };
}

export function admin(
  sim: RunningSimulator,
  method: string,
  path: string,
  json?: unknown,
): Promise<RawResponse> {
  return raw(sim, method, path, {
    auth: null,
    bearer: sim.adminToken,
    ...(json === undefined ? {} : { json }),
  });
}
