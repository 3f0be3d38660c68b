// The Gateway's Application API methods over the SDK: list (paged), get, create, update in place and delete.

import type { Vonage } from "@vonage/server-sdk";
import { VonageApiError } from "../../core/errors.js";
import type { ApplicationConfig, Gateway } from "../gateway.js";
import { applicationRequestBody } from "../application-request.js";
import { allPages, PAGE_SIZE } from "./all-pages.js";
import { list, num, obj } from "./json-values.js";
import { normaliseApplication } from "./normalise-records.js";
import { goneOnRetry, type SdkRuntime } from "./sdk-runtime.js";

type ApplicationMethod =
  "listApplications" | "getApplication" | "createApplication" | "updateApplication" | "deleteApplication";

export function applicationMethods(rt: SdkRuntime): Pick<Gateway, ApplicationMethod> {
  return {
    async listApplications(progress) {
      const { vonage } = await rt.clients();
      return allPages(async (page) => {
        const body = obj(
          await rt.call("listApplications", "api", true, () =>
            vonage.applications.listApplications({ pageSize: PAGE_SIZE, page }),
          ),
        );
        const items = list(obj(body._embedded).applications).map(normaliseApplication);
        return {
          items,
          totalPages: num(body.total_pages ?? body.totalPages),
          hasNext: Boolean(obj(body._links).next),
          total: num(body.total_items ?? body.totalItems),
        };
      }, progress);
    },

    async getApplication(id) {
      const { vonage } = await rt.clients();
      try {
        return normaliseApplication(
          await rt.call("getApplication", "api", true, () => vonage.applications.getApplication(id)),
        );
      } catch (error) {
        if (error instanceof VonageApiError && error.kind === "not-found") return undefined;
        throw error;
      }
    },

    async createApplication(config: ApplicationConfig, publicKeyPem: string) {
      const { vonage } = await rt.clients();
      // The SDK deep-snake_cases the request; wire keys pass through unchanged.
      const body = applicationRequestBody(config, publicKeyPem);
      const created = await rt.call("createApplication", "api", false, () =>
        vonage.applications.createApplication(
          body as unknown as Parameters<Vonage["applications"]["createApplication"]>[0],
        ),
      );
      return normaliseApplication(created);
    },

    async updateApplication(id, config, publicKeyPem) {
      const { vonage } = await rt.clients();
      const body = applicationRequestBody(config, publicKeyPem);
      // Not the SDK's updateApplication: it sends the application's `id` in the body, which the PUT request
      // schema does not have. A PUT of the same body twice leaves the same application: safe to retry.
      const url = `${rt.apiHost}/v2/applications/${encodeURIComponent(id)}`;
      const response = await rt.call("updateApplication", "api", true, () =>
        vonage.applications.sendPutRequest<unknown>(url, body),
      );
      return normaliseApplication(response.data);
    },

    async deleteApplication(id) {
      const { vonage } = await rt.clients();
      await rt.call("deleteApplication", "api", true, async (attempt) => {
        try {
          await vonage.applications.deleteApplication(id);
        } catch (error) {
          if (!goneOnRetry(error, attempt)) throw error;
        }
      });
    },
  };
}
