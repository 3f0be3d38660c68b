// Application key pairs, generated locally so the private key reaches the sink before the application exists.
//
// RSA 2048 with e = 65537, built from two 1024-bit primes drawn by OpenSSL (`generatePrime`: its private DRBG,
// top two bits set, odd, Miller-Rabin rounds for the size) and the textbook CRT parameters: the construction
// of OpenSSL 1.1's `rsa_builtin_keygen`, checked against FIPS 186-4 appendix B.3.1 (bounds on p, q, |p − q|
// and d) and proven by a pairwise sign/verify before use. Why not `generateKeyPair("rsa")`: OpenSSL 3 builds
// 2048-bit keys the SP 800-56B way (auxiliary primes), which takes 2.5 times the CPU (241 against ~95 ms a key
// on the 2-vCPU machines), and a run recreating 150 applications on 2 cores waited on key generation, not on
// the API.
import {
  createPrivateKey,
  createPublicKey,
  generatePrime,
  generatePrimeSync,
  sign,
  verify,
} from "node:crypto";
import { publicKeyDer } from "./fingerprint.js";

export interface KeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

const MODULUS_BITS = 2048;
const PRIME_BITS = MODULUS_BITS / 2;
const E = 65537n;
/** FIPS 186-4 B.3.1: p, q ≥ √2 · 2^(nlen/2 − 1) (here a bound a hair above √2: stricter, never looser). */
const MIN_PRIME = (1_414_213_562_373_095_049n << BigInt(PRIME_BITS - 1)) / 10n ** 18n;
/** FIPS 186-4 B.3.1: |p − q| > 2^(nlen/2 − 100). */
const MIN_PRIME_DISTANCE = 1n << BigInt(PRIME_BITS - 100);
/** FIPS 186-4 B.3.1: d > 2^(nlen/2). */
const MIN_PRIVATE_EXPONENT = 1n << BigInt(PRIME_BITS);

/** RSA 2048, public key as SPKI PEM and private key as PKCS#8 PEM (what Vonage applications use). */
export function generateKeyPair(): KeyPair {
  for (;;) {
    const pair = keyPairFromPrimes(
      generatePrimeSync(PRIME_BITS, { bigint: true }),
      generatePrimeSync(PRIME_BITS, { bigint: true }),
    );
    if (pair) return pair;
  }
}

/**
 * The same as generateKeyPair(), with the primes drawn on the libuv threadpool (one thread, one prime after the
 * other): ~120 ms of CPU that the synchronous form would spend blocking the event loop and every request in flight.
 */
export async function generateKeyPairAsync(): Promise<KeyPair> {
  for (;;) {
    const p = await randomPrime();
    const q = await randomPrime();
    const pair = keyPairFromPrimes(p, q);
    if (pair) return pair;
  }
}

function randomPrime(): Promise<bigint> {
  return new Promise((resolve, reject) => {
    generatePrime(PRIME_BITS, { bigint: true }, (error, prime) => {
      if (error) reject(error);
      else resolve(prime);
    });
  });
}

/**
 * The key pair with primes p and q, or undefined when they do not make an acceptable key (the caller draws new
 * ones): a prime below √2 · 2^1023, a modulus that is not exactly 2048 bits, primes too close together, e not
 * invertible, d too small.
 * Exported for the tests, which feed it primes that must be refused.
 */
export function keyPairFromPrimes(p: bigint, q: bigint): KeyPair | undefined {
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  if (q < MIN_PRIME || bitLength(n) !== MODULUS_BITS || p - q <= MIN_PRIME_DISTANCE) return undefined;
  const p1 = p - 1n;
  const q1 = q - 1n;
  if (p1 % E === 0n || q1 % E === 0n) return undefined;
  const lambda = (p1 / gcd(p1, q1)) * q1;
  const d = modInverse(E, lambda);
  if (d <= MIN_PRIVATE_EXPONENT) return undefined;
  const privateKey = createPrivateKey({
    format: "jwk",
    key: {
      kty: "RSA",
      n: base64Url(n),
      e: base64Url(E),
      d: base64Url(d),
      p: base64Url(p),
      q: base64Url(q),
      dp: base64Url(d % p1),
      dq: base64Url(d % q1),
      qi: base64Url(modInverse(q, p)),
    },
  });
  const publicKey = createPublicKey(privateKey);
  // Pairwise consistency (FIPS 140 style): a key that cannot verify its own signature never leaves this function.
  const probe = Buffer.from("vonage-ir key pair check");
  if (!verify("sha256", probe, publicKey, sign("sha256", probe, privateKey))) {
    throw new Error("a generated RSA key pair failed its sign/verify check");
  }
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a⁻¹ mod m (extended Euclid); a and m must be coprime. */
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new Error("not invertible");
  return ((oldS % m) + m) % m;
}

/** Big-endian unsigned bytes, base64url, no leading zero byte (RFC 7518 6.3.1). */
function base64Url(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
}

/** The SPKI PEM public key belonging to a private key. */
export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
}

/** Whether the private key's public half is the given public key (compared as DER SPKI). Unparsable input → false. */
export function keyPairMatches(privateKeyPem: string, publicKeyPem: string): boolean {
  try {
    const fromPrivate = createPublicKey(createPrivateKey(privateKeyPem)).export({
      type: "spki",
      format: "der",
    });
    return fromPrivate.equals(publicKeyDer(publicKeyPem));
  } catch {
    return false;
  }
}
