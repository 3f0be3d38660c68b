// The report of a run directory, rebuilt from its journal: what `report`, `drill`, `export` and the end of every
// run call (the report action builds the same from the journal view the engine gives it).
import { join } from "node:path";
import { writeReport } from "../actions/report.js";
import { type Report } from "../actions/build-report.js";
import { readJournal } from "../engine/journal.js";

export async function rewriteReport(
  runDir: string,
  now?: Date,
): Promise<{ markdown: string; json: string; report: Report }> {
  return writeReport(runDir, await readJournal(join(runDir, "journal.jsonl")), now);
}
