// The package's library entry (`import { verifySignedCallback } from "vonage-ir"`): verification of Vonage signed
// callbacks (JWT + payload_hash, with jti replay protection) and signed requests (`sig`).
export {
  verifySignedCallback,
  signCallbackToken,
  payloadHash,
  DEFAULT_TOLERANCE_SECONDS,
  VONAGE_ISSUER,
  verifySignedRequest,
  signRequest,
  signatureBaseString,
  SIGNATURE_ALGORITHMS,
  MemoryReplayStore,
} from "./security/index.js";
export type {
  VerifyFailure,
  VerifyResult,
  VerifySignedCallbackInput,
  SignedCallbackClaims,
  SignatureAlgorithm,
  ReplayStore,
  MemoryReplayStoreOptions,
} from "./security/index.js";
