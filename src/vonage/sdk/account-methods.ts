// The Gateway's Account API methods over the SDK: the balance (with auto-reload) and the account's settings,
// whose `max-calls-per-second` sets the pacing of every later request of the key.

import type { AccountSettings, Balance, Gateway } from "../gateway.js";
import { num, obj, text } from "./json-values.js";
import type { SdkRuntime } from "./sdk-runtime.js";

export function accountMethods(rt: SdkRuntime): Pick<Gateway, "getBalance" | "getAccountSettings"> {
  return {
    async getBalance(): Promise<Balance> {
      const { vonage } = await rt.clients();
      const body = obj(await rt.call("getBalance", "rest", true, () => vonage.accounts.getBalance()));
      return {
        value: num(body.value) ?? 0,
        autoReload: body.autoReload === true || body.autoReload === "true",
      };
    },

    async getAccountSettings(): Promise<AccountSettings> {
      const { vonage } = await rt.clients();
      // An empty settings POST changes nothing and answers with the current settings.
      const raw = obj(
        await rt.call("getAccountSettings", "rest", true, () => vonage.accounts.updateAccountCallbacks({})),
      );
      const rate = num(raw["max-calls-per-second"] ?? raw.maxCallsPerSecond);
      // The account's own figure beats any default: every later request of the key is paced by it.
      if (rate !== undefined && rate > 0) rt.scheduler.setAccountRate(rt.credentials.apiKey, rate);
      return {
        moCallbackUrl: text(raw["mo-callback-url"] ?? raw.moCallbackUrl),
        drCallbackUrl: text(raw["dr-callback-url"] ?? raw.drCallbackUrl),
        maxCallsPerSecond: rate,
        raw,
      };
    },
  };
}
