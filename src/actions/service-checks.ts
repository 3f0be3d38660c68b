// Service checks (the config's `verify:`): commands that must exit 0 before an old credential is revoked or an
// old application deleted. Each is a change of its own, run until it passes or its deadline passes; a failure
// leaves the old credential alive and the step pending (exit 3). In a terminal the operator may retry, wait
// longer, or revoke anyway (journaled as their decision); a resume runs the checks again.
import type { ServiceCheck } from "./delivery-config.js";
import { describeEnd, runCommand } from "../security/run-command.js";
import type { ActionContext, ApplyOutcome } from "./action.js";
import type { Change, ChangeDraft, JsonObject } from "../core/plan.js";
import { shownOutput } from "./deliver-credentials.js";

/** One change per configured check, each after `dependsOn` (the deliveries); `base` tags them for the action. */
export function checkDrafts(ctx: ActionContext, base: JsonObject, dependsOn: string[]): ChangeDraft[] {
  return (ctx.delivery?.config?.checks ?? []).map((check) => ({
    id: `check/${check.name}`,
    kind: "verify",
    target: `service check ${check.name}`,
    reversible: true,
    idempotent: true,
    params: { ...base, check: check as unknown as JsonObject },
    dependsOn: [...dependsOn],
    asks: true,
  }));
}

function checkOf(change: ChangeDraft): ServiceCheck {
  return change.params.check as unknown as ServiceCheck;
}

export function describeCheck(change: ChangeDraft): string {
  const check = checkOf(change);
  return `check the services: ${check.name} (${check.run.join(" ")}) must exit 0 within ${check.deadlineSeconds} s`;
}

interface Attempts {
  count: number;
  last: string;
}

/** Runs the check every interval until it passes (true) or the deadline passes (false, `attempts.last` says why). */
async function pollUntilDeadline(
  ctx: ActionContext,
  check: ServiceCheck,
  attempts: Attempts,
): Promise<boolean> {
  const deadline = ctx.clock.now().getTime() + check.deadlineSeconds * 1000;
  for (;;) {
    attempts.count++;
    const timeoutMs = check.timeoutSeconds * 1000;
    const result = await runCommand({
      argv: check.run,
      env: { ...ctx.delivery?.baseEnv, VONAGE_IR_RUN_ID: ctx.runId },
      timeoutMs,
      signal: ctx.signal,
    });
    const output = shownOutput(result.stdout, result.stderr);
    const passed = result.code === 0 && !result.timedOut;
    ctx.emit({
      kind: "info",
      message: `service check ${check.name}, attempt ${attempts.count}: ${passed ? "passed" : describeEnd(result, timeoutMs)}${output ? `\n${output}` : ""}`,
    });
    if (passed) return true;
    attempts.last = `${describeEnd(result, timeoutMs)}${output ? `: ${output}` : ""}`;
    const left = deadline - ctx.clock.now().getTime();
    if (left <= 0) return false;
    await ctx.clock.sleep(Math.min(check.intervalSeconds * 1000, left), ctx.signal);
  }
}

type Decision = "retry" | "wait" | "revoke-anyway" | "stop";

async function askOperator(ctx: ActionContext, check: ServiceCheck, attempts: Attempts): Promise<Decision> {
  if (!ctx.prompter) return "stop";
  return ctx.prompter.select<Decision>({
    message: `Service check ${check.name} still fails after ${attempts.count} attempt(s): ${attempts.last}\nThe old credential is still alive. What now?`,
    choices: [
      { value: "retry", name: "retry now (once)" },
      { value: "wait", name: `wait: keep checking for another ${check.deadlineSeconds} s` },
      {
        value: "revoke-anyway",
        name: "revoke anyway: the services may fail until they have the new credential",
      },
      { value: "stop", name: "stop here: leave it pending (resume later runs the checks again)" },
    ],
    default: "wait",
  });
}

export async function applyCheck(ctx: ActionContext, change: Change): Promise<ApplyOutcome> {
  const check = checkOf(change);
  const attempts: Attempts = { count: 0, last: "" };
  let passed = await pollUntilDeadline(ctx, check, attempts);
  while (!passed) {
    const decision = await askOperator(ctx, check, attempts);
    if (decision === "stop") {
      return {
        status: "pending",
        reason: `service check ${check.name} failed (${attempts.count} attempt(s), last: ${attempts.last}); the old credential was not revoked: fix the service, then resume (the checks run again)`,
      };
    }
    if (decision === "revoke-anyway") {
      return {
        status: "done",
        output: { check: check.name, passed: false, attempts: attempts.count, decision: "revoke anyway" },
        note: `FAILED (${attempts.last}); the operator decided to revoke anyway`,
      };
    }
    passed =
      decision === "wait"
        ? await pollUntilDeadline(ctx, check, attempts)
        : await retryOnce(ctx, check, attempts);
  }
  return {
    status: "done",
    output: { check: check.name, passed: true, attempts: attempts.count },
    note: `passed on attempt ${attempts.count}`,
  };
}

/** A single run: a deadline of zero makes the poll stop after one attempt. */
function retryOnce(ctx: ActionContext, check: ServiceCheck, attempts: Attempts): Promise<boolean> {
  return pollUntilDeadline(ctx, { ...check, deadlineSeconds: 0 }, attempts);
}
