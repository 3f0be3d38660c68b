// `preflight`: before anything changes, prove the credentials work and find out which optional APIs
// (Subaccounts, Audit) this account has, so later steps plan against what is really there.
import { z } from "zod";
import type { Action, ActionContext } from "./action.js";
import type { ChangeDraft } from "../core/plan.js";

export const preflightParams = z.strictObject({});
export type PreflightParams = z.infer<typeof preflightParams>;

interface Availabilities {
  subaccounts: boolean;
  audit: boolean;
  notes: string[];
}

/** Reads whether Subaccounts and Audit answer for this account; 403/404 there means "not available". */
async function probeAvailability(ctx: ActionContext): Promise<Availabilities> {
  const notes: string[] = [];
  const [subaccounts, audit] = await Promise.all([
    ctx.gateway.listSubaccounts(),
    // A window starting now keeps the probe to one small page.
    ctx.gateway.listAuditEvents({ since: ctx.clock.now().toISOString() }),
  ]);
  if (!subaccounts.available)
    notes.push(`Subaccounts API not available for this account: ${subaccounts.reason}`);
  if (!audit.available) notes.push(`Audit API not available for this account: ${audit.reason}`);
  return { subaccounts: subaccounts.available, audit: audit.available, notes };
}

/**
 * A read with the current credentials. The gateway does not hand out the secret it holds, so "do the
 * credentials work" is asked of it with a cheap read; a 401 surfaces as VonageApiError kind "auth".
 */
async function probeCredentials(ctx: ActionContext): Promise<void> {
  await ctx.gateway.getBalance();
}

export const preflight: Action<PreflightParams> = {
  id: "preflight",
  title: "Check the credentials and which APIs this account has",
  why: "a runbook that fails half-way on bad credentials or a missing API wastes the minutes that matter",
  params: preflightParams,
  // Wrong credentials fail here, once, before the other steps plan.
  planAlone: true,

  async plan(ctx) {
    await probeCredentials(ctx);
    const apiKey = ctx.gateway.apiKey;
    const found = await probeAvailability(ctx);
    const draft: ChangeDraft = {
      id: "credentials",
      kind: "verify",
      target: `account ${apiKey}`,
      before: { apiKey, subaccounts: found.subaccounts, audit: found.audit },
      reversible: true,
      idempotent: true,
      params: { apiKey },
      precondition: "the credentials still authenticate",
    };
    return {
      changes: [draft],
      notes: [
        `account ${apiKey}: credentials work`,
        `Subaccounts API: ${found.subaccounts ? "available" : "not available"}`,
        `Audit API: ${found.audit ? "available" : "not available"}`,
        ...found.notes,
      ],
    };
  },

  describe(change) {
    return `the credentials of ${change.target} authenticate; Subaccounts and Audit availability`;
  },

  async apply(ctx) {
    // The plan proved the credentials a moment ago: the three reads go at once (one round trip, not two), and
    // if the credentials stopped working since, their own error is the one reported.
    const [credentials, availability] = await Promise.allSettled([
      probeCredentials(ctx),
      probeAvailability(ctx),
    ]);
    if (credentials.status === "rejected") throw credentials.reason;
    if (availability.status === "rejected") throw availability.reason;
    const found = availability.value;
    return {
      status: "done",
      output: { apiKey: ctx.gateway.apiKey, subaccounts: found.subaccounts, audit: found.audit },
      ...(found.notes.length > 0 ? { note: found.notes.join("; ") } : {}),
    };
  },
};
