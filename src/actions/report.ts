// The incident report action: (re)writes report.md and report.json of a run directory from its journal. The report
// is built as data in build-report.ts and rendered as markdown in render-report.ts.
import { join } from "node:path";
import { z } from "zod";
import type { Action } from "./action.js";
import type { JournalState } from "../core/journal-records.js";
import { writePrivateFile } from "../security/private-file.js";
import { buildReport, type Report } from "./build-report.js";
import { renderMarkdown } from "./render-report.js";

// What src/cli/ imports from here (the end screen, `vonage-ir report`, the notifications).

/** (Re)writes report.md and report.json of a run directory from its journal (`state`, read back from it). */
export async function writeReport(
  runDir: string,
  state: JournalState,
  now?: Date,
): Promise<{ markdown: string; json: string; report: Report }> {
  const report = buildReport(state, now);
  const markdown = join(runDir, "report.md");
  const json = join(runDir, "report.json");
  await writePrivateFile(markdown, renderMarkdown(report));
  await writePrivateFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, json, report };
}

export const writeReportAction: Action<Record<string, never>> = {
  id: "report",
  title: "Write the incident report from the journal",
  why: "the record of what happened and what was done, for the ticket, the post-mortem and Vonage support",
  params: z.strictObject({}),
  async plan() {
    return {
      changes: [
        {
          id: "write",
          kind: "write-file",
          target: "report.md, report.json",
          reversible: true,
          idempotent: true,
          params: {},
        },
      ],
    };
  },
  describe: (change) => `write ${change.target} (from the journal; rewritten at the end of every run)`,
  async apply(ctx) {
    const { markdown } = await writeReport(ctx.runDir, await ctx.journal.read(), ctx.clock.now());
    return { status: "done", output: { path: markdown } };
  },
};
