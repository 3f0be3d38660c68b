// traffic.block: Fraud Defender BLOCK rules (POST /v1/fraud-defender/rules, the one confirmed call) for the
// destinations the fraud went to, on the primary API key (rules are per key). Candidates: the destinations whose
// post-compromise cost stands out (traffic.records) and the prefixes the operator names; never a destination in
// traffic.allowCountries. Nothing is blocked without a decision: the checkbox, or the config.
import { z } from "zod";
import type { Action, ActionContext, ApplyOutcome } from "./action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import { runManualChange } from "./manual.js";
import { plannedTraffic } from "./traffic-read.js";
import { money, type TrafficSummary } from "./traffic-summary.js";
import { VonageApiError } from "../core/errors.js";

export const trafficBlockParams = z.strictObject({
  /** Prefixes (digits, country code first, at most 15) the operator wants blocked. */
  block: z
    .array(z.string().regex(/^\+?\d{1,15}$/, "a prefix is 1 to 15 digits, country code first"))
    .optional(),
  /** ISO 3166 alpha-2 codes of the countries the business serves: never blocked. */
  allowCountries: z.array(z.string().regex(/^[A-Za-z]{2}$/, "a two-letter country code")).optional(),
  /** Unattended: also block the computed suspects (default only the config's prefixes). */
  blockSuspects: z.boolean().optional(),
  compromisedSince: z.iso.datetime({ offset: true }),
});
type Params = z.infer<typeof trafficBlockParams>;

export const DASHBOARD_RULES = "Dashboard → Fraud Defender → Protections → Traffic Rules";

interface Candidate {
  product: "sms" | "voice";
  prefix: string;
  country: string;
  records: number;
  cost: number;
  suspect: boolean;
  fromConfig: boolean;
}

/** How to lift a rule: no documented API call removes one (fraud-defender-notes.md 7). */
export function liftInstruction(product: string, prefix: string, apiKey: string): string {
  return `${DASHBOARD_RULES} (API key ${apiKey}): remove the ${product} BLOCK rule for prefix ${prefix}; or add an ALLOW rule for the same product and prefix, which wins the tie (Vonage's precedence)`;
}

function conflictsWith(prefix: string, destPrefix: string): boolean {
  return destPrefix !== "" && (destPrefix.startsWith(prefix) || prefix.startsWith(destPrefix));
}

/** Every candidate prefix, the suspects and the config's, minus any that touches an allowed country. */
export function blockCandidates(
  summary: TrafficSummary,
  params: Pick<Params, "block" | "allowCountries">,
): { candidates: Candidate[]; notes: string[] } {
  const allowed = new Set((params.allowCountries ?? []).map((c) => c.toUpperCase()));
  const allowedDests = summary.destinations.filter((d) => allowed.has(d.country));
  const notes: string[] = [];
  const candidates: Candidate[] = [];
  for (const d of summary.destinations.filter((x) => x.suspect)) {
    if (allowed.has(d.country)) {
      notes.push(
        `${d.country} +${d.prefix} stands out (${money(d.after.cost, summary.currency)}) but is in traffic.allowCountries: never blocked`,
      );
      continue;
    }
    for (const product of d.ruleProducts)
      candidates.push({
        product,
        prefix: d.prefix,
        country: d.country,
        records: d.after.records,
        cost: d.after.cost,
        suspect: true,
        fromConfig: false,
      });
  }
  for (const raw of params.block ?? []) {
    const prefix = raw.replace(/^\+/, "");
    const clash = allowedDests.find((d) => conflictsWith(prefix, d.prefix));
    if (clash) {
      notes.push(
        `traffic.block ${prefix} is not blocked: it covers ${clash.country} +${clash.prefix}, a country in traffic.allowCountries`,
      );
      continue;
    }
    const seen = summary.destinations.find((d) => conflictsWith(prefix, d.prefix));
    const products = seen && seen.ruleProducts.length > 0 ? seen.ruleProducts : (["sms", "voice"] as const);
    for (const product of products) {
      const same = candidates.find((c) => c.prefix === prefix && c.product === product);
      if (same) same.fromConfig = true;
      else
        candidates.push({
          product,
          prefix,
          country: seen?.country ?? "?",
          records: seen?.after.records ?? 0,
          cost: seen?.after.cost ?? 0,
          suspect: false,
          fromConfig: true,
        });
    }
  }
  return { candidates, notes };
}

function draft(c: Candidate, apiKey: string, since: string, currency: string): ChangeDraft {
  return {
    id: `block/${c.product}/${c.prefix}`,
    kind: "create",
    target: `Fraud Defender BLOCK rule ${c.product} +${c.prefix} (${c.country}) on API key ${apiKey}`,
    after: { product: c.product, prefix: c.prefix, action: "block" },
    reversible: true,
    // A second BLOCK rule for the same product and prefix blocks exactly what the first does: re-applying after a
    // crash (there is no documented list call to look the first one up) is harmless.
    idempotent: true,
    // Without Fraud Defender (403) a rule becomes a guided manual step that asks the operator: one rule at a time,
    // outside the progress display, never several questions at once.
    asks: true,
    params: { ...c, apiKey, since, currency },
  };
}

async function choose(ctx: ActionContext, params: Params, candidates: Candidate[], currency: string) {
  // A decision in the config (traffic.block, even empty, or traffic.blockSuspects) is not asked again.
  const decided = params.block !== undefined || params.blockSuspects !== undefined;
  if (ctx.prompter && !decided && candidates.length > 0) {
    // One entry per destination: its records and cost are the destination's (every product), so one line per
    // product would repeat the same figures; choosing it blocks each product it was used for.
    const prefixes = [...new Set(candidates.map((c) => c.prefix))];
    const keys = await ctx.prompter.checkbox<string>({
      message:
        "Which destinations should Fraud Defender block? (BLOCK rules per prefix; blocked SMS are not charged)",
      choices: prefixes.map((prefix) => {
        const rules = candidates.filter((c) => c.prefix === prefix);
        const c = rules[0]!;
        const suspect = rules.some((r) => r.suspect);
        const fromConfig = rules.some((r) => r.fromConfig);
        return {
          value: prefix,
          name: `+${prefix} (${c.country}, ${rules.map((r) => r.product).join(" and ")}): ${c.records} records, ${money(c.cost, currency)} since the compromise${suspect ? " - stands out" : ""}${fromConfig ? " - in traffic.block" : ""}`,
          short: `+${prefix}`,
          checked: suspect || fromConfig,
        };
      }),
    });
    return candidates.filter((c) => keys.includes(c.prefix));
  }
  return candidates.filter((c) => c.fromConfig || (params.blockSuspects === true && c.suspect));
}

export const trafficBlock: Action<Params> = {
  id: "traffic.block",
  title: "Block the fraud's destinations with Fraud Defender",
  why: "traffic keeps costing money until every attacker credential is dead; a BLOCK rule stops it now (blocked SMS are not charged)",
  params: trafficBlockParams,
  async plan(ctx, params) {
    const summary = await plannedTraffic(ctx, params.compromisedSince);
    const { candidates, notes } = blockCandidates(summary, params);
    const chosen = await choose(ctx, params, candidates, summary.currency);
    const left = candidates.filter((c) => c.suspect && !chosen.includes(c));
    if (
      left.length > 0 &&
      (!ctx.prompter || params.block !== undefined || params.blockSuspects !== undefined)
    )
      notes.push(
        `${left.length} suspect prefix(es) not blocked (${left.map((c) => `${c.product} +${c.prefix}`).join(", ")}): set traffic.blockSuspects: true or list them in traffic.block`,
      );
    for (const s of summary.senders.filter((x) => x.accountId !== ctx.gateway.apiKey && x.fraud.cost > 0))
      notes.push(
        `subaccount ${s.accountId} sent ${s.fraud.records} records to the destinations that stand out: its rules are its own (its API key); suspending it stops its traffic`,
      );
    if (chosen.length === 0) notes.push("no BLOCK rule to create");
    const apiKey = ctx.gateway.apiKey;
    return { changes: chosen.map((c) => draft(c, apiKey, params.compromisedSince, summary.currency)), notes };
  },
  describe(change) {
    const p = change.params;
    return `create a Fraud Defender BLOCK rule: ${String(p.product)} to +${String(p.prefix)} (${String(p.country)}: ${String(p.records)} records, ${money(Number(p.cost), String(p.currency))} to this destination since the compromise) on API key ${String(p.apiKey)}`;
  },
  async apply(ctx, change) {
    const p = change.params;
    const product = p.product === "voice" ? "voice" : "sms";
    const prefix = String(p.prefix);
    try {
      const rule = await ctx.gateway.createFraudRule({
        product,
        prefix,
        reason: `vonage-ir run ${ctx.runId}: fraud since ${String(p.since)}`,
        action: "block",
      });
      const output: JsonObject = {
        ruleId: rule.id,
        product,
        prefix,
        apiKey: String(p.apiKey),
        lift: liftInstruction(product, prefix, String(p.apiKey)),
      };
      return { status: "done", output, note: `rule ${rule.id}` };
    } catch (error) {
      if (error instanceof VonageApiError && error.status === 403) return byHand(ctx, change, error.message);
      throw error;
    }
  },
  // No documented list call: nothing to look up. Undefined re-applies it, and a duplicate BLOCK rule is harmless.
  async reconcile() {
    return undefined;
  },
  undo(change) {
    const p = (change.params ?? {}) as Record<string, unknown>;
    return {
      kind: "manual",
      instructions: liftInstruction(String(p.product), String(p.prefix), String(p.apiKey)),
    };
  },
};

/** Fraud Defender is not on the account (403): the same rule, entered by hand in the dashboard. */
async function byHand(ctx: ActionContext, change: Change, reason: string): Promise<ApplyOutcome> {
  const p = change.params;
  const manual = {
    instructions: [
      `Fraud Defender's API refused the rule (${reason}): enter it by hand.`,
      `${DASHBOARD_RULES} → add a rule: product ${String(p.product)}, prefix ${String(p.prefix)}, action Block, reason "incident ${ctx.runId}".`,
      "If Fraud Defender is missing from the dashboard, ask Vonage support to block the prefix.",
    ].join("\n"),
    evidence: [],
  };
  const outcome = await runManualChange(ctx, { ...change, kind: "manual", manual }, new Map());
  if (outcome.status === "pending")
    return {
      status: "pending",
      reason: `Fraud Defender refused the API call (403): enter the ${String(p.product)} BLOCK rule for prefix ${String(p.prefix)} by hand (${DASHBOARD_RULES}); ${outcome.reason}`,
    };
  if (outcome.status !== "done") return outcome;
  return {
    ...outcome,
    output: {
      ...outcome.output,
      product: String(p.product),
      prefix: String(p.prefix),
      apiKey: String(p.apiKey),
      byHand: true,
      lift: liftInstruction(String(p.product), String(p.prefix), String(p.apiKey)),
    },
  };
}
