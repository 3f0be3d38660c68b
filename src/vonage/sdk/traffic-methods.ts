// The Gateway's Reports API and Fraud Defender methods: read traffic records page by page, create a fraud rule.
// No client for either in @vonage/server-sdk: the Applications client sends them (Basic auth), through call().

import { VonageApiError } from "../../core/errors.js";
import type { Gateway } from "../gateway.js";
import {
  FRAUD_RULES_PATH,
  RECORDS_PATH,
  nextCursor,
  normaliseFraudRule,
  normaliseTrafficRecord,
  recordsParams,
} from "../traffic-wire.js";
import { list, obj } from "./json-values.js";
import type { SdkRuntime } from "./sdk-runtime.js";

export function trafficMethods(rt: SdkRuntime): Pick<Gateway, "readTrafficRecords" | "createFraudRule"> {
  return {
    async readTrafficRecords(query, onPage) {
      const { vonage } = await rt.clients();
      let cursor: { cursor: string; iv: string } | undefined;
      let records = 0;
      let pages = 0;
      try {
        do {
          const params = recordsParams(query, cursor);
          const response = await rt.call("readTrafficRecords", "api", true, () =>
            vonage.applications.sendGetRequest<unknown>(`${rt.apiHost}${RECORDS_PATH}`, params),
          );
          const body = obj(response.data);
          const page = list(body.records).map((r) => normaliseTrafficRecord(query.product, r));
          pages++;
          records += page.length;
          await onPage(page);
          cursor = page.length > 0 ? nextCursor(body) : undefined;
        } while (cursor);
        return { available: true, value: { records, pages } };
      } catch (error) {
        if (error instanceof VonageApiError && error.status === 403) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async createFraudRule(rule) {
      const { vonage } = await rt.clients();
      // Never retried after an unknown outcome: the caller decides (a second BLOCK rule is harmless, see traffic.block).
      const response = await rt.call("createFraudRule", "api", false, () =>
        vonage.applications.sendPostRequest<unknown>(`${rt.apiHost}${FRAUD_RULES_PATH}`, { ...rule }),
      );
      return normaliseFraudRule(response.data);
    },
  };
}
