import { describe, expect, it } from "vitest";
import {
  SIGNATURE_ALGORITHMS,
  signRequest,
  signatureBaseString,
  verifySignedRequest,
} from "../../../src/security/index.js";
import type { SignatureAlgorithm } from "../../../src/security/index.js";
import { SIGNATURE_SECRET, SMS_BASE_STRING, SMS_MD5HASH, SMS_PARAMS, SMS_SHA256HMAC } from "./vectors.js";

describe("signed requests (sig)", () => {
  it("builds the documented base string, ignoring sig", () => {
    expect(signatureBaseString(SMS_PARAMS)).toBe(SMS_BASE_STRING);
    expect(signatureBaseString({ ...SMS_PARAMS, sig: "whatever" })).toBe(SMS_BASE_STRING);
  });

  it("signs the vector as in the notes", () => {
    expect(signRequest(SMS_PARAMS, SIGNATURE_SECRET, "sha256hmac")).toBe(SMS_SHA256HMAC);
    expect(signRequest(SMS_PARAMS, SIGNATURE_SECRET, "md5hash")).toBe(SMS_MD5HASH);
  });

  it("accepts the SHA256HMAC vector, in upper or lower case", () => {
    expect(verifySignedRequest({ ...SMS_PARAMS, sig: SMS_SHA256HMAC }, SIGNATURE_SECRET, "sha256hmac")).toBe(
      true,
    );
    expect(
      verifySignedRequest(
        { ...SMS_PARAMS, sig: SMS_SHA256HMAC.toUpperCase() },
        SIGNATURE_SECRET,
        "sha256hmac",
      ),
    ).toBe(true);
  });

  it("accepts the MD5HASH vector", () => {
    expect(
      verifySignedRequest({ ...SMS_PARAMS, sig: SMS_MD5HASH.toUpperCase() }, SIGNATURE_SECRET, "md5hash"),
    ).toBe(true);
  });

  it("rejects tampered parameters, a wrong secret, a wrong algorithm and a missing sig", () => {
    for (const [algorithm, sig] of [
      ["sha256hmac", SMS_SHA256HMAC],
      ["md5hash", SMS_MD5HASH],
    ] as const) {
      const signed = { ...SMS_PARAMS, sig };
      expect(
        verifySignedRequest({ ...signed, text: "Hello & welcome=no" }, SIGNATURE_SECRET, algorithm),
      ).toBe(false);
      expect(verifySignedRequest({ ...signed, extra: "1" }, SIGNATURE_SECRET, algorithm)).toBe(false);
      expect(verifySignedRequest(signed, "wrong-secret", algorithm)).toBe(false);
      expect(verifySignedRequest({ ...signed, sig: sig.slice(0, -1) }, SIGNATURE_SECRET, algorithm)).toBe(
        false,
      );
    }
    expect(verifySignedRequest({ ...SMS_PARAMS, sig: SMS_MD5HASH }, SIGNATURE_SECRET, "md5hmac")).toBe(false);
    expect(verifySignedRequest(SMS_PARAMS, SIGNATURE_SECRET, "sha256hmac")).toBe(false);
  });

  it("refuses an unknown algorithm with a RangeError, including the names of Object.prototype's members", () => {
    for (const algorithm of ["crc32", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(
        () => signRequest(SMS_PARAMS, SIGNATURE_SECRET, algorithm as SignatureAlgorithm),
        algorithm,
      ).toThrow(RangeError);
    }
  });

  it("signs __proto__, constructor and prototype parameters given as own keys", () => {
    const params = JSON.parse('{"__proto__":"p","constructor":"c","prototype":"q","a":"1"}') as Record<
      string,
      string
    >;
    expect(signatureBaseString(params)).toBe("&__proto__=p&a=1&constructor=c&prototype=q");
    const sig = signRequest(params, SIGNATURE_SECRET, "sha256hmac");
    expect(verifySignedRequest({ ...params, sig }, SIGNATURE_SECRET, "sha256hmac")).toBe(true);
    const withoutProto = JSON.parse('{"constructor":"c","prototype":"q","a":"1"}') as Record<string, string>;
    expect(verifySignedRequest({ ...withoutProto, sig }, SIGNATURE_SECRET, "sha256hmac")).toBe(false);
  });

  it("round-trips every algorithm", () => {
    for (const algorithm of SIGNATURE_ALGORITHMS) {
      const sig = signRequest(SMS_PARAMS, SIGNATURE_SECRET, algorithm);
      expect(verifySignedRequest({ ...SMS_PARAMS, sig }, SIGNATURE_SECRET, algorithm), algorithm).toBe(true);
      expect(verifySignedRequest({ ...SMS_PARAMS, sig }, "other", algorithm), algorithm).toBe(false);
    }
  });
});
