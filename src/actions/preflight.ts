// `preflight`: before anything changes, prove the credentials work and find out which optional APIs
// (Subaccounts, Audit) this account has, so later steps plan against what is really there.
import { z } from "zod";
import type { Action, ActionContext, ChangeDraft } from "./action.js";

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
  const subaccounts = await ctx.gateway.listSubaccounts();
  if (!subaccounts.available)
    notes.push(`Subaccounts API not available for this account: ${subaccounts.reason}`);
  // A window starting now keeps the probe to one small page.
  const audit = await ctx.gateway.listAuditEvents({ since: ctx.clock.now().toISOString() });
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
    return `? the credentials of ${change.target} authenticate; Subaccounts and Audit availability`;
  },

  async apply(ctx) {
    await probeCredentials(ctx);
    const found = await probeAvailability(ctx);
    return {
      status: "done",
      output: { apiKey: ctx.gateway.apiKey, subaccounts: found.subaccounts, audit: found.audit },
      ...(found.notes.length > 0 ? { note: found.notes.join("; ") } : {}),
    };
  },
};
