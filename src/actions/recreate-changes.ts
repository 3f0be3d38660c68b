// What the phases of `applications.recreate` (recreate-plan.ts, recreate-apply.ts) share: its params, the
// ops of its changes, where a replacement's key waits, the external accounts linked to an application.
import type { z } from "zod";
import type { Availability, ExternalAccountRecord } from "../vonage/gateway.js";
import type { ActionContext } from "./action.js";
import { applicationStepParams } from "./application-keys.js";

export const recreateApplicationsParams = applicationStepParams;
export type RecreateApplicationsParams = z.infer<typeof recreateApplicationsParams>;

export type Op =
  "backup" | "create" | "deliver" | "check" | "relink" | "channels" | "verify" | "delete" | "id-map";

/** Before the replacement exists (its id is Vonage's to give), its key waits under the id it replaces. */
export function pendingSinkNameFor(oldAppId: string): string {
  return `pending-replacement-of-${oldAppId}.key`;
}

/** Runs `fn` over `items` with at most `limit` at once; the results in the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `rcs example_ltd_agent`: how an external account is named in plans and messages. */
export function accountLabel(account: { provider: string; externalId: string }): string {
  return `${account.provider} ${account.externalId}`;
}

/** The external accounts linked to `appId`; none when the account cannot read them (the API is not enabled). */
export function accountsLinkedTo(
  listed: Availability<ExternalAccountRecord[]>,
  appId: string,
): ExternalAccountRecord[] {
  return listed.available ? listed.value.filter((a) => a.applicationIds.includes(appId)) : [];
}

/** Reads the external accounts; Messenger's access token is a credential, registered so no output shows it. */
export async function readExternalAccounts(
  ctx: ActionContext,
): Promise<Availability<ExternalAccountRecord[]>> {
  const listed = await ctx.gateway.listExternalAccounts();
  if (listed.available)
    for (const account of listed.value)
      if (account.accessToken !== undefined) ctx.registerSecret(account.accessToken);
  return listed;
}
