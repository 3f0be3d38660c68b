// The Gateway's External Accounts API methods (WhatsApp, Messenger, Viber, RCS): list, link to an application
// and unlink. No client in @vonage/server-sdk: the Applications client sends the requests (its Basic auth is one
// the External Accounts API accepts), through call() like every other one.

import { VonageApiError } from "../../core/errors.js";
import type { Availability, ExternalAccountRecord, Gateway } from "../gateway.js";
import { allPages, PAGE_SIZE } from "./all-pages.js";
import { list, obj } from "./json-values.js";
import { normaliseExternalAccount } from "./normalise-records.js";
import type { SdkRuntime } from "./sdk-runtime.js";

const EXTERNAL_ACCOUNTS_PATH = "/beta/chatapp-accounts";

export function externalAccountMethods(
  rt: SdkRuntime,
): Pick<Gateway, "listExternalAccounts" | "linkExternalAccount" | "unlinkExternalAccount"> {
  const accountUrl = (account: ExternalAccountRecord): string =>
    `${rt.apiHost}${EXTERNAL_ACCOUNTS_PATH}/${encodeURIComponent(account.provider)}/${encodeURIComponent(account.externalId)}`;

  return {
    async listExternalAccounts(): Promise<Availability<ExternalAccountRecord[]>> {
      const { vonage } = await rt.clients();
      try {
        const accounts = await allPages(async (page) => {
          const response = await rt.call("listExternalAccounts", "api", true, () =>
            vonage.applications.sendGetRequest<unknown>(`${rt.apiHost}${EXTERNAL_ACCOUNTS_PATH}`, {
              page_number: page,
              page_size: PAGE_SIZE,
            }),
          );
          const body = obj(response.data);
          const items = list(body._embedded);
          return { items, totalPages: undefined, hasNext: Boolean(obj(body._links).next), total: undefined };
        }, undefined);
        return { available: true, value: accounts.map(normaliseExternalAccount) };
      } catch (error) {
        if (error instanceof VonageApiError && (error.status === 403 || error.status === 404)) {
          return { available: false, reason: error.message };
        }
        throw error;
      }
    },

    async linkExternalAccount(account, appId) {
      const { vonage } = await rt.clients();
      // Linking the application already linked answers 200: safe to retry.
      await rt.call("linkExternalAccount", "api", true, () =>
        vonage.applications.sendPostRequest<unknown>(`${accountUrl(account)}/applications`, {
          application: appId,
        }),
      );
    },

    async unlinkExternalAccount(account, appId) {
      const { vonage } = await rt.clients();
      await rt.call("unlinkExternalAccount", "api", true, async (attempt) => {
        try {
          await vonage.applications.sendDeleteRequest<unknown>(
            `${accountUrl(account)}/applications/${encodeURIComponent(appId)}`,
          );
        } catch (error) {
          // A repeat after an unknown outcome finds it unlinked already: Vonage answers 409 for "not linked".
          if (!(attempt > 1 && obj(obj(error).response).status === 409)) throw error;
        }
      });
    },
  };
}
