// subaccounts.suspend: suspends the subaccounts nobody vouches for (an attacker's foothold). Suspension is
// reversible and the only containment the API offers (there is no delete); nothing is suspended without a
// decision: the config's allow list, the operator's checkbox, or else the step stays pending with the list.
import { z } from "zod";
import type { SubaccountRecord } from "../vonage/gateway.js";
import type { Action, ActionContext, ApplyOutcome, PriorChange, UndoPlan } from "./action.js";
import type { Change, ChangeDraft, JsonObject, JsonValue } from "../core/plan.js";

export const suspendSubaccountsParams = z.strictObject({
  /** API keys of the legitimate subaccounts; every other active one is suspended. */
  allow: z.array(z.string().min(1)).optional(),
  /** ISO-8601: subaccounts created at or after it are suspects (preselected in the checkbox). */
  compromisedSince: z.string().optional(),
});
export type SuspendSubaccountsParams = z.infer<typeof suspendSubaccountsParams>;

function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function isSuspect(sub: SubaccountRecord, since: number | undefined): boolean {
  if (since === undefined) return false;
  const created = Date.parse(sub.createdAt);
  return !Number.isNaN(created) && created >= since;
}

function reverseHint(primary: string, apiKey: string): string {
  return `PATCH /accounts/${primary}/subaccounts/${apiKey} {"suspended": false} or the dashboard`;
}

function suspendDraft(primary: string, sub: SubaccountRecord, suspect: boolean): ChangeDraft {
  return {
    id: `suspend/${sub.apiKey}`,
    kind: "suspend",
    target: `subaccount ${sub.apiKey} "${sub.name}"`,
    before: { apiKey: sub.apiKey, name: sub.name, suspended: false },
    after: { apiKey: sub.apiKey, name: sub.name, suspended: true },
    reversible: true,
    idempotent: true,
    params: { apiKey: sub.apiKey, name: sub.name, createdAt: sub.createdAt, suspect, primary },
    precondition: { exists: sub.apiKey, suspended: false },
  };
}

/** `vonage-ir restore`: a suspension this action made is lifted by this action (params.op "unsuspend"). */
function unsuspendDraft(change: PriorChange): UndoPlan | undefined {
  const p = (change.params ?? {}) as JsonObject;
  if (change.kind !== "suspend" || p.op === "unsuspend") return undefined;
  const apiKey = str(p.apiKey);
  return {
    kind: "change",
    draft: {
      id: `unsuspend/${apiKey}`,
      kind: "update",
      target: `subaccount ${apiKey} "${str(p.name)}"`,
      before: { apiKey, suspended: true },
      after: { apiKey, suspended: false },
      reversible: true,
      idempotent: true,
      params: {
        op: "unsuspend",
        apiKey,
        name: str(p.name),
        primary: str(p.primary),
        suspendedBy: change.changeId,
      },
      precondition: { exists: apiKey },
      warnings: [
        `re-opens subaccount ${apiKey}${p.suspect === true ? " (created after the compromise)" : ""}: its API key and secret work again (suspended by ${change.changeId})`,
      ],
    },
  };
}

async function unsuspend(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const apiKey = str(change.params.apiKey);
  const updated = await ctx.gateway.setSubaccountSuspended(apiKey, false);
  if (updated.suspended) throw new Error(`Vonage still reports subaccount ${apiKey} as suspended`);
  return { status: "done", output: { apiKey, suspended: false } };
}

function describeSub(sub: SubaccountRecord, suspect: boolean): string {
  return `${sub.apiKey} "${sub.name}" (created ${sub.createdAt || "?"}${suspect ? ", created after the compromise" : ""})`;
}

export const suspendSubaccounts: Action<SuspendSubaccountsParams> = {
  id: "subaccounts.suspend",
  title: "Suspend unknown subaccounts",
  why: "an attacker's subaccount keeps sending traffic on your balance after the primary secrets are rotated",
  params: suspendSubaccountsParams,

  async plan(ctx, params) {
    const listed = await ctx.gateway.listSubaccounts();
    if (!listed.available) {
      return { changes: [], notes: [`Subaccounts are not available for this account: ${listed.reason}`] };
    }
    const since = params.compromisedSince === undefined ? undefined : Date.parse(params.compromisedSince);
    if (since !== undefined && Number.isNaN(since)) {
      throw new Error(`compromisedSince is not a date: ${params.compromisedSince ?? ""}`);
    }
    const primary = ctx.gateway.apiKey;
    const active = listed.value.filter((sub) => !sub.suspended);
    const alreadySuspended = listed.value.length - active.length;
    const notes: string[] = [];
    if (alreadySuspended > 0) notes.push(`${alreadySuspended} subaccount(s) already suspended`);
    const suspects = active.filter((sub) => isSuspect(sub, since));
    if (suspects.length > 0) {
      notes.push(
        `${suspects.length} suspect(s) created after the compromise: ${suspects.map((s) => s.apiKey).join(", ")}`,
      );
    }
    if (active.length === 0) {
      notes.push("no active subaccount");
      return { changes: [], notes };
    }

    let chosen: SubaccountRecord[];
    if (params.allow !== undefined) {
      const allow = new Set(params.allow);
      chosen = active.filter((sub) => !allow.has(sub.apiKey));
      const unknown = params.allow.filter((key) => !listed.value.some((sub) => sub.apiKey === key));
      if (unknown.length > 0) notes.push(`allowed but not found: ${unknown.join(", ")}`);
    } else if (ctx.prompter) {
      const keys = await ctx.prompter.checkbox<string>({
        message: "Which subaccounts should be suspended? (reversible; unchecked ones stay active)",
        choices: active.map((sub) => {
          const suspect = isSuspect(sub, since);
          return {
            value: sub.apiKey,
            name: `${sub.name} (${sub.apiKey}, created ${sub.createdAt || "?"})${suspect ? " - created after the compromise" : ""}`,
            checked: suspect,
          };
        }),
      });
      chosen = active.filter((sub) => keys.includes(sub.apiKey));
      notes.push(`the operator chose ${chosen.length} of ${active.length} active subaccount(s) to suspend`);
    } else {
      const lines = active.map((sub) => `  - ${describeSub(sub, isSuspect(sub, since))}`);
      return {
        changes: [
          {
            id: "decide",
            kind: "manual",
            target: "decide which subaccounts to suspend",
            reversible: true,
            idempotent: true,
            params: { subaccounts: active.map((sub) => sub.apiKey) },
            manual: {
              instructions: [
                `${active.length} active subaccount(s); nothing is suspended without a decision:`,
                ...lines,
                `List the legitimate API keys under "subaccounts.allow" in the config (the others are suspended),`,
                `or run interactively to choose.`,
              ].join("\n"),
              evidence: [],
            },
          },
        ],
        notes,
      };
    }
    if (chosen.length === 0) notes.push("nothing to suspend");
    return { changes: chosen.map((sub) => suspendDraft(primary, sub, isSuspect(sub, since))), notes };
  },

  undo: unsuspendDraft,

  describe(change) {
    if (change.kind === "manual") return `manual: ${change.target}`;
    const p = change.params;
    if (p.op === "unsuspend")
      return `unsuspend subaccount ${str(p.apiKey)} "${str(p.name)}" (lifts this account's earlier suspension)`;
    const created = str(p.createdAt) || "?";
    return `suspend subaccount ${str(p.apiKey)} "${str(p.name)}" (created ${created}${p.suspect === true ? ", suspect" : ""})`;
  },

  async checkPrecondition(ctx, change) {
    const unsuspending = change.params.op === "unsuspend";
    if (change.kind !== "suspend" && !unsuspending) return undefined;
    const apiKey = str(change.params.apiKey);
    const listed = await ctx.gateway.listSubaccounts();
    if (!listed.available) return `Subaccounts are no longer available: ${listed.reason}`;
    const sub = listed.value.find((s) => s.apiKey === apiKey);
    if (!sub) return `subaccount ${apiKey} no longer exists`;
    // Someone lifted it already: the PATCH that follows changes nothing and says so.
    if (unsuspending) return undefined;
    if (sub.suspended) return `subaccount ${apiKey} is already suspended (by someone else?)`;
    return undefined;
  },

  async apply(ctx, change): Promise<ApplyOutcome> {
    if (change.kind === "manual") return pendingDecision(change);
    if (change.params.op === "unsuspend") return unsuspend(ctx, change);
    const apiKey = str(change.params.apiKey);
    const updated = await ctx.gateway.setSubaccountSuspended(apiKey, true);
    if (!updated.suspended) throw new Error(`Vonage did not report subaccount ${apiKey} as suspended`);
    const output: JsonObject = {
      apiKey,
      suspended: true,
      reverse: reverseHint(str(change.params.primary) || ctx.gateway.apiKey, apiKey),
    };
    return { status: "done", output };
  },
};

function pendingDecision(change: Change): ApplyOutcome {
  const keys = Array.isArray(change.params.subaccounts) ? change.params.subaccounts.map(String) : [];
  return {
    status: "pending",
    reason: `no decision on subaccounts ${keys.join(", ")}: set "subaccounts.allow" in the config (legitimate API keys) or resume interactively`,
  };
}
