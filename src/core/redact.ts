// Redaction at the point where output is built: every secret value the process learns (credentials from
// env/stdin, generated secrets, private keys) is registered here and replaced wherever it would appear, in
// every encoding the tool itself puts it in: plain, URL-encoded, and base64 of `key:secret` (HTTP Basic).
const registered = new Set<string>();
const secrets = new Set<string>();
const apiKeys = new Set<string>();
const MIN_LENGTH = 6;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
/**
 * An Authorization value of any case (`basic`, `BEARER`): the token must hold a digit or `+/=` so that prose
 * ("basic authentication") is left alone; registered pairs are redacted even bare, below.
 */
const AUTH_VALUE = /\b(basic|bearer)(\s+)(?=[A-Za-z0-9+/=._-]*[0-9+/=])[A-Za-z0-9+/=._-]{8,}/gi;
const AUTH_WORD = /basic|bearer/i;
/** `scheme://user:password@`: the password of a URL's userinfo (basic-auth webhooks) is a credential. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@[\]:]*:)([^\s/?#@[\]]+)@/gi;
const SECRET_KEYS = /^(api_?secret|secret|private_?key|password|authorization|signature_?secret|token)$/i;

export const REDACTED = "[redacted]";

function addNeedle(value: string): void {
  if (value.length >= MIN_LENGTH) registered.add(value);
}

function addPair(apiKey: string, secret: string): void {
  // Unpadded: the padded header value contains it, and so does a copy that lost its `=`.
  addNeedle(Buffer.from(`${apiKey}:${secret}`, "utf8").toString("base64").replace(/=+$/, ""));
}

/** Registers a secret value; `apiKey` also registers the `key:secret` pair as an Authorization header holds it. */
export function registerSecret(value: string | undefined, options: { apiKey?: string } = {}): void {
  if (!value || value.length < MIN_LENGTH) return;
  if (options.apiKey) registerApiKey(options.apiKey);
  if (secrets.has(value)) return;
  secrets.add(value);
  addNeedle(value);
  const uri = encodeURIComponent(value);
  if (uri !== value) {
    addNeedle(uri);
    addNeedle(uri.replace(/%20/g, "+"));
    addNeedle(uri.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  }
  // A multi-line value (a PEM) is never an HTTP credential, and base64 of every key with it would be waste.
  if (!value.includes("\n")) for (const key of apiKeys) addPair(key, value);
}

/** An API key the process authenticates with: every registered secret is then also redacted as its Basic pair. */
export function registerApiKey(apiKey: string | undefined): void {
  if (!apiKey || apiKeys.has(apiKey)) return;
  apiKeys.add(apiKey);
  for (const secret of secrets) if (!secret.includes("\n")) addPair(apiKey, secret);
}

export function redactText(text: string): string {
  // Nothing shorter can hold a registered secret, an Authorization value or a key block; most strings of a plan
  // or a journal record are short (ids, numbers, kinds), and this runs on every one of them.
  if (text.length < MIN_LENGTH) return text;
  let out = text;
  // The regular expressions only where their fixed text occurs.
  if (out.includes("PRIVATE KEY-----")) out = out.replace(PRIVATE_KEY_BLOCK, "[redacted private key]");
  if (out.includes("@") && out.includes("://")) out = out.replace(USERINFO, redactUserinfo);
  if (AUTH_WORD.test(out)) out = out.replace(AUTH_VALUE, `$1$2${REDACTED}`);
  for (const value of registered) {
    if (value.length <= out.length && out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}

function redactUserinfo(_match: string, prefix: string, password: string): string {
  if (password === REDACTED) return `${prefix}${REDACTED}@`;
  // Seen once, redacted everywhere: a copy cut before its `@` (a truncated message) no longer matches above.
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // Not valid percent-encoding: the raw form is registered already.
  }
  return `${prefix}${REDACTED}@`;
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
