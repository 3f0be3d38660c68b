// Where a command's events go: JSON lines on stdout (--json), else the console reporter on stderr, and the plan's
// summary those reporters print.
import type { Plan } from "../core/plan.js";
import type { EventSink, PlannedStepSummary } from "../io/events.js";
import { ConsoleReporter, JsonReporter, chooseRenderer } from "../io/reporters.js";
import { silentTaskUi, type TaskUi } from "../io/task-ui.js";
import type { CliIo, Mode } from "./io.js";

/** Colour on a terminal only, and never with NO_COLOR set (https://no-color.org: set and not empty). */
export function planColour(mode: Mode, io: CliIo): boolean {
  return mode.tty && !mode.json && !io.env.NO_COLOR;
}

export function reportersFor(
  mode: Mode,
  io: CliIo,
  options: { full?: boolean | undefined } = {},
): { events: EventSink; ui: TaskUi } {
  if (mode.json) return { events: new JsonReporter(io.stdout), ui: silentTaskUi };
  const reporter = new ConsoleReporter(io.stderr, chooseRenderer({ json: false, tty: mode.tty }), {
    colour: planColour(mode, io),
    full: options.full,
    seeAll: "add --full to list every one",
  });
  return { events: reporter, ui: reporter };
}

export function summarisePlan(
  thePlan: Plan,
  hide?: { done: ReadonlySet<string>; skipped: ReadonlySet<string> },
): PlannedStepSummary[] {
  return thePlan.steps.map((step) => ({
    id: step.id,
    title: step.title,
    why: step.why,
    skipped: step.skipped,
    notes: step.notes,
    attention: step.attention,
    changes: step.changes
      .filter((c) => !hide || (!hide.done.has(c.id) && !hide.skipped.has(c.id)))
      .map((c) => ({ id: c.id, kind: c.kind, summary: c.summary, warnings: c.warnings })),
  }));
}
