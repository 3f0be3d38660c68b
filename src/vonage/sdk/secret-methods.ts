// The Gateway's Secrets API methods over the SDK: list, create and revoke an API key's secrets, and prove a
// key:secret pair authenticates.

import { VonageApiError } from "../../core/errors.js";
import type { Gateway } from "../gateway.js";
import { list, obj } from "./json-values.js";
import { loadVonageParts } from "./load-vonage-parts.js";
import { secretMeta } from "./normalise-records.js";
import { goneOnRetry, observeRateLimits, type SdkRuntime } from "./sdk-runtime.js";

export function secretMethods(
  rt: SdkRuntime,
): Pick<Gateway, "listSecrets" | "checkCredentials" | "createSecret" | "revokeSecret"> {
  return {
    async listSecrets(apiKey) {
      const { vonage } = await rt.clients();
      const body = await rt.call("listSecrets", "api", true, () => vonage.secrets.listSecrets(apiKey));
      return list(obj(obj(body)._embedded).secrets).map(secretMeta);
    },

    async checkCredentials(creds) {
      const probe = loadVonageParts({ apiKey: creds.apiKey, apiSecret: creds.apiSecret }, rt.clientOptions);
      observeRateLimits(rt.scheduler, probe.accounts, creds.apiKey);
      try {
        await rt.call(
          "checkCredentials",
          "rest",
          true,
          () => probe.accounts.getBalance(),
          creds.apiKey,
          creds.apiSecret,
        );
        return true;
      } catch (error) {
        if (error instanceof VonageApiError && error.kind === "auth") return false;
        throw error;
      }
    },

    async createSecret(apiKey, secret) {
      const { vonage } = await rt.clients();
      // Never retried blindly: after an unknown outcome the caller lists secrets to reconcile.
      const body = await rt.call("createSecret", "api", false, () =>
        vonage.secrets.createSecret(apiKey, secret),
      );
      return secretMeta(body);
    },

    async revokeSecret(apiKey, secretId) {
      const { vonage } = await rt.clients();
      await rt.call("revokeSecret", "api", true, async (attempt) => {
        try {
          await vonage.secrets.deleteSecret(apiKey, secretId);
        } catch (error) {
          if (!goneOnRetry(error, attempt)) throw error;
        }
      });
    },
  };
}
