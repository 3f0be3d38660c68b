// Application key pairs, generated locally so the private key reaches the sink before the application exists.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  generateKeyPairSync,
} from "node:crypto";
import { publicKeyDer } from "./fingerprint.js";

export interface KeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** RSA 2048, public key as SPKI PEM and private key as PKCS#8 PEM (what Vonage applications use). */
export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/**
 * The same as generateKeyPair(), on the libuv threadpool: RSA generation takes ~150 ms of CPU, which the
 * synchronous form spends blocking the event loop (and every request in flight).
 */
export function generateKeyPairAsync(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPairCallback(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (error, publicKey, privateKey) => {
        if (error) reject(error);
        else resolve({ publicKeyPem: publicKey, privateKeyPem: privateKey });
      },
    );
  });
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
