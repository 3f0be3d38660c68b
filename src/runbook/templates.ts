// `with` values may be exactly "${inputs.NAME}": replaced by the input's value (keeping its type) at plan
// time. Only whole-value templates: a runbook stays data, not a template language.
const WHOLE = /^\$\{inputs\.([A-Za-z0-9._-]+)\}$/;
const INLINE = /\$\{inputs\.([A-Za-z0-9._-]+)\}/g;

export function templateInput(value: unknown): string | undefined {
  return typeof value === "string" ? WHOLE.exec(value)?.[1] : undefined;
}

export function inputsReferenced(value: unknown): string[] {
  if (typeof value === "string") return [...value.matchAll(INLINE)].map((m) => m[1] ?? "");
  if (Array.isArray(value)) return value.flatMap(inputsReferenced);
  if (value && typeof value === "object") return Object.values(value).flatMap(inputsReferenced);
  return [];
}

/** Replaces whole-value templates with input values; inputs that are unset make the key disappear. */
export function resolveWith(
  params: Record<string, unknown>,
  inputs: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = templateInput(value);
    if (name === undefined) out[key] = value;
    else if (inputs[name] !== undefined) out[key] = inputs[name];
  }
  return out;
}

/** Substitutes `${inputs.X}` inside instruction text; lists are joined with ", ". */
export function interpolate(text: string, inputs: Readonly<Record<string, unknown>>): string {
  return text.replace(INLINE, (_, name: string) => {
    const value = inputs[name];
    if (value === undefined || value === null) return "(not set)";
    if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.join(", ");
    return String(value);
  });
}
