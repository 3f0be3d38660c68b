// Short, printable identifiers for secrets and keys, so logs and reports can refer to them safely.
import { createHash, createPublicKey } from "node:crypto";

/** `sha256:` + the first 16 hex digits of SHA-256(value): enough to tell values apart, useless to recover one. */
export function fingerprint(value: string | Buffer): string {
  return `sha256:${createHash("sha256").update(value).digest("hex").slice(0, 16)}`;
}

/** DER SubjectPublicKeyInfo of a public key (or of the public half of a private key), whatever the PEM layout. */
export function publicKeyDer(pem: string): Buffer {
  return createPublicKey(pem).export({ type: "spki", format: "der" });
}

/** Fingerprint of the DER SPKI, so line wrapping, CRLF or PKCS#1 vs SPKI framing do not change it. */
export function publicKeyFingerprint(pem: string): string {
  return fingerprint(publicKeyDer(pem));
}
