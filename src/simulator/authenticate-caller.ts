// Who is calling: Basic or query-string credentials checked against the state's secrets (in constant time), and
// the owner of an application whose JWT verified. A suspended subaccount's credentials and applications stop
// working.

import { timingSafeEqual } from "node:crypto";
import type { Caller } from "./sim-context.js";
import type { SimState } from "./sim-state.js";

export function parseBasic(header: string | undefined): { apiKey: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { apiKey: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate(
  state: SimState,
  apiKey: string | undefined,
  secret: string | undefined,
): Caller | undefined {
  if (apiKey === undefined || secret === undefined) return undefined;
  const { primary, subaccounts } = state;
  let caller: Caller | undefined;
  if (primary.apiKey === apiKey) caller = { kind: "primary", account: primary };
  const sub = subaccounts.find((s) => s.apiKey === apiKey);
  // A suspended subaccount's credentials stop working, whichever secret they use.
  if (!caller && sub && !sub.suspended) caller = { kind: "subaccount", account: sub };
  if (!caller) return undefined;
  return caller.account.secrets.some((s) => safeEqual(s.value, secret)) ? caller : undefined;
}

/** The account a verified JWT's application belongs to; a suspended subaccount's applications stop working. */
export function ownerOf(state: SimState, apiKey: string): Caller | undefined {
  const { primary, subaccounts } = state;
  if (primary.apiKey === apiKey) return { kind: "primary", account: primary };
  const sub = subaccounts.find((s) => s.apiKey === apiKey && !s.suspended);
  return sub ? { kind: "subaccount", account: sub } : undefined;
}
