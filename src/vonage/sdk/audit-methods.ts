// The Gateway's Audit API method over @vonage/audit: the account's events since a time, unavailable on accounts
// without the API.

import type { AuditEvent, Availability, Gateway } from "../gateway.js";
import { mapVonageError } from "../map-vonage-error.js";
import { PAGE_SIZE } from "./all-pages.js";
import { normaliseAuditEvent } from "./normalise-records.js";
import type { SdkRuntime } from "./sdk-runtime.js";

export function auditMethods(rt: SdkRuntime): Pick<Gateway, "listAuditEvents"> {
  return {
    async listAuditEvents(filter): Promise<Availability<AuditEvent[]>> {
      const { audit } = await rt.clients();
      const events: AuditEvent[] = [];
      try {
        // Each page request goes through call() (see createClients in sdk-runtime.ts); errors arrive already mapped.
        const params = { size: PAGE_SIZE, ...(filter.since === undefined ? {} : { dateFrom: filter.since }) };
        for await (const event of audit.getEvents(params)) events.push(normaliseAuditEvent(event));
        return { available: true, value: events };
      } catch (error) {
        const mapped = await mapVonageError(error, rt.errorContext("listAuditEvents", "api"));
        if (mapped.status === 403 || mapped.status === 404)
          return { available: false, reason: mapped.message };
        throw mapped;
      }
    },
  };
}
