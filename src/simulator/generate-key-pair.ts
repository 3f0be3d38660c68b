// RSA key pairs for applications. Scenario builds share one cached public key because generating hundreds of
// 2048-bit keys would make a `large` scenario take seconds.

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

let shared: PemKeyPair | undefined;

/**
 * One key pair per process, whose public key every scenario-built application gets. The private key stands for
 * the copy an attacker holds: tests sign JWTs with it to prove a replaced key no longer authenticates.
 */
export function sharedKeyPair(): PemKeyPair {
  shared ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return shared;
}

export function sharedPublicKey(): string {
  return sharedKeyPair().publicKey;
}
