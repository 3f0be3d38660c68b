// webhooks.review: lists every suspect webhook of the account (applications, numbers, account settings) at the top
// of the plan and keeps each one pending until it is decided or gone. It changes nothing itself: a recreate or a
// rekey applies the decisions; this step is what keeps an undecided one from being forgotten, whichever ran.
import { createHash } from "node:crypto";
import { z } from "zod";
import { redactText } from "../core/redact.js";
import type { Action, ActionContext } from "./action.js";
import type { JsonObject, JsonValue } from "../core/plan.js";
import {
  accountWebhooks,
  applicationWebhooks,
  describeSite,
  findSuspectWebhooks,
  numberWebhooks,
  suspectLine,
  type WebhookSite,
} from "./find-suspect-webhooks.js";
import { DECISIONS_KEY, decisionFor, webhookDecisionsParam } from "./resolve-webhook-decisions.js";

export const reviewWebhooksParams = z.strictObject({
  allowedHosts: z.array(z.string().min(1)).optional(),
  decisions: webhookDecisionsParam.optional(),
  compromisedSince: z.string().optional(),
});
export type ReviewWebhooksParams = z.infer<typeof reviewWebhooksParams>;

function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function siteOf(params: JsonObject): WebhookSite {
  const owner = str(params.owner);
  return {
    owner: owner === "number" || owner === "account" ? owner : "application",
    ownerId: str(params.ownerId),
    ownerName: str(params.ownerName),
    path: str(params.path),
    url: str(params.url),
    host: str(params.host),
  };
}

/** An operator's interactive decision recorded by a recreate (or rekey) change's output for this webhook. */
function keptByOperator(ctx: ActionContext, hook: WebhookSite): boolean {
  for (const output of ctx.outputs.values()) {
    if (!Array.isArray(output.webhookDecisions)) continue;
    for (const d of output.webhookDecisions) {
      if (typeof d !== "object" || d === null || Array.isArray(d)) continue;
      if (
        d.application === hook.ownerId &&
        d.path === hook.path &&
        d.url === hook.url &&
        d.decision === "keep"
      )
        return true;
    }
  }
  return false;
}

/** Whether the webhook is still where it was planned (compared as shown: the plan holds the redacted URL). */
async function stillThere(ctx: ActionContext, hook: WebhookSite): Promise<boolean> {
  let sites: WebhookSite[];
  if (hook.owner === "application") {
    const app = await ctx.gateway.getApplication(hook.ownerId);
    sites = app ? applicationWebhooks(app) : [];
  } else if (hook.owner === "number") {
    const numbers = await ctx.gateway.listNumbers();
    sites = numbers.filter((n) => n.msisdn === hook.ownerId).flatMap(numberWebhooks);
  } else {
    sites = accountWebhooks(ctx.gateway.apiKey, await ctx.gateway.getAccountSettings());
  }
  return sites.some((s) => s.path === hook.path && redactText(s.url) === hook.url);
}

export const reviewWebhooks: Action<ReviewWebhooksParams> = {
  id: "webhooks.review",
  title: "List webhooks pointing at hosts you did not allow, pending until decided",
  why: "an attacker's webhook receives your calls and messages; a key change or a copy must not leave it in place unnoticed",
  params: reviewWebhooksParams,

  async plan(ctx, params) {
    const scan = await findSuspectWebhooks(ctx, {
      allowedHosts: params.allowedHosts,
      compromisedSince: params.compromisedSince,
    });
    const notes = [...scan.notes];
    notes.push(
      scan.suspects.length === 0
        ? "no suspect webhook found"
        : `${scan.suspects.length} suspect webhook(s): each stays pending until ${DECISIONS_KEY} decides it or it is gone`,
    );
    return {
      notes,
      attention: scan.suspects.map(suspectLine),
      changes: scan.suspects.map((suspect) => ({
        id: `suspect/${createHash("sha256").update(`${suspect.owner} ${suspect.ownerId} ${suspect.path} ${suspect.url}`).digest("hex").slice(0, 16)}`,
        kind: "verify" as const,
        target: describeSite(suspect),
        reversible: true,
        idempotent: true,
        params: {
          owner: suspect.owner,
          ownerId: suspect.ownerId,
          ownerName: suspect.ownerName,
          path: suspect.path,
          url: redactText(suspect.url),
          host: suspect.host,
          why: suspect.why,
          decisions: params.decisions ?? [],
        },
      })),
    };
  },

  describe(change) {
    return `suspect webhook ${describeSite(siteOf(change.params))}: decided, or no longer there`;
  },

  async apply(ctx, change) {
    const hook = siteOf(change.params);
    const rules = Array.isArray(change.params.decisions) ? change.params.decisions.map(String) : [];
    if (decisionFor(rules, hook)?.kind === "keep") {
      return { status: "done", output: { url: hook.url, decision: "keep" }, note: `kept: ${DECISIONS_KEY}` };
    }
    if (keptByOperator(ctx, hook)) {
      return {
        status: "done",
        output: { url: hook.url, decision: "keep" },
        note: "kept: the operator decided",
      };
    }
    if (!(await stillThere(ctx, hook))) {
      return { status: "done", output: { url: hook.url, gone: true }, note: "no longer there" };
    }
    return {
      status: "pending",
      reason: `suspect webhook ${describeSite(hook)} is still in place and undecided: change it (dashboard, or ${DECISIONS_KEY} "<url or host> clear | replace <https url>" with the applications step), or set ${DECISIONS_KEY} "${hook.host} keep" if the host is yours, then resume`,
    };
  },
};
