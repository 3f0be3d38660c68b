// Text that came from outside (a callback's claims, an API's error body) made safe to show on a terminal: no
// escape sequence can rewrite the screen, no newline can forge an output line, and its length is bounded.

// CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ESC ] ... BEL or ESC \), and two-character escapes; the
// same introducers as single C1 characters (U+009B CSI, U+009D OSC, ...).
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- control characters are what this module removes
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// C0, DEL, C1, line/paragraph separators, and the bidirectional overrides and isolates that reorder what is shown.
// eslint-disable-next-line no-control-regex -- control characters are what this module replaces
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Shown in place of each control character that is not part of an escape sequence. */
export const CONTROL_MARKER = "\uFFFD";

/**
 * `value` as one printable line: escape sequences removed, other control characters replaced by U+FFFD, and at
 * most `maxLength` characters kept, followed by a marker saying how many were cut. Non-strings are shown as JSON.
 */
export function foreignText(value: unknown, maxLength = 200): string {
  const text = typeof value === "string" ? value : asJson(value);
  const clean = text.replace(ESCAPE_SEQUENCE, "").replace(CONTROL, CONTROL_MARKER);
  if (clean.length <= maxLength) return clean;
  // Never split a surrogate pair: half of one is not a character.
  let keep = Math.max(0, maxLength);
  const last = clean.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return `${clean.slice(0, keep)}… [${clean.length - keep} more characters cut]`;
}

function asJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt or a cycle: still something to show.
    return typeof value === "bigint" ? `${value}n` : Object.prototype.toString.call(value);
  }
}
