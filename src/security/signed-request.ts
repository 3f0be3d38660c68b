// Verification of Vonage signed requests: the `sig` parameter of SMS API webhooks (MD5 hash or HMAC variants).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type SignatureAlgorithm = "md5hash" | "md5hmac" | "sha1hmac" | "sha256hmac" | "sha512hmac";

export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = [
  "md5hash",
  "md5hmac",
  "sha1hmac",
  "sha256hmac",
  "sha512hmac",
];

const HMAC_DIGEST: Record<Exclude<SignatureAlgorithm, "md5hash">, string> = {
  md5hmac: "md5",
  sha1hmac: "sha1",
  sha256hmac: "sha256",
  sha512hmac: "sha512",
};

/**
 * The string Vonage signs: every parameter but `sig`, keys sorted, each as `&key=value`, with `&` and `=`
 * inside values replaced by `_` and no URL encoding.
 */
export function signatureBaseString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((key) => key !== "sig")
    .sort()
    .map((key) => `&${key}=${(params[key] ?? "").replace(/[&=]/g, "_")}`)
    .join("");
}

/** Lowercase hex signature of `params` (for tests and examples; Vonage sends uppercase, compared case-insensitively). */
export function signRequest(
  params: Record<string, string>,
  secret: string,
  algorithm: SignatureAlgorithm,
): string {
  const base = signatureBaseString(params);
  if (algorithm === "md5hash")
    return createHash("md5")
      .update(base + secret)
      .digest("hex");
  // Own keys only: "constructor" or "__proto__" would otherwise find Object.prototype's members.
  if (!Object.hasOwn(HMAC_DIGEST, algorithm))
    throw new RangeError(`unknown signature algorithm ${String(algorithm)}`);
  const digest = HMAC_DIGEST[algorithm];
  return createHmac(digest, secret).update(base).digest("hex");
}

/** Whether `params.sig` is the signature of the other parameters under `secret`. A missing `sig` is false. */
export function verifySignedRequest(
  params: Record<string, string>,
  secret: string,
  algorithm: SignatureAlgorithm,
): boolean {
  const sig = params["sig"];
  if (sig === undefined || sig === "") return false;
  const expected = Buffer.from(signRequest(params, secret, algorithm));
  const actual = Buffer.from(sig.toLowerCase());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
