// traffic.verify: after containment, reads the records again for a short window and says whether fraudulent
// traffic is still arriving and from which key or application: the evidence that containment worked, or a
// pointer to what was missed. Fraud = a record to a destination traffic.records found standing out (or, without
// that summary, any charged record). Reads only.
import { z } from "zod";
import type { Action, ActionContext } from "./action.js";
import type { JsonObject, JsonValue } from "../core/plan.js";
import { iso, readTraffic, trafficAccounts } from "./traffic-read.js";
import { money, type TrafficSummary } from "./traffic-summary.js";
import type { TrafficRecord } from "../vonage/gateway.js";

export const trafficVerifyParams = z.strictObject({
  /** How long to watch; default 120 with a terminal, 0 unattended. */
  seconds: z.number().int().min(0).max(3600).optional(),
});

/** The traffic.records summary of this run, from its done output (a report may run without it). */
export function recordsSummary(outputs: ReadonlyMap<string, JsonObject>): TrafficSummary | undefined {
  for (const output of outputs.values())
    if (typeof output.trafficManifestSha256 === "string" && output.summary)
      return output.summary as unknown as TrafficSummary;
  return undefined;
}

function isFraud(summary: TrafficSummary | undefined) {
  const suspects = (summary?.destinations ?? []).filter((d) => d.suspect).map((d) => d.prefix);
  return (r: TrafficRecord) =>
    summary === undefined ? r.price > 0 : suspects.some((p) => p !== "" && r.to.startsWith(p));
}

async function watch(ctx: ActionContext, seconds: number, summary: TrafficSummary | undefined) {
  const from = ctx.clock.now().getTime();
  // The change runs inside the progress display: the step's progress line counts the seconds (a spinner of its own
  // would print a line per frame there).
  for (let waited = 0; waited < seconds; waited++) {
    ctx.progress(waited, seconds, `watching the traffic (${seconds - waited} s left)`);
    await ctx.clock.sleep(1000, ctx.signal);
  }
  const until = Math.max(ctx.clock.now().getTime(), from + seconds * 1000);
  const window = { since: iso(from), from: iso(from), until: iso(until) };
  const fraud = isFraud(summary);
  const senders = new Map<string, number>();
  let records = 0;
  let cost = 0;
  let rejected = 0;
  const tally = await readTraffic(ctx, ctx.gateway, await trafficAccounts(ctx.gateway), window, {
    record(r) {
      if (!fraud(r)) return;
      records++;
      cost += r.price;
      if (r.status === "rejected") rejected++;
      const who = r.applicationId ? `${r.accountId} (application ${r.applicationId})` : r.accountId;
      senders.set(who, (senders.get(who) ?? 0) + 1);
    },
  });
  return {
    window,
    records,
    cost: Math.round(cost * 10_000) / 10_000,
    rejected,
    senders,
    unavailable: tally.unavailable,
  };
}

export const trafficVerify: Action<z.infer<typeof trafficVerifyParams>> = {
  id: "traffic.verify",
  title: "Check that the fraudulent traffic stopped",
  why: "containment worked only if the fraud stopped arriving; if not, the key or application still sending it was missed",
  params: trafficVerifyParams,
  async plan(ctx, params) {
    const seconds = params.seconds ?? (ctx.prompter ? 120 : 0);
    return {
      changes: [
        {
          id: "verify",
          kind: "verify",
          target: "traffic after containment",
          reversible: true,
          idempotent: true,
          // `terminal`: the length is the default for a run with a terminal, not a configured one: applied
          // without a terminal (a saved plan applied with --yes, a resume unattended), it is 0, never a silent wait.
          params: { seconds, ...(params.seconds === undefined && seconds > 0 ? { terminal: true } : {}) },
        },
      ],
    };
  },
  describe: (change) =>
    Number(change.params.seconds) > 0
      ? `watch the traffic records for ${String(change.params.seconds)} s: is fraudulent traffic still arriving?`
      : "read the traffic records once now (traffic.verifySeconds 0: no watch window)",
  async apply(ctx, change) {
    const seconds = change.params.terminal === true && !ctx.prompter ? 0 : Number(change.params.seconds);
    const summary = recordsSummary(ctx.outputs);
    const seen = await watch(ctx, seconds, summary);
    const currency = summary?.currency ?? "EUR";
    // Nothing watched is nothing proven: 0 s says so rather than "stopped".
    const stopped = seen.unavailable.length > 0 || seconds === 0 ? null : seen.records === 0;
    const fromWho = [...seen.senders.entries()].map(([who, n]) => `${who}: ${n}`);
    const output: JsonObject = {
      trafficVerified: true,
      watchedSeconds: seconds,
      from: seen.window.from,
      until: seen.window.until,
      fraudRecords: seen.records,
      fraudCost: seen.cost,
      rejectedByRules: seen.rejected,
      currency,
      stopped,
      senders: fromWho as JsonValue,
      unavailable: seen.unavailable,
    };
    const note =
      seen.unavailable.length > 0
        ? `not available: ${seen.unavailable.join("; ")}`
        : stopped === null
          ? "not watched (traffic.verifySeconds 0): set it to watch the traffic after containment"
          : stopped
            ? `no fraudulent record from ${seen.window.from} to ${seen.window.until}: the traffic stopped`
            : `fraudulent traffic still arriving: ${seen.records} records (${money(seen.cost, currency)} charged, ${seen.rejected} rejected by BLOCK rules) from ${fromWho.join(", ")}`;
    return { status: "done", output, note };
  },
};
