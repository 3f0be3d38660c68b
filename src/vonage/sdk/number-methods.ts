// The Gateway's Numbers API methods over the SDK: list owned numbers (paged by index) and link a number to an
// application with `POST /number/update`, which is not a patch (numberUpdateParams re-sends what it would clear).

import type { Vonage } from "@vonage/server-sdk";
import { VonageApiError } from "../../core/errors.js";
import type { Gateway, NumberRecord } from "../gateway.js";
import { allPages, PAGE_SIZE } from "./all-pages.js";
import { list, num, obj, text, type Json } from "./json-values.js";
import { normaliseNumber } from "./normalise-records.js";
import { numberUpdateParams, numberUpdateRefused } from "./number-update.js";
import type { SdkRuntime } from "./sdk-runtime.js";

/** Links `number` to `appId`; a refusal (HTTP error or a non-200 `error-code`) names the number and its webhook. */
async function linkNumber(rt: SdkRuntime, number: NumberRecord, appId: string): Promise<void> {
  const { vonage } = await rt.clients();
  const params = numberUpdateParams(number, appId);
  let result: Json;
  try {
    result = obj(
      await rt.call("linkNumber", "rest", true, () =>
        // A fresh object per attempt: the SDK deletes keys from its argument.
        vonage.numbers.updateNumber({ ...params } as unknown as Parameters<
          Vonage["numbers"]["updateNumber"]
        >[0]),
      ),
    );
  } catch (error) {
    if (error instanceof VonageApiError)
      throw numberUpdateRefused(error, params, `HTTP ${error.status ?? "?"}`);
    throw error;
  }
  const code = String(result.errorCode ?? result["error-code"] ?? "");
  if (code !== "200") {
    const label = text(result.errorCodeLabel ?? result["error-code-label"]) ?? "no reason given";
    throw numberUpdateRefused(
      new VonageApiError({
        kind: "other",
        operation: "linkNumber",
        message: `linkNumber failed for number ${number.msisdn}: Vonage answered error-code ${code || "(none)"}: ${label}`,
        type: code || undefined,
      }),
      params,
      `error-code ${code || "(none)"}: ${label}`,
    );
  }
}

export function numberMethods(rt: SdkRuntime): Pick<Gateway, "listNumbers" | "linkNumber"> {
  return {
    async listNumbers(filter, progress) {
      const { vonage } = await rt.clients();
      const applicationId = filter?.applicationId;
      const hasApplication = filter?.hasApplication;
      return allPages(async (index) => {
        const body = obj(
          await rt.call("listNumbers", "rest", true, () =>
            vonage.numbers.getOwnedNumbers({
              ...(applicationId === undefined ? {} : { applicationId }),
              ...(hasApplication === undefined ? {} : { hasApplication }),
              size: PAGE_SIZE,
              index,
            }),
          ),
        );
        const count = num(body.count) ?? 0;
        const items = list(body.numbers).map(normaliseNumber);
        return { items, totalPages: Math.max(1, Math.ceil(count / PAGE_SIZE)), hasNext: false, total: count };
      }, progress);
    },

    linkNumber: (number, appId) => linkNumber(rt, number, appId),
  };
}
