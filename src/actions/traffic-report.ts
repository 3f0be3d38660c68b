// The traffic part of the report and the support ticket, from the journal alone: the fraud's size (traffic.records),
// the BLOCK rules created and how to lift each (traffic.block), spend before and after containment and whether
// the traffic stopped (traffic.verify).
import type { JsonObject, JsonValue } from "../core/plan.js";
import { recordsSummary } from "./traffic-verify.js";
import { money, summaryLines, type TrafficSummary } from "./traffic-summary.js";
import type { JournalState } from "../core/journal-records.js";

export interface TrafficReport {
  summary: TrafficSummary | undefined;
  rules: { product: string; prefix: string; ruleId: string | undefined; byHand: boolean; lift: string }[];
  verify: JsonObject | undefined;
}

function actionOf(state: JournalState, changeId: string): string | undefined {
  for (const step of state.plan.steps) for (const c of step.changes) if (c.id === changeId) return c.action;
  return undefined;
}

export function trafficReport(state: JournalState): TrafficReport | undefined {
  const rules: TrafficReport["rules"] = [];
  let verify: JsonObject | undefined;
  for (const [changeId, output] of state.done) {
    const action = actionOf(state, changeId);
    if (action === "traffic.block" && typeof output.prefix === "string")
      rules.push({
        product: String(output.product),
        prefix: output.prefix,
        ruleId: typeof output.ruleId === "string" ? output.ruleId : undefined,
        byHand: output.byHand === true,
        lift: String(output.lift ?? ""),
      });
    if (action === "traffic.verify") verify = output;
  }
  const summary = recordsSummary(state.done);
  if (!summary && rules.length === 0 && !verify) return undefined;
  return { summary, rules, verify };
}

function num(value: JsonValue | undefined): number {
  return typeof value === "number" ? value : 0;
}

/** Spend since the compromise as read before containment, then in the watch after it, and whether it stopped. */
export function containmentLines(t: TrafficReport): string[] {
  const lines: string[] = [];
  const s = t.summary;
  const currency = s?.currency ?? String(t.verify?.currency ?? "EUR");
  if (s) {
    const after = Object.values(s.products).reduce((sum, p) => sum + p.after.cost, 0);
    const records = Object.values(s.products).reduce((sum, p) => sum + p.after.records, 0);
    lines.push(
      `spend before containment: ${money(after, currency)} since the compromise (${records} records from ${s.since} to ${s.until}, read before anything changed)`,
    );
  }
  const v = t.verify;
  if (v) {
    const watched = num(v.watchedSeconds);
    if (v.stopped === null || watched === 0)
      lines.push(`spend after containment: not measured (${watched} s watched; traffic.verifySeconds)`);
    else
      lines.push(
        `spend after containment: ${money(num(v.fraudCost), currency)} (${num(v.fraudRecords)} fraudulent records from ${String(v.from)} to ${String(v.until)}, ${num(v.rejectedByRules)} rejected by BLOCK rules)`,
      );
    if (v.stopped === true)
      lines.push(`traffic stopped: no fraudulent record in the ${watched} s after containment`);
    if (v.stopped === false)
      lines.push(
        `traffic NOT stopped: still arriving from ${Array.isArray(v.senders) ? v.senders.join(", ") : "?"}: a credential was missed`,
      );
  }
  return lines;
}

/** The report's section (also the ticket's): size, destinations, senders, rules and how to lift them. */
export function trafficLines(t: TrafficReport): string[] {
  const lines = [...(t.summary ? summaryLines(t.summary, 10) : []), ...containmentLines(t)];
  for (const r of t.rules)
    lines.push(
      `BLOCK rule ${r.product} +${r.prefix}${r.ruleId ? ` (id ${r.ruleId})` : ""}${r.byHand ? " entered by hand" : ""}; to lift it: ${r.lift}`,
    );
  return lines;
}
