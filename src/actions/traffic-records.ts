// traffic.records: the fraud's size before anything changes. Planning reads the records since the compromise (and
// a baseline before it) and puts the summary in the plan, so the operator sees the damage before deciding;
// applying reads them again into evidence/traffic/ (JSONL per account and product, with a manifest). Reads only.
import { z } from "zod";
import type { Action } from "./action.js";
import type { JsonObject } from "../core/plan.js";
import { TrafficEvidenceWriter } from "./traffic-evidence.js";
import { plannedTraffic, readTraffic, trafficAccounts, trafficWindow } from "./traffic-read.js";
import { money, summaryJson, summaryLines, type TrafficSummary } from "./traffic-summary.js";

export const trafficRecordsParams = z.strictObject({
  /** ISO date-time of the compromise: records at or after it are "after". */
  compromisedSince: z.iso.datetime({ offset: true }),
});

/** The one line above every step when the fraud is visible in the records. */
export function fraudAttention(s: TrafficSummary): string[] {
  const suspects = s.destinations.filter((d) => d.suspect);
  if (suspects.length === 0) return [];
  const cost = suspects.reduce((sum, d) => sum + d.after.cost, 0);
  const records = suspects.reduce((sum, d) => sum + d.after.records, 0);
  const where = suspects.slice(0, 5).map((d) => `${d.country} +${d.prefix}`);
  return [
    `traffic since the compromise: ${records} records (${money(cost, s.currency)}) to destinations your account did not use before: ${where.join(", ")}`,
  ];
}

export const trafficRecords: Action<z.infer<typeof trafficRecordsParams>> = {
  id: "traffic.records",
  title: "Size the fraud: the traffic records since the compromise",
  why: "what the attacker spent and where it went, before containment, for the decision, the report and Vonage support",
  params: trafficRecordsParams,
  async plan(ctx, params) {
    const summary = await plannedTraffic(ctx, params.compromisedSince);
    return {
      changes: [
        {
          id: "records",
          kind: "write-file",
          target: "evidence/traffic/",
          reversible: true,
          idempotent: true,
          params: { compromisedSince: params.compromisedSince },
        },
      ],
      notes: summaryLines(summary),
      attention: fraudAttention(summary),
    };
  },
  describe: (change) =>
    `read the outbound SMS, call and Messages records since ${String(change.params.compromisedSince)} (and as long before it) into ${change.target}`,
  async apply(ctx, change) {
    const since = String(change.params.compromisedSince);
    const window = trafficWindow(since, ctx.clock.now());
    const accounts = await trafficAccounts(ctx.gateway);
    const writer = await TrafficEvidenceWriter.create(ctx.runDir);
    const summary = await readTraffic(ctx, ctx.gateway, accounts, window, writer);
    const manifestSha256 = await writer.finish(summary, {
      takenAt: ctx.clock.now().toISOString(),
      account: ctx.gateway.apiKey,
      accounts,
      window,
    });
    const read = Object.values(writer.manifest).reduce((n, f) => n + f.records, 0);
    const output: JsonObject = {
      trafficManifestSha256: manifestSha256,
      records: read,
      summary: summaryJson(summary),
    };
    const fraud = fraudAttention(summary)[0];
    return {
      status: "done",
      output,
      note: `${read} records in evidence/traffic/${fraud ? `; ${fraud}` : ""}${summary.unavailable.length > 0 ? `; not available: ${summary.unavailable.join("; ")}` : ""}`,
    };
  },
};
