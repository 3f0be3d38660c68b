// A resumed attempt of a run (`run --resume`): reopens its journal, records the resume, restores what earlier
// attempts did, and re-plans only the steps none of them started; the journaled plan is what it applies.
import type { JournalState } from "../core/journal-records.js";
import { planSteps } from "../engine/plan.js";
import { restore, unstartedSteps } from "../engine/resume.js";
import { Journal } from "../engine/journal.js";
import { writePlanList } from "./plan-list.js";
import { identify, type OpenedRun, type RunContext, type RunProgress } from "./run-context.js";

/** Sets `progress.journal` as soon as the journal is open: from there on the finish records the attempt's end. */
export async function resumeRun(
  ctx: RunContext,
  progress: RunProgress,
  resume: { journal: JournalState },
): Promise<OpenedRun> {
  const { request, deps, state, paths } = ctx;
  const journalState = resume.journal;
  const actor = await identify(ctx);
  const journal = await Journal.open(paths.journal, journalState.nextSeq, { actor });
  progress.journal = journal;
  await journal.append(
    {
      t: "resume",
      mode: request.mode.interactive ? "interactive" : "non-interactive",
      ...(request.acceptedBrokenJournal ? { acceptedBrokenJournal: request.acceptedBrokenJournal } : {}),
    },
    true,
  );
  const thePlan = journalState.plan;
  await restore(thePlan, journalState, deps, state, request.inputs, request.attestations);
  const fresh = request.planner ? new Set<string>() : unstartedSteps(thePlan, journalState);
  if (fresh.size > 0) {
    const replanned = await planSteps(ctx.planInput, deps, state, fresh);
    for (const step of replanned) {
      const index = thePlan.steps.findIndex((s) => s.id === step.id);
      if (index >= 0) thePlan.steps[index] = step;
      await journal.append({ t: "replan", stepId: step.id, plan: step });
    }
  }
  // The plan as this attempt will apply it, re-planned steps included.
  await writePlanList(paths.dir, thePlan);
  return { plan: thePlan, journal };
}
