import { describe, expect, it } from "vitest";
import {
  API_SECRET_LENGTH,
  generateApiSecret,
  generateKeyPair,
  generateKeyPairAsync,
  generateSignatureSecret,
  fingerprint,
  isValidApiSecret,
  keyPairMatches,
  publicKeyFingerprint,
  publicKeyOf,
} from "../../../src/security/index.js";
import { checkPrimeSync, createPrivateKey, createPublicKey, generatePrimeSync } from "node:crypto";
import { keyPairFromPrimes } from "../../../src/security/generate-key-pair.js";

describe("generateApiSecret", () => {
  it("always meets Vonage's rules, is 25 characters and shell/URL safe (2000 draws)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const secret = generateApiSecret();
      expect(secret).toHaveLength(25);
      expect(API_SECRET_LENGTH).toBe(25);
      expect(isValidApiSecret(secret)).toBe(true);
      expect(secret).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(secret).toMatch(/[a-z]/);
      expect(secret).toMatch(/[A-Z]/);
      expect(secret).toMatch(/[0-9]/);
      seen.add(secret);
    }
    expect(seen.size).toBe(2000);
  });

  it("uses the whole alphabet", () => {
    const chars = new Set(Array.from({ length: 400 }, generateApiSecret).join(""));
    expect(chars.size).toBe(64);
  });
});

describe("isValidApiSecret", () => {
  it("enforces length 8-25 and lower, upper and digit", () => {
    expect(isValidApiSecret("Abcdefg1")).toBe(true);
    expect(isValidApiSecret("Abcdef1")).toBe(false);
    expect(isValidApiSecret(`A1${"b".repeat(23)}`)).toBe(true);
    expect(isValidApiSecret(`A1${"b".repeat(24)}`)).toBe(false);
    expect(isValidApiSecret("abcdefg1")).toBe(false);
    expect(isValidApiSecret("ABCDEFG1")).toBe(false);
    expect(isValidApiSecret("Abcdefgh")).toBe(false);
    expect(isValidApiSecret("Abc-def!1")).toBe(true);
    expect(isValidApiSecret("Abc def 1")).toBe(false);
  });
});

describe("generateSignatureSecret", () => {
  it("is 48 alphanumeric characters with every class, and unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const secret = generateSignatureSecret();
      expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(secret).toMatch(/[a-z]/);
      expect(secret).toMatch(/[A-Z]/);
      expect(secret).toMatch(/[0-9]/);
      seen.add(secret);
    }
    expect(seen.size).toBe(200);
  });
});

describe("fingerprint", () => {
  it("is stable, short and does not contain the value", () => {
    const value = "Sup3rSecretValue-abcdefgh";
    const print = fingerprint(value);
    expect(print).toBe(fingerprint(value));
    expect(print).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(print).not.toContain(value);
    expect(print).not.toContain("Sup3r");
    expect(fingerprint(`${value}x`)).not.toBe(print);
    // sha256("abc") starts with ba7816bf8f01cfea
    expect(fingerprint("abc")).toBe("sha256:ba7816bf8f01cfea");
  });
});

describe("key pairs", () => {
  const pair = generateKeyPair();
  const other = generateKeyPair();

  it("generates RSA 2048 keys in SPKI and PKCS#8 PEM", () => {
    expect(pair.publicKeyPem).toContain("-----BEGIN PUBLIC KEY-----");
    expect(pair.privateKeyPem).toContain("-----BEGIN PRIVATE KEY-----");
    const key = createPublicKey(pair.publicKeyPem);
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("uses e = 65537, a 2048-bit modulus and consistent CRT parameters (async form too)", async () => {
    const asyncPair = await generateKeyPairAsync();
    const moduli = new Set<string>();
    for (const { privateKeyPem } of [pair, other, asyncPair]) {
      const jwk = createPrivateKey(privateKeyPem).export({ format: "jwk" });
      expect(jwk.e).toBe("AQAB");
      const [n, p, q, d, dp, dq, qi] = [jwk.n, jwk.p, jwk.q, jwk.d, jwk.dp, jwk.dq, jwk.qi].map(bigOf) as [
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
      ];
      expect(p * q).toBe(n);
      expect(n.toString(2)).toHaveLength(2048);
      expect(dp).toBe(d % (p - 1n));
      expect(dq).toBe(d % (q - 1n));
      expect((qi * q) % p).toBe(1n);
      // e·d ≡ 1 modulo p − 1 and q − 1, so the key decrypts what its public half encrypts.
      expect((65537n * d) % (p - 1n)).toBe(1n);
      expect((65537n * d) % (q - 1n)).toBe(1n);
      moduli.add(jwk.n ?? "");
    }
    expect(moduli.size).toBe(3);
  });

  it("refuses primes that would make a weak or malformed key", () => {
    const p = generatePrimeSync(1024, { bigint: true });
    let close = p + 2n;
    while (!checkPrimeSync(close)) close += 2n;
    expect(keyPairFromPrimes(p, close)).toBeUndefined();
    // p − 1 divisible by e: e has no inverse modulo λ(n).
    const divisible = generatePrimeSync(1024, { bigint: true, add: 65537n, rem: 1n });
    expect(keyPairFromPrimes(divisible, p)).toBeUndefined();
    // A prime just above 2^1023, below √2 · 2^1023, with a large partner: the modulus still has 2048 bits.
    let small = (1n << 1023n) + 1n;
    while (!checkPrimeSync(small)) small += 2n;
    let large = (1n << 1024n) - 1n;
    while (!checkPrimeSync(large)) large -= 2n;
    expect((small * large).toString(2)).toHaveLength(2048);
    expect(keyPairFromPrimes(large, small)).toBeUndefined();
    // A 2040-bit modulus.
    expect(keyPairFromPrimes(generatePrimeSync(1016, { bigint: true }), p)).toBeUndefined();
    const q = generatePrimeSync(1024, { bigint: true });
    expect(keyPairFromPrimes(p, q)?.publicKeyPem).toContain("-----BEGIN PUBLIC KEY-----");
  });

  it("matches a private key with its own public key only", () => {
    expect(keyPairMatches(pair.privateKeyPem, pair.publicKeyPem)).toBe(true);
    expect(keyPairMatches(pair.privateKeyPem, other.publicKeyPem)).toBe(false);
    expect(keyPairMatches(other.privateKeyPem, pair.publicKeyPem)).toBe(false);
    expect(keyPairMatches("not a key", pair.publicKeyPem)).toBe(false);
  });

  it("derives the public key from the private key", () => {
    expect(publicKeyOf(pair.privateKeyPem)).toBe(pair.publicKeyPem);
  });

  it("fingerprints public keys independently of PEM formatting", () => {
    const print = publicKeyFingerprint(pair.publicKeyPem);
    expect(print).toMatch(/^sha256:[0-9a-f]{16}$/);
    const reformatted = pair.publicKeyPem.replace(/\n/g, "\r\n");
    expect(publicKeyFingerprint(reformatted)).toBe(print);
    const pkcs1 = createPublicKey(pair.publicKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
    expect(publicKeyFingerprint(pkcs1)).toBe(print);
    expect(publicKeyFingerprint(pair.privateKeyPem)).toBe(print);
    expect(publicKeyFingerprint(other.publicKeyPem)).not.toBe(print);
  });
});

function bigOf(base64url: string | undefined): bigint {
  return BigInt(`0x${Buffer.from(base64url ?? "", "base64url").toString("hex")}`);
}
