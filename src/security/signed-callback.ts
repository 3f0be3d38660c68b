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
  | "iat-out-of-tolerance"
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
  /** Maximum |now − iat| in seconds; default 300. */
  toleranceSeconds?: number;
  expectedApiKey?: string;
  expectedApplicationId?: string;
  /** Where seen `jti`s are remembered; default a process-wide MemoryReplayStore. */
  replayStore?: ReplayStore;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const VONAGE_ISSUER = "Vonage";

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

export async function verifySignedCallback(input: VerifySignedCallbackInput): Promise<VerifyResult> {
  const { authorization } = input;
  if (authorization === undefined || authorization.trim() === "") {
    return fail("missing-header", "no Authorization header: the callback is not signed");
  }
  const bearer = /^Bearer +(\S+)\s*$/i.exec(authorization.trim());
  const token = bearer?.[1];
  if (token === undefined)
    return fail("malformed-header", "Authorization header is not of the form `Bearer <token>`");

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
    return fail("unsupported-algorithm", `token algorithm ${JSON.stringify(header["alg"])} is not HS256`);
  }
  const expected = Buffer.from(hs256(`${headerPart}.${payloadPart}`, input.signatureSecret));
  const actual = Buffer.from(signaturePart);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return fail("bad-signature", "token signature does not match the signature secret");
  }

  const claims = checkClaimShapes(payload, input);
  if (typeof claims === "string") return fail("missing-claim", claims);

  if (claims.iss !== VONAGE_ISSUER) {
    return fail("wrong-issuer", `issuer ${JSON.stringify(claims.iss)} is not "${VONAGE_ISSUER}"`);
  }

  const bodyHash = Buffer.from(payloadHash(input.rawBody));
  const claimedHash = Buffer.from(claims.payload_hash.toLowerCase());
  if (bodyHash.length !== claimedHash.length || !timingSafeEqual(bodyHash, claimedHash)) {
    return fail("payload-hash-mismatch", "payload_hash does not match the SHA-256 of the request body");
  }

  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = (input.now ?? new Date()).getTime() / 1000;
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

  if (input.expectedApiKey !== undefined && claims.api_key !== input.expectedApiKey) {
    return fail("wrong-api-key", `api_key ${JSON.stringify(claims.api_key)} is not the expected one`);
  }
  if (input.expectedApplicationId !== undefined && claims.application_id !== input.expectedApplicationId) {
    return fail(
      "wrong-application-id",
      `application_id ${JSON.stringify(claims.application_id)} is not the expected one`,
    );
  }

  // Remember the jti only for otherwise valid tokens, until the token would fail the iat check anyway.
  const store = input.replayStore ?? defaultReplayStore;
  const firstTime = await store.checkAndRemember(claims.jti, (claims.iat + tolerance) * 1000);
  if (!firstTime) return fail("replayed", `jti ${claims.jti} was already accepted: replayed request`);

  return { ok: true, claims };
}

function checkClaimShapes(
  payload: Record<string, unknown>,
  input: VerifySignedCallbackInput,
): SignedCallbackClaims | string {
  const { iat, jti, iss, payload_hash: hash, api_key: apiKey, application_id: applicationId } = payload;
  if (typeof iat !== "number" || !Number.isFinite(iat)) return "claim iat (a number of seconds) is missing";
  if (typeof jti !== "string" || jti === "") return "claim jti is missing";
  if (typeof iss !== "string") return "claim iss is missing";
  if (typeof hash !== "string" || hash === "") return "claim payload_hash is missing";
  if (apiKey !== undefined && typeof apiKey !== "string") return "claim api_key is not a string";
  if (applicationId !== undefined && typeof applicationId !== "string")
    return "claim application_id is not a string";
  if (input.expectedApiKey !== undefined && apiKey === undefined) return "claim api_key is missing";
  if (input.expectedApplicationId !== undefined && applicationId === undefined) {
    return "claim application_id is missing";
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

function fail(reason: VerifyFailure, message: string): VerifyResult {
  return { ok: false, reason, message };
}
