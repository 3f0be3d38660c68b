// Text we did not write (Vonage or proxy error bodies, names from the account, file contents) made safe to show:
// no terminal control sequence survives (an escape in an application name could redraw the screen an operator
// is approving), and nothing is echoed without bound (a 20 MB error detail must not become 60 MB of output).

/** ANSI sequences (CSI, OSC up to BEL/ST, other two-byte escapes), C1 equivalents, then any lone control. */
const ESCAPE_SEQUENCES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[@-_]?/g;
/** C0 (but tab and newline), DEL, C1, and the Unicode bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

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
 * One foreign value, shown on one line: control characters and escape sequences removed, line breaks and tabs
 * turned into spaces, and at most `maxLength` characters kept, with a marker saying how much was cut.
 */
export function foreignText(value: string, maxLength: number = FOREIGN_TEXT_MAX): string {
  // Cleaning only a bounded prefix keeps a 20 MB value cheap; the margin covers escapes removed from it.
  const head = value.length > maxLength * 4 + 64 ? value.slice(0, maxLength * 4 + 64) : value;
  const text = terminalText(head).replace(/[\t\n]+/g, " ");
  if (text.length <= maxLength && head.length === value.length) return text;
  let kept = text.slice(0, Math.max(maxLength, 0));
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  // Counted against the original: the operator learns the real size of what was sent.
  return `${kept}… [${value.length - kept.length} more characters cut]`;
}
