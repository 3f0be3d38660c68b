import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  MemoryReplayStore,
  payloadHash,
  signCallbackToken,
  verifySignedCallback,
} from "../../../src/security/index.js";
import type { VerifySignedCallbackInput, VerifyResult } from "../../../src/security/index.js";
import {
  API_KEY,
  APPLICATION_ID,
  BODY,
  CLAIMS,
  IAT,
  NOW,
  PAYLOAD_HASH,
  SIGNATURE_SECRET,
  TOKEN,
} from "./vectors.js";

const vonageJwt = await import("@vonage/jwt").catch(() => undefined);

function verify(overrides: Partial<VerifySignedCallbackInput> = {}): Promise<VerifyResult> {
  return verifySignedCallback({
    authorization: `Bearer ${TOKEN}`,
    rawBody: BODY,
    signatureSecret: SIGNATURE_SECRET,
    now: NOW,
    replayStore: new MemoryReplayStore({ clock: () => NOW.getTime() }),
    ...overrides,
  });
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** A token with an arbitrary header, HMAC-signed with `secret` the way an attacker who knows it would. */
function forge(header: unknown, claims: unknown, secret = SIGNATURE_SECRET): string {
  const signingInput = `${b64(header)}.${b64(claims)}`;
  return `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
}

async function reasonOf(overrides: Partial<VerifySignedCallbackInput>): Promise<string> {
  const result = await verify(overrides);
  return result.ok ? "ok" : result.reason;
}

describe("verifySignedCallback", () => {
  it("accepts the worked vector from the notes", async () => {
    expect(payloadHash(BODY)).toBe(PAYLOAD_HASH);
    expect(Buffer.byteLength(BODY)).toBe(153);
    const result = await verify({ expectedApiKey: API_KEY, expectedApplicationId: APPLICATION_ID });
    expect(result).toEqual({ ok: true, claims: CLAIMS });
  });

  it("produces the worked vector's token when signing its claims", () => {
    expect(signCallbackToken(CLAIMS, SIGNATURE_SECRET)).toBe(TOKEN);
  });

  it("accepts a raw Buffer body and a lowercase bearer scheme", async () => {
    expect(await reasonOf({ rawBody: Buffer.from(BODY), authorization: `bearer ${TOKEN}` })).toBe("ok");
  });

  // @vonage/jwt is a transitive dependency of @vonage/server-sdk; if it cannot be resolved the check is skipped.
  it.skipIf(vonageJwt === undefined)("agrees with @vonage/jwt verifySignature on the vector", () => {
    expect(vonageJwt?.verifySignature(TOKEN, SIGNATURE_SECRET)).toBe(true);
    expect(vonageJwt?.verifySignature(TOKEN, "wrong-secret")).toBe(false);
  });

  it("rejects a missing Authorization header", async () => {
    expect(await reasonOf({ authorization: undefined })).toBe("missing-header");
    expect(await reasonOf({ authorization: "  " })).toBe("missing-header");
  });

  it("rejects a header that is not `Bearer <token>`", async () => {
    expect(await reasonOf({ authorization: TOKEN })).toBe("malformed-header");
    expect(await reasonOf({ authorization: `Basic ${TOKEN}` })).toBe("malformed-header");
    expect(await reasonOf({ authorization: "Bearer" })).toBe("malformed-header");
  });

  it("rejects tokens that are not three base64url JSON parts", async () => {
    expect(await reasonOf({ authorization: "Bearer abc.def" })).toBe("malformed-token");
    expect(await reasonOf({ authorization: `Bearer ${TOKEN}.extra` })).toBe("malformed-token");
    expect(await reasonOf({ authorization: "Bearer a+b.c/d.e" })).toBe("malformed-token");
    expect(await reasonOf({ authorization: `Bearer ${b64("not json")}.${b64(CLAIMS)}.sig` })).toBe(
      "malformed-token",
    );
    expect(await reasonOf({ authorization: `Bearer ${b64({ alg: "HS256" })}.${b64([1, 2])}.sig` })).toBe(
      "malformed-token",
    );
  });

  it("rejects alg none, even with an empty signature", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(CLAIMS)}.`;
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe("unsupported-algorithm");
  });

  it("rejects an RS256 header signed with the secret as an HMAC key (key confusion)", async () => {
    const token = forge({ alg: "RS256", typ: "JWT" }, CLAIMS);
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe("unsupported-algorithm");
    const missingAlg = forge({ typ: "JWT" }, CLAIMS);
    expect(await reasonOf({ authorization: `Bearer ${missingAlg}` })).toBe("unsupported-algorithm");
  });

  it("rejects a token signed with another secret", async () => {
    expect(await reasonOf({ signatureSecret: "some-other-secret" })).toBe("bad-signature");
    const token = signCallbackToken(CLAIMS, "attacker-secret");
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe("bad-signature");
  });

  it("rejects a token whose payload was altered after signing", async () => {
    const [header, , signature] = TOKEN.split(".");
    const altered = `${header}.${b64({ ...CLAIMS, api_key: "evil" })}.${signature}`;
    expect(await reasonOf({ authorization: `Bearer ${altered}` })).toBe("bad-signature");
  });

  it("rejects a tampered body by its raw bytes", async () => {
    expect(await reasonOf({ rawBody: BODY.replace("delivered", "rejected") })).toBe("payload-hash-mismatch");
    // Same JSON value, different bytes: the hash covers the raw body, not a re-serialisation.
    expect(await reasonOf({ rawBody: JSON.stringify(JSON.parse(BODY), null, 1) })).toBe(
      "payload-hash-mismatch",
    );
    expect(await reasonOf({ rawBody: `${BODY}\n` })).toBe("payload-hash-mismatch");
  });

  it("rejects tokens missing a required claim", async () => {
    for (const claim of ["iat", "jti", "iss", "payload_hash"] as const) {
      const { [claim]: _dropped, ...rest } = CLAIMS;
      const token = signCallbackToken(rest, SIGNATURE_SECRET);
      expect(await reasonOf({ authorization: `Bearer ${token}` }), claim).toBe("missing-claim");
    }
    const { api_key: _key, ...noKey } = CLAIMS;
    const token = signCallbackToken(noKey, SIGNATURE_SECRET);
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe("ok");
    expect(await reasonOf({ authorization: `Bearer ${token}`, expectedApiKey: API_KEY })).toBe(
      "missing-claim",
    );
  });

  it("rejects an issuer other than Vonage", async () => {
    const token = signCallbackToken({ ...CLAIMS, iss: "Attacker" }, SIGNATURE_SECRET);
    expect(await reasonOf({ authorization: `Bearer ${token}` })).toBe("wrong-issuer");
  });

  it("rejects an iat older than the tolerance", async () => {
    expect(await reasonOf({ now: new Date((IAT + 300) * 1000) })).toBe("ok");
    expect(await reasonOf({ now: new Date((IAT + 301) * 1000) })).toBe("iat-out-of-tolerance");
    expect(await reasonOf({ now: new Date((IAT + 61) * 1000), toleranceSeconds: 60 })).toBe(
      "iat-out-of-tolerance",
    );
  });

  it("rejects an iat too far in the future", async () => {
    expect(await reasonOf({ now: new Date((IAT - 301) * 1000) })).toBe("iat-out-of-tolerance");
    expect(await reasonOf({ now: new Date((IAT - 299) * 1000) })).toBe("ok");
  });

  it("checks exp when present, with the tolerance as leeway", async () => {
    const withExp = (exp: unknown) => `Bearer ${signCallbackToken({ ...CLAIMS, exp }, SIGNATURE_SECRET)}`;
    expect(await reasonOf({ authorization: withExp(IAT + 60) })).toBe("ok");
    const expired = await verify({ authorization: withExp(IAT - 301) });
    expect(expired).toMatchObject({
      ok: false,
      reason: "expired",
      message: "token expired 301 s ago (tolerance 300 s)",
    });
    expect(await reasonOf({ authorization: withExp(IAT - 30), toleranceSeconds: 10 })).toBe("expired");
    expect(await reasonOf({ authorization: withExp(IAT - 30), toleranceSeconds: 30 })).toBe("ok");
  });

  it("checks nbf when present, with the tolerance as leeway", async () => {
    const withNbf = (nbf: unknown) => `Bearer ${signCallbackToken({ ...CLAIMS, nbf }, SIGNATURE_SECRET)}`;
    expect(await reasonOf({ authorization: withNbf(IAT) })).toBe("ok");
    expect(await reasonOf({ authorization: withNbf(IAT + 300) })).toBe("ok");
    expect(await reasonOf({ authorization: withNbf(IAT + 301) })).toBe("not-yet-valid");
    expect(await reasonOf({ authorization: withNbf(IAT + 11), toleranceSeconds: 10 })).toBe("not-yet-valid");
  });

  it("rejects an exp or nbf that is not a number of seconds as malformed-claim", async () => {
    for (const claim of ["exp", "nbf"]) {
      for (const value of ["9999999999", null, true, {}, [IAT]]) {
        const token = signCallbackToken({ ...CLAIMS, [claim]: value }, SIGNATURE_SECRET);
        const result = await verify({ authorization: `Bearer ${token}` });
        expect(result, `${claim}: ${JSON.stringify(value)}`).toMatchObject({
          ok: false,
          reason: "malformed-claim",
        });
      }
    }
  });

  it("refuses a tolerance that is not a finite number >= 0 instead of treating every token as fresh", async () => {
    const stale = { now: new Date((IAT + 10 * 365 * 86400) * 1000) };
    for (const toleranceSeconds of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      await expect(verify({ ...stale, toleranceSeconds }), String(toleranceSeconds)).rejects.toThrow(
        RangeError,
      );
    }
  });

  it("refuses an oversized token before decoding it", async () => {
    const token = signCallbackToken({ ...CLAIMS, padding: "p".repeat(20_000) }, SIGNATURE_SECRET);
    const result = await verify({ authorization: `Bearer ${token}` });
    expect(result).toMatchObject({ ok: false, reason: "malformed-token" });
    if (!result.ok) expect(result.message).toMatch(/more than 16384$/);
  });

  it("quotes foreign values in messages with a bounded length", async () => {
    const huge = "A".repeat(10_000);
    for (const token of [
      forge({ alg: huge, typ: "JWT" }, CLAIMS),
      signCallbackToken({ ...CLAIMS, iss: huge }, SIGNATURE_SECRET),
    ]) {
      const result = await verify({ authorization: `Bearer ${token}` });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message.length).toBeLessThan(200);
    }
  });

  it("rejects an unexpected api_key", async () => {
    expect(await reasonOf({ expectedApiKey: "ffff0000" })).toBe("wrong-api-key");
  });

  it("rejects an unexpected application_id", async () => {
    expect(await reasonOf({ expectedApplicationId: "bbbbbbbb-bbbb-cccc-dddd-0123456789ab" })).toBe(
      "wrong-application-id",
    );
  });

  it("rejects a replayed jti and accepts a fresh one", async () => {
    const replayStore = new MemoryReplayStore({ clock: () => NOW.getTime() });
    expect(await reasonOf({ replayStore })).toBe("ok");
    const second = await verify({ replayStore });
    expect(second).toMatchObject({ ok: false, reason: "replayed" });
    const fresh = signCallbackToken(
      { ...CLAIMS, jti: "0d8f8a0e-0000-4000-8000-000000000000" },
      SIGNATURE_SECRET,
    );
    expect(await reasonOf({ replayStore, authorization: `Bearer ${fresh}` })).toBe("ok");
  });

  it("does not burn the jti of a request that failed another check", async () => {
    const replayStore = new MemoryReplayStore({ clock: () => NOW.getTime() });
    expect(await reasonOf({ replayStore, rawBody: "tampered" })).toBe("payload-hash-mismatch");
    expect(await reasonOf({ replayStore })).toBe("ok");
  });

  it("never puts the secret in a failure message", async () => {
    const result = await verify({ signatureSecret: "do-not-print-me" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).not.toContain("do-not-print-me");
  });
});

describe("MemoryReplayStore", () => {
  it("forgets entries once they expire and sweeps them", async () => {
    let now = 1_000;
    const store = new MemoryReplayStore({ clock: () => now, sweepIntervalMs: 0 });
    expect(await store.checkAndRemember("a", 2_000)).toBe(true);
    expect(await store.checkAndRemember("a", 2_000)).toBe(false);
    expect(await store.checkAndRemember("b", 5_000)).toBe(true);
    expect(store.size).toBe(2);
    now = 2_000;
    expect(await store.checkAndRemember("c", 6_000)).toBe(true);
    expect(store.size).toBe(2); // "a" swept
    expect(await store.checkAndRemember("a", 7_000)).toBe(true);
    expect(await store.checkAndRemember("b", 5_000)).toBe(false);
  });

  it("does not store entries that are already expired", async () => {
    const store = new MemoryReplayStore({ clock: () => 10_000 });
    expect(await store.checkAndRemember("old", 5_000)).toBe(true);
    expect(store.size).toBe(0);
  });
});
