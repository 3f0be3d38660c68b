// What a replacement can carry over from what it replaces, as Vonage's API allows today: an application's
// request-schema fields (a response-only field such as verify.version is never sent), and a number's fields but
// the deprecated voiceCallbackType=app (app_id routes its calls) and the two /account/numbers never shows.
import { applicationRequestBody } from "../../src/vonage/application-request.js";

/** An application's request-schema fields, without its key (compare a replacement with its original). */
export function carriedConfig(app: object): Record<string, unknown> {
  const { keys: _keys, ...body } = applicationRequestBody(app as Record<string, unknown>, "");
  return body;
}

/** A number as it must read after its relink to `appId` (undefined: it had no application). */
export function numberAfterRelink<T extends object>(before: T, appId: string | undefined): T {
  const { voiceStatusCallback: _status, moSmppSysType: _smpp, ...kept } = before as Record<string, unknown>;
  if (kept.voiceCallbackType === "app") {
    delete kept.voiceCallbackType;
    delete kept.voiceCallbackValue;
  }
  const oldId = (before as { appId?: unknown }).appId;
  // Callback values of type `app` name the application and follow it.
  return Object.fromEntries(
    Object.entries(kept).map(([k, v]) => [k, oldId !== undefined && v === oldId ? appId : v]),
  ) as T;
}
