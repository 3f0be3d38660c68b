// The Gateway's Subaccounts API methods over @vonage/subaccounts: list (unavailable on accounts without the
// API) and suspend or reactivate one.

import { VonageApiError } from "../../core/errors.js";
import type { Availability, Gateway, SubaccountRecord } from "../gateway.js";
import { list, obj } from "./json-values.js";
import { normaliseSubaccount } from "./normalise-records.js";
import type { SdkRuntime } from "./sdk-runtime.js";

export function subaccountMethods(
  rt: SdkRuntime,
): Pick<Gateway, "listSubaccounts" | "setSubaccountSuspended"> {
  return {
    async listSubaccounts(): Promise<Availability<SubaccountRecord[]>> {
      const { subaccounts } = await rt.clients();
      try {
        const page = obj(
          await rt.call("listSubaccounts", "api", true, () => subaccounts.getSubAccountPage()),
        );
        return { available: true, value: list(obj(page._embedded).subaccounts).map(normaliseSubaccount) };
      } catch (error) {
        if (error instanceof VonageApiError && (error.status === 403 || error.status === 404)) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async setSubaccountSuspended(apiKey, suspended) {
      const { subaccounts } = await rt.clients();
      const updated = await rt.call("setSubaccountSuspended", "api", true, () =>
        subaccounts.updateSubAccount(apiKey, { suspended }),
      );
      return normaliseSubaccount(updated);
    },
  };
}
