// What a number relink cannot carry over: update fields that /account/numbers never shows (Numbers 1.1.0), so
// `POST /number/update`, which clears what it omits, may clear them. Plans name them for the numbers concerned.

import type { NumberRecord } from "./gateway.js";

const UNREADABLE_NUMBER_FIELDS = [
  { field: "voiceStatusCallback", feature: "VOICE" },
  { field: "moSmppSysType", feature: "SMS" },
] as const;

/**
 * The fields a relink of `number` may clear on Vonage: those its read does not show, for the features the number
 * has (all of them when the read lists no features).
 */
export function unreadableNumberFields(number: NumberRecord): string[] {
  const features = Array.isArray(number.raw.features)
    ? number.raw.features.filter((f): f is string => typeof f === "string")
    : [];
  return UNREADABLE_NUMBER_FIELDS.filter(({ field, feature }) => {
    const value = number.raw[field];
    const shown = typeof value === "string" && value !== "";
    return !shown && (features.length === 0 || features.includes(feature));
  }).map(({ field }) => field);
}
