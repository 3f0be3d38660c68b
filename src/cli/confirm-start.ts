// The question before a run changes anything (a new run, or a resumed one in a terminal).
import { formatStartScreen, type PlannedStepSummary } from "../io/events.js";
import { isDestructive } from "../io/plan-marks.js";
import type { Prompter } from "../io/prompter.js";
import type { RunContext } from "./run-context.js";
import { planColour } from "./run-reporters.js";

/** The start screen and its question; Enter alone never starts a plan that revokes, deletes or suspends. */
export async function confirmStart(
  ctx: RunContext,
  prompter: Prompter,
  summary: PlannedStepSummary[],
  resumed: boolean,
): Promise<boolean> {
  const { mode, io } = ctx.request;
  prompter.say(
    formatStartScreen(summary, {
      colour: planColour(mode, io),
      seeAll: "the same command with --dry-run --full lists every one",
    }),
    { painted: true },
  );
  const count = summary.reduce((n, s) => n + s.changes.length, 0);
  const destructive = summary.some((s) => s.changes.some((c) => isDestructive(c.kind)));
  return prompter.confirm({
    message: `${resumed ? "Continue" : "Start"}: ${count} change(s) on account ${ctx.gateway.apiKey}${resumed ? `, run directory ${ctx.paths.dir}` : ""}. Proceed?`,
    default: !destructive,
  });
}
