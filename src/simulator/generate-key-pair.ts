// RSA key pairs for applications. Scenario builds share one cached public key because generating hundreds of
// 2048-bit keys would make a `large` scenario take seconds; the key material is never used for signing here.

import { generateKeyPair as generateKeyPairCb, generateKeyPairSync } from "node:crypto";
import { promisify } from "node:util";

const generate = promisify(generateKeyPairCb);

export interface PemKeyPair {
  publicKey: string;
  privateKey: string;
}

export async function generateKeyPair(): Promise<PemKeyPair> {
  return generate("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

let shared: string | undefined;

/** One public key per process, reused by every scenario-built application. */
export function sharedPublicKey(): string {
  shared ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  }).publicKey;
  return shared;
}
