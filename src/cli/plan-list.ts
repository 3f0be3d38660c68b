// plan.txt in the run directory: every change of the plan, plain, for the confirm screens that show a few.
import { join } from "node:path";
import type { Plan } from "../core/plan.js";
import { redact } from "../core/redact.js";
import { formatPlan } from "../io/events.js";
import { writePrivateFile } from "../security/private-file.js";
import { summarisePlan } from "./run-reporters.js";

/** The file in the run directory that lists every change of the plan, for confirm screens that show a few. */
export const PLAN_LIST_FILE = "plan.txt";

/** Every change of the plan, plain, beside the journal: where a confirm screen that shows a few points. */
export async function writePlanList(runDir: string, thePlan: Plan): Promise<void> {
  await writePrivateFile(
    join(runDir, PLAN_LIST_FILE),
    `${formatPlan(redact(summarisePlan(thePlan)), { colour: false, full: true })}\n`,
  );
}
