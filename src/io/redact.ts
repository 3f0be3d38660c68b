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
  let out = text.replace(PRIVATE_KEY_BLOCK, "[redacted private key]").replace(BASIC_AUTH, `$1 ${REDACTED}`);
  for (const value of registered) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
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
