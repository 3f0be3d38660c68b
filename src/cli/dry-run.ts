// A dry run (`run --dry-run`): plans through the gateway that refuses writes, prints the plan, and takes no lock
// nor run directory.
import { resolve } from "node:path";
import { ExitCode } from "../core/errors.js";
import { plan } from "../engine/plan.js";
import { lockHolder } from "../engine/lock.js";
import type { RunContext } from "./run-context.js";
import { summarisePlan } from "./run-reporters.js";
import { planningInput } from "./session.js";
import { stateDirectory } from "./state-directory.js";

export async function dryRun(ctx: RunContext): Promise<number> {
  const { request, events, runId, gateway, outDir } = ctx;
  const { io, mode, loaded } = request;
  events.emit({
    kind: "run.started",
    runId,
    runbook: loaded.loaded.runbook.id,
    account: gateway.apiKey,
    mode: mode.interactive ? "interactive" : "non-interactive",
    dryRun: true,
    resumed: false,
  });
  // A dry run takes no lock, so it may run beside a real one: it says so, as it reads state being changed.
  const holder =
    (await lockHolder(resolve(io.cwd, stateDirectory(io.env)), gateway.apiKey)) ??
    (await lockHolder(outDir, gateway.apiKey));
  if (holder) {
    events.emit({
      kind: "warning",
      message: `run ${holder.runId} is in progress on account ${gateway.apiKey} (since ${holder.startedAt}, pid ${holder.pid} on ${holder.host}): this dry run reads the account while that run changes it, so its plan may already be out of date`,
    });
  }
  const thePlan = await planningInput(
    async () => request.planner?.() ?? plan(ctx.planInput, ctx.deps, ctx.state),
  );
  events.emit({ kind: "plan.ready", runId, steps: summarisePlan(thePlan) });
  events.emit({ kind: "info", message: "Dry run: nothing was changed (no mutating request was sent)." });
  return ExitCode.ok;
}
