// Redaction at the point where output is built: every secret value the process learns (credentials from
// env/stdin, generated secrets, private keys) is registered here and replaced wherever it would appear.
const registered = new Set<string>();
const MIN_LENGTH = 6;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const BASIC_AUTH = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g;
const SECRET_KEYS = /^(api_?secret|secret|private_?key|password|authorization|signature_?secret|token)$/i;

export const REDACTED = "[redacted]";

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_LENGTH) registered.add(value);
}

export function redactText(text: string): string {
  // Nothing shorter can hold a registered secret, an Authorization value or a key block; most strings of a plan
  // or a journal record are short (ids, numbers, kinds), and this runs on every one of them.
  if (text.length < MIN_LENGTH) return text;
  let out = text;
  // The regular expressions only where their fixed text occurs (both are case-sensitive).
  if (out.includes("PRIVATE KEY-----")) out = out.replace(PRIVATE_KEY_BLOCK, "[redacted private key]");
  if (out.includes("Basic") || out.includes("Bearer")) out = out.replace(BASIC_AUTH, `$1 ${REDACTED}`);
  for (const value of registered) {
    if (value.length <= out.length && out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}

/** Deep copy with every registered secret replaced and every secret-named string field blanked. */
export function redact<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === "string") {
    if (key !== undefined && SECRET_KEYS.test(key)) return REDACTED;
    return redactText(value);
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined));
  if (value instanceof Date) return value;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k);
    return out;
  }
  return value;
}
