// New Vonage API secrets, generated locally so they can be written to the sink before they are sent.
import { DIGITS, LOWER, UPPER, randomString } from "./random-string.js";

/** Letters, digits, `-` and `_`: safe in shells, URLs, JSON and YAML without quoting. */
const API_SECRET_ALPHABET = `${LOWER}${UPPER}${DIGITS}-_`;
export const API_SECRET_LENGTH = 25;
export const API_SECRET_MIN_LENGTH = 8;
export const API_SECRET_MAX_LENGTH = 25;

/**
 * Vonage's rules: 8-25 characters, at least one lowercase letter, one uppercase letter and one digit.
 * Other printable characters are allowed by Vonage; whitespace and control characters are not accepted here.
 */
export function isValidApiSecret(s: string): boolean {
  return (
    s.length >= API_SECRET_MIN_LENGTH &&
    s.length <= API_SECRET_MAX_LENGTH &&
    /[a-z]/.test(s) &&
    /[A-Z]/.test(s) &&
    /[0-9]/.test(s) &&
    /^[\x21-\x7e]+$/.test(s)
  );
}

/** A 25-character API secret (about 150 bits) that satisfies Vonage's complexity rules. */
export function generateApiSecret(): string {
  // Rejection sampling over whole strings keeps the distribution uniform over valid secrets;
  // a draw misses a character class with probability well under 1%.
  for (;;) {
    const candidate = randomString(API_SECRET_ALPHABET, API_SECRET_LENGTH);
    if (isValidApiSecret(candidate)) return candidate;
  }
}
