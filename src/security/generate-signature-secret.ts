// Candidate values for the dashboard's signature secret (there is no API to set it; the operator pastes it).
import { DIGITS, LOWER, UPPER, randomString } from "./random-string.js";

export const SIGNATURE_SECRET_LENGTH = 48;

/** 48 characters of [A-Za-z0-9] (about 285 bits), with at least one of each class. */
export function generateSignatureSecret(): string {
  for (;;) {
    const candidate = randomString(`${LOWER}${UPPER}${DIGITS}`, SIGNATURE_SECRET_LENGTH);
    if (/[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && /[0-9]/.test(candidate)) return candidate;
  }
}
