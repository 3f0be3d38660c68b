// The journal of a run to resume (`run --resume`, `restore`, `report`, `export`), by run id in an out directory.
import { join, resolve } from "node:path";
import { UsageError, VonageIrError } from "../core/errors.js";
import type { JournalState } from "../core/journal-records.js";
import { readJournal } from "../engine/journal.js";
import { RUN_ID_PATTERN } from "../engine/run-directory.js";

/** Reads the journal of a run to resume; unknown ids list what is there. */
export async function loadResume(outDir: string, runId: string): Promise<JournalState> {
  const { readdir } = await import("node:fs/promises");
  if (!RUN_ID_PATTERN.test(runId))
    throw new UsageError(`"${runId}" is not a run id (they look like 20261122-193000-a1b2c3)`);
  const journalPath = join(resolve(outDir), runId, "journal.jsonl");
  try {
    return await readJournal(journalPath);
  } catch (error) {
    if (error instanceof VonageIrError && /cannot read journal/.test(error.message)) {
      const runs = await readdir(resolve(outDir)).catch(() => [] as string[]);
      // A run directory appears with its journal's header and plan (createRunDirectory); one without a
      // journal was left by an older version stopped before its plan was recorded: it changed nothing.
      if (runs.includes(runId)) {
        throw new UsageError(
          `run ${runId} has no journal: it stopped before its plan was recorded, so it changed nothing and cannot be resumed`,
          "start a new run with the same runbook and config (vonage-ir run <runbook> --config FILE)",
        );
      }
      const known = runs
        .filter((r) => RUN_ID_PATTERN.test(r))
        .sort()
        .slice(-5);
      throw new UsageError(
        `unknown run id ${runId} in ${resolve(outDir)}`,
        known.length
          ? `recent runs there: ${known.join(", ")} (or pass --out)`
          : "no runs there: pass the --out directory the run used",
      );
    }
    throw error;
  }
}
