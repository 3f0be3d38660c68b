// Undoes the SDK's response key casing so records carry Vonage's wire (snake_case) keys and can be sent back.
// The word splitting mirrors @vonage/server-client's transformers, so a twin is recognised exactly as it was made.

function words(key: string): string[] {
  return key
    .split(/[-_\s]+/)
    .flatMap((word) => word.split(/(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/))
    .filter(Boolean);
}

export function camelCaseKey(key: string): string {
  return words(key)
    .map((word, i) =>
      i === 0 ? word.toLowerCase() : word.charAt(0).toUpperCase() + word.slice(1).toLowerCase(),
    )
    .join("");
}

export function snakeCaseKey(key: string): string {
  return words(key)
    .map((word) => word.toLowerCase())
    .join("_");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep copy without the camelCase twins the SDK adds next to wire keys (`keys.publicKey` beside
 * `keys.public_key`): a key is dropped when another key of the same object camel-cases to it.
 * With `snakeTopLevel`, the top-level keys of a camelCased-only object (no originals kept) are snake_cased.
 */
export function toWireKeys(value: unknown, options: { snakeTopLevel?: boolean } = {}): unknown {
  if (Array.isArray(value)) return value.map((item) => toWireKeys(item));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  const twins = new Set<string>();
  for (const key of keys) {
    const camel = camelCaseKey(key);
    if (camel !== key && Object.prototype.hasOwnProperty.call(value, camel)) twins.add(camel);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (twins.has(key)) continue;
    const wireKey = options.snakeTopLevel ? snakeCaseKey(key) : key;
    if (options.snakeTopLevel && wireKey !== key && Object.prototype.hasOwnProperty.call(value, wireKey))
      continue;
    out[wireKey] = toWireKeys(value[key]);
  }
  return out;
}
