// The one rule for a point in time typed by a person (config date-time inputs, attestations, `audit --since`):
// a date-time needs a zone; a bare date means 00:00 UTC that day, resolved to that instant wherever it is used.
import { z } from "zod";

export const INSTANT_HINT =
  "expected an ISO-8601 date-time with a zone, e.g. 2026-11-20T08:00:00Z, or a bare date (2026-11-20 = 00:00 UTC)";

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
// What the actions' params accept (seconds required, zone as Z or ±hh:mm), so a resolved value always passes them.
const ZONED_DATE_TIME = z.iso.datetime({ offset: true });

/** The instant as the tool uses it (a bare date becomes `YYYY-MM-DDT00:00:00Z`), or undefined if it is none. */
export function parseInstant(text: string): string | undefined {
  const value = text.trim();
  const resolved = BARE_DATE.test(value) ? `${value}T00:00:00Z` : value;
  if (!ZONED_DATE_TIME.safeParse(resolved).success || Number.isNaN(Date.parse(resolved))) return undefined;
  // Date.parse rolls 2026-02-30 over to March 2: a day that does not exist is a typo, not an instant.
  const [year, month, day] = resolved.slice(0, 10).split("-").map(Number) as [number, number, number];
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  return resolved;
}
