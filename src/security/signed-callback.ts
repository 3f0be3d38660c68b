// Verification of Vonage signed callbacks: `Authorization: Bearer <JWT>` (HS256 with the account signature
// secret) whose `payload_hash` claim is the SHA-256 of the raw request body. Every failure has its own reason.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { MemoryReplayStore } from "./replay-store.js";
import type { ReplayStore } from "./replay-store.js";

export type VerifyFailure =
  | "missing-header"
  | "malformed-header"
  | "malformed-token"
  | "unsupported-algorithm"
  | "bad-signature"
  | "payload-hash-mismatch"
  | "missing-claim"
  | "wrong-issuer"
  | "malformed-claim"
  | "iat-out-of-tolerance"
  | "expired"
  | "not-yet-valid"
  | "wrong-api-key"
  | "wrong-application-id"
  | "replayed";

export interface SignedCallbackClaims {
  /** Issued at, epoch seconds. */
  iat: number;
  jti: string;
  iss: string;
  /** Lowercase hex SHA-256 of the request body. */
  payload_hash: string;
  api_key?: string;
  application_id?: string;
  /** Not sent by Vonage; checked when present (epoch seconds, with the tolerance). */
  exp?: number;
  nbf?: number;
  [claim: string]: unknown;
}

export type VerifyResult =
  { ok: true; claims: SignedCallbackClaims } | { ok: false; reason: VerifyFailure; message: string };

export interface VerifySignedCallbackInput {
  /** The Authorization header value, e.g. `Bearer eyJ...`. */
  authorization: string | undefined;
  /** The body exactly as received (a string is taken as UTF-8). */
  rawBody: Buffer | string;
  /** The account's signature secret (dashboard → Settings), not the API secret. */
  signatureSecret: string;
  now?: Date;
  /** Maximum |now − iat| in seconds, and the leeway on `exp`/`nbf`; default 300. A finite number ≥ 0. */
  toleranceSeconds?: number;
  expectedApiKey?: string;
  expectedApplicationId?: string;
  /** Where seen `jti`s are remembered; default a process-wide MemoryReplayStore. */
  replayStore?: ReplayStore;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const VONAGE_ISSUER = "Vonage";
/** Vonage's tokens are about 500 characters; a larger one is refused before any decoding or hashing. */
export const MAX_TOKEN_LENGTH = 16_384;

const defaultReplayStore = new MemoryReplayStore();
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Hex SHA-256 of the raw body bytes, as Vonage puts it in `payload_hash`. */
export function payloadHash(rawBody: Buffer | string): string {
  return createHash("sha256").update(rawBody).digest("hex");
}

/** Signs claims as Vonage does (HS256, compact JSON); for tests, examples and the simulator-side tooling. */
export function signCallbackToken(claims: Record<string, unknown>, signatureSecret: string): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${hs256(`${header}.${payload}`, signatureSecret)}`;
}

/** A failed verification: what each phase below returns when it refuses (undefined when it passes). */
type Failed = Extract<VerifyResult, { ok: false }>;

/**
 * Checks, in this order, each with its own reason: the header's form, the token's form and HS256 signature, the
 * claims' shapes, issuer and payload_hash, the times (iat, exp, nbf), the expected api_key and application_id,
 * and last the jti against replay.
 */
export async function verifySignedCallback(input: VerifySignedCallbackInput): Promise<VerifyResult> {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  // NaN would make every age comparison false, that is every token fresh.
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new RangeError(`toleranceSeconds must be a finite number >= 0, not ${String(tolerance)}`);
  const token = bearerToken(input.authorization);
  if (typeof token !== "string") return token;
  const signed = signedPayload(token, input.signatureSecret);
  if ("ok" in signed) return signed;

  const claims = checkClaimShapes(signed.payload, input);
  if (Array.isArray(claims)) return fail(claims[0], claims[1]);
  const refused =
    checkIssuerAndBody(claims, input.rawBody) ??
    checkTimes(claims, (input.now ?? new Date()).getTime() / 1000, tolerance) ??
    checkExpected(claims, input);
  if (refused) return refused;

  // Remember the jti only for otherwise valid tokens, until the token would fail the iat check anyway.
  const store = input.replayStore ?? defaultReplayStore;
  const firstTime = await store.checkAndRemember(claims.jti, (claims.iat + tolerance) * 1000);
  if (!firstTime) return fail("replayed", `jti ${quoted(claims.jti)} was already accepted: replayed request`);

  return { ok: true, claims };
}

/** The token of an `Authorization: Bearer <token>` header, bounded in length. */
function bearerToken(authorization: string | undefined): string | Failed {
  if (authorization === undefined || authorization.trim() === "") {
    return fail("missing-header", "no Authorization header: the callback is not signed");
  }
  const bearer = /^Bearer +(\S+)\s*$/i.exec(authorization.trim());
  const token = bearer?.[1];
  if (token === undefined)
    return fail("malformed-header", "Authorization header is not of the form `Bearer <token>`");
  if (token.length > MAX_TOKEN_LENGTH)
    return fail("malformed-token", `token is ${token.length} characters, more than ${MAX_TOKEN_LENGTH}`);
  return token;
}

/** The token's payload, once its form is a JWT and its HS256 signature matches the secret. */
function signedPayload(
  token: string,
  signatureSecret: string,
): { payload: Record<string, unknown> } | Failed {
  const parts = token.split(".");
  const [headerPart, payloadPart, signaturePart] = parts;
  if (
    parts.length !== 3 ||
    headerPart === undefined ||
    payloadPart === undefined ||
    signaturePart === undefined ||
    headerPart === "" ||
    payloadPart === "" ||
    !parts.every((part) => BASE64URL.test(part))
  ) {
    return fail("malformed-token", "token is not three base64url parts separated by dots");
  }
  const header = decodeJsonObject(headerPart);
  if (header === undefined) return fail("malformed-token", "token header is not a base64url JSON object");
  const payload = decodeJsonObject(payloadPart);
  if (payload === undefined) return fail("malformed-token", "token payload is not a base64url JSON object");

  // Only HS256: `none` would skip the signature, and RS256 verified with the secret as a "public key" is the
  // classic key-confusion forgery.
  if (header["alg"] !== "HS256") {
    return fail("unsupported-algorithm", `token algorithm ${quoted(header["alg"])} is not HS256`);
  }
  const expected = Buffer.from(hs256(`${headerPart}.${payloadPart}`, signatureSecret));
  const actual = Buffer.from(signaturePart);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return fail("bad-signature", "token signature does not match the signature secret");
  }
  return { payload };
}

/** The issuer is Vonage, and payload_hash is the SHA-256 of the body as received. */
function checkIssuerAndBody(claims: SignedCallbackClaims, rawBody: Buffer | string): Failed | undefined {
  if (claims.iss !== VONAGE_ISSUER) {
    return fail("wrong-issuer", `issuer ${quoted(claims.iss)} is not "${VONAGE_ISSUER}"`);
  }

  const bodyHash = Buffer.from(payloadHash(rawBody));
  const claimedHash = Buffer.from(claims.payload_hash.toLowerCase());
  if (bodyHash.length !== claimedHash.length || !timingSafeEqual(bodyHash, claimedHash)) {
    return fail("payload-hash-mismatch", "payload_hash does not match the SHA-256 of the request body");
  }
  return undefined;
}

/** iat within the tolerance either way; exp and nbf, when present, with the same leeway. */
function checkTimes(claims: SignedCallbackClaims, nowSeconds: number, tolerance: number): Failed | undefined {
  const age = nowSeconds - claims.iat;
  if (age > tolerance) {
    return fail("iat-out-of-tolerance", `token issued ${Math.round(age)} s ago (tolerance ${tolerance} s)`);
  }
  if (-age > tolerance) {
    return fail(
      "iat-out-of-tolerance",
      `token issued ${Math.round(-age)} s in the future (tolerance ${tolerance} s); check clocks`,
    );
  }

  // Vonage sends no exp or nbf, but a token that carries them means them: the same leeway as iat.
  if (claims.exp !== undefined && nowSeconds - claims.exp > tolerance) {
    return fail(
      "expired",
      `token expired ${Math.round(nowSeconds - claims.exp)} s ago (tolerance ${tolerance} s)`,
    );
  }
  if (claims.nbf !== undefined && claims.nbf - nowSeconds > tolerance) {
    return fail(
      "not-yet-valid",
      `token is not valid for another ${Math.round(claims.nbf - nowSeconds)} s (tolerance ${tolerance} s); check clocks`,
    );
  }
  return undefined;
}

/** The api_key and application_id the caller expects, when it names them. */
function checkExpected(claims: SignedCallbackClaims, input: VerifySignedCallbackInput): Failed | undefined {
  if (input.expectedApiKey !== undefined && claims.api_key !== input.expectedApiKey) {
    return fail("wrong-api-key", `api_key ${quoted(claims.api_key)} is not the expected one`);
  }
  if (input.expectedApplicationId !== undefined && claims.application_id !== input.expectedApplicationId) {
    return fail(
      "wrong-application-id",
      `application_id ${quoted(claims.application_id)} is not the expected one`,
    );
  }
  return undefined;
}

function checkClaimShapes(
  payload: Record<string, unknown>,
  input: VerifySignedCallbackInput,
): SignedCallbackClaims | [VerifyFailure, string] {
  const missing = (message: string): [VerifyFailure, string] => ["missing-claim", message];
  const { iat, jti, iss, payload_hash: hash, api_key: apiKey, application_id: applicationId } = payload;
  if (typeof iat !== "number" || !Number.isFinite(iat))
    return missing("claim iat (a number of seconds) is missing");
  if (typeof jti !== "string" || jti === "") return missing("claim jti is missing");
  if (typeof iss !== "string") return missing("claim iss is missing");
  if (typeof hash !== "string" || hash === "") return missing("claim payload_hash is missing");
  if (apiKey !== undefined && typeof apiKey !== "string") return missing("claim api_key is not a string");
  if (applicationId !== undefined && typeof applicationId !== "string")
    return missing("claim application_id is not a string");
  if (input.expectedApiKey !== undefined && apiKey === undefined) return missing("claim api_key is missing");
  if (input.expectedApplicationId !== undefined && applicationId === undefined) {
    return missing("claim application_id is missing");
  }
  // Present means checked: a string or null exp must not read as "no expiry".
  for (const claim of ["exp", "nbf"] as const) {
    const value = payload[claim];
    if (Object.hasOwn(payload, claim) && (typeof value !== "number" || !Number.isFinite(value)))
      return ["malformed-claim", `claim ${claim} is ${quoted(value)}, not a number of seconds`];
  }
  return { ...payload, iat, jti, iss, payload_hash: hash };
}

function decodeJsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function hs256(data: string, secret: string): string {
  return createHmac("sha256", secret).update(data).digest("base64url");
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/** A value from the token, quoted for a message and bounded: a token can carry kilobytes in one claim. */
function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function fail(reason: VerifyFailure, message: string): Failed {
  return { ok: false, reason, message };
}
