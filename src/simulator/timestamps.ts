// The three timestamp shapes the simulated APIs use; kept together so every route formats them the same way.

/** Secrets API / state: `2018-12-03T10:07:23Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Audit API: `2018-07-04T11:41:32`, UTC without a zone. */
export function auditTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Parses an audit timestamp (no zone means UTC) or any ISO-8601 string; NaN when unparseable. */
export function parseAuditTime(value: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  return Date.parse(hasZone || dateOnly ? value : `${value}Z`);
}
