// RS256 JWTs as Vonage's application-authenticated APIs (Voice, Messages) take them: the signature is checked
// against the application's *current* public key, so a token signed with a replaced or deleted key is refused.

import { createPublicKey, verify } from "node:crypto";

import type { SimApplication, SimState } from "./sim-state.js";

/** Leeway for clocks that disagree a little. */
const SKEW_S = 60;
/** Vonage's SDKs issue 15-minute tokens; a token claiming to live longer than a day is not sane. */
const MAX_LIFETIME_S = 86_400;

export type JwtCheck = { ok: true; app: SimApplication } | { ok: false; reason: string };

export function verifyApplicationJwt(
  authorization: string | undefined,
  state: SimState,
  nowMs: number,
): JwtCheck {
  if (authorization === undefined || !/^bearer /i.test(authorization)) {
    return { ok: false, reason: "an application JWT is required (Authorization: Bearer)" };
  }
  const parts = authorization.slice(7).trim().split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (!header || !claims) return { ok: false, reason: "malformed token" };
  // Only RS256: accepting `none` or HS256 would let anyone who knows the public key mint tokens.
  if (header["alg"] !== "RS256") return { ok: false, reason: "token must be signed with RS256" };
  const appId = claims["application_id"];
  if (typeof appId !== "string") return { ok: false, reason: "token has no application_id claim" };
  const app = state.applications.find((a) => a.id === appId);
  if (!app) return { ok: false, reason: "invalid token" };
  let valid = false;
  try {
    valid = verify(
      "RSA-SHA256",
      Buffer.from(`${headerPart}.${payloadPart}`),
      createPublicKey(app.keys.public_key),
      Buffer.from(signaturePart, "base64url"),
    );
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "invalid token" };
  const now = Math.floor(nowMs / 1000);
  const iat = claims["iat"];
  const exp = claims["exp"];
  if (typeof iat !== "number" || iat > now + SKEW_S)
    return { ok: false, reason: "token iat is missing or in the future" };
  if (exp !== undefined) {
    if (typeof exp !== "number" || exp <= now - SKEW_S) return { ok: false, reason: "token expired" };
    if (exp - iat > MAX_LIFETIME_S) return { ok: false, reason: "token lifetime is too long" };
  } else if (iat < now - MAX_LIFETIME_S) {
    return { ok: false, reason: "token expired" };
  }
  return { ok: true, app };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
