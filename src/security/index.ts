// Public API of the security layer: secret and key generation, fingerprints, the secret sink, and
// verification of Vonage signed callbacks (JWT) and signed requests (`sig`).
export { generateApiSecret, isValidApiSecret, API_SECRET_LENGTH } from "./generate-api-secret.js";
export { generateSignatureSecret, SIGNATURE_SECRET_LENGTH } from "./generate-signature-secret.js";
export { fingerprint, publicKeyFingerprint } from "./fingerprint.js";
export { generateKeyPair, generateKeyPairAsync, publicKeyOf, keyPairMatches } from "./generate-key-pair.js";
export { KeyPairPool } from "./key-pair-pool.js";
export type { KeyPair } from "./generate-key-pair.js";
export { SecretSink, SecretSinkError, isValidSecretName } from "./secret-sink.js";
export { MemoryReplayStore } from "./replay-store.js";
export type { ReplayStore, MemoryReplayStoreOptions } from "./replay-store.js";
export {
  verifySignedCallback,
  signCallbackToken,
  payloadHash,
  DEFAULT_TOLERANCE_SECONDS,
  VONAGE_ISSUER,
} from "./signed-callback.js";
export type {
  VerifyFailure,
  VerifyResult,
  VerifySignedCallbackInput,
  SignedCallbackClaims,
} from "./signed-callback.js";
export {
  verifySignedRequest,
  signRequest,
  signatureBaseString,
  SIGNATURE_ALGORITHMS,
} from "./signed-request.js";
export type { SignatureAlgorithm } from "./signed-request.js";
