// Uniform random strings from a CSPRNG; shared by the secret generators.
import { randomInt } from "node:crypto";

/** `length` characters drawn uniformly from `alphabet` (crypto.randomInt rejects biased draws). */
export function randomString(alphabet: string, length: number): string {
  if (alphabet.length < 2 || alphabet.length > 2 ** 32) throw new RangeError("alphabet size out of range");
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const DIGITS = "0123456789";
