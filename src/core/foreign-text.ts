// Text we did not write (Vonage or proxy error bodies, names from the account, a callback's claims, file contents)
// made safe to show: no terminal control sequence survives (an escape in an application name could redraw the
// screen an operator is approving), no line break can forge an output line, and nothing is echoed without bound
// (a 20 MB error detail must not become 60 MB of output).

/**
 * CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ESC ] ... BEL or ESC \), two-character escapes, and the same
 * introducers as single C1 characters (U+009B CSI, U+009D OSC, ...).
 */
const ESCAPE_SEQUENCES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
/** C0 (but tab and newline), DEL, C1, and the Unicode bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** What breaks a line, in one foreign value: shown as a space. */
const LINE_BREAKS = /[\t\n\r\u2028\u2029]/g;

/** Shown in place of each control character of a foreign value that is not part of an escape sequence. */
export const CONTROL_MARKER = "\uFFFD";

/** Default bound of one foreign value in a message: enough for any real name, URL or error detail. */
export const FOREIGN_TEXT_MAX = 300;

/**
 * Multi-line text for a terminal (our own, with foreign parts in it): escape sequences and control characters
 * removed, newlines and tabs kept; with `maxLength`, cut there with a marker.
 */
export function terminalText(text: string, maxLength?: number): string {
  let out = text;
  if (maxLength !== undefined && out.length > maxLength) {
    out = `${out.slice(0, maxLength)}… [${out.length - maxLength} more characters cut]`;
  }
  if (!ANY_CONTROL.test(out)) return out;
  return out.replace(ESCAPE_SEQUENCES, "").replace(CONTROLS, "");
}

/**
 * One foreign value, shown on one line: escape sequences removed, line breaks turned into spaces, every other
 * control character (including bidirectional overrides) replaced by U+FFFD so that the operator sees something
 * was there, and at most `maxLength` characters kept, with a marker saying how much was cut. Non-strings are
 * shown as JSON.
 */
export function foreignText(value: unknown, maxLength: number = FOREIGN_TEXT_MAX): string {
  const whole = typeof value === "string" ? value : asJson(value);
  // Cleaning only a bounded prefix keeps a 20 MB value cheap; the margin covers escapes removed from it.
  const head = whole.length > maxLength * 4 + 64 ? whole.slice(0, maxLength * 4 + 64) : whole;
  const text = head.replace(ESCAPE_SEQUENCES, "").replace(LINE_BREAKS, " ").replace(CONTROLS, CONTROL_MARKER);
  if (text.length <= maxLength && head.length === whole.length) return text;
  let kept = text.slice(0, Math.max(maxLength, 0));
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  // Counted against what was cleaned when all of it was, else against the original: the real size of what was sent.
  const total = head.length === whole.length ? text.length : whole.length;
  return `${kept}… [${total - kept.length} more characters cut]`;
}

function asJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt or a cycle: still something to show.
    return typeof value === "bigint" ? `${value}n` : Object.prototype.toString.call(value);
  }
}
