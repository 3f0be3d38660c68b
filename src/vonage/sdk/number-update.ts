// What a relink of a number sends with `POST /number/update`, and the error that names the number when Vonage
// refuses it.

import { VonageApiError } from "../../core/errors.js";
import type { NumberRecord } from "../gateway.js";
import { text } from "./json-values.js";

/**
 * Fields `POST /number/update` takes besides country, msisdn and app_id. The update is not a patch (it clears what
 * it omits), so every one of them that the number's read shows is sent again.
 */
const NUMBER_UPDATE_FIELDS = [
  "moHttpUrl",
  "moSmppSysType",
  "voiceCallbackType",
  "voiceCallbackValue",
  "voiceStatusCallback",
] as const;

/**
 * The form fields a relink sends: the new application as `app_id` and the number's fields as read. Never the
 * deprecated `voiceCallbackType=app` ("will be removed", Numbers 1.1.0): with `app_id` set, voice goes to the
 * linked application without it, and re-sending it would keep voice pointed at the old application's id.
 */
export function numberUpdateParams(number: NumberRecord, appId: string): Record<string, string> {
  const params: Record<string, string> = {
    country: number.country,
    msisdn: number.msisdn,
    applicationId: appId,
  };
  for (const field of NUMBER_UPDATE_FIELDS) {
    const value = text(number.raw[field]);
    if (value !== undefined) params[field] = value;
  }
  if (params.voiceCallbackType === "app") {
    delete params.voiceCallbackType;
    delete params.voiceCallbackValue;
  }
  return params;
}

/**
 * Vonage GETs a number's `moHttpUrl` and refuses the update unless it answers 200 OK: a refusal of an update that
 * sent one names the number and the URL. Auth, rate-limit, server and network failures are not that refusal.
 */
export function numberUpdateRefused(
  error: VonageApiError,
  params: Record<string, string>,
  label: string,
): VonageApiError {
  const url = params.moHttpUrl;
  const refusal = ["validation", "forbidden", "other", "not-found"].includes(error.kind);
  if (url === undefined || !refusal) return error;
  return new VonageApiError({
    kind: error.kind,
    operation: error.operation,
    status: error.status,
    type: error.type,
    message: `Vonage refused to update number ${params.msisdn} (${label}); Vonage first checks that its SMS webhook (moHttpUrl) ${url} answers 200 OK`,
    hint: `make ${url} answer 200 OK to a GET (or change the number's SMS webhook in the Vonage dashboard), then resume the run`,
  });
}
