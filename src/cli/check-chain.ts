// The journal's hash chain checked before a command goes on from it (run --resume, restore, export): a broken chain
// is refused (exit 2 naming journal.jsonl:LINE) unless the operator accepts it with --accept-broken-journal; then
// the break is returned, for the command to journal (a resume record, a hand-off record).
import { join } from "node:path";
import { ValidationError } from "../core/errors.js";
import { verifyJournalFile } from "../engine/verify-journal.js";
import type { CliIo } from "./io.js";

/** What goes on from the journal, for the hint and the warning: "resume from it", "restore from it", … */
export async function checkChain(
  runDir: string,
  accept: boolean,
  io: CliIo,
  doing: { verb: string; ing: string } = { verb: "resume from it", ing: "resuming from" },
): Promise<{ line: number; reason: string } | undefined> {
  const verdict = await verifyJournalFile(runDir);
  if (!verdict.broken) return undefined;
  const journal = join(runDir, "journal.jsonl");
  if (!accept) {
    throw new ValidationError(
      [
        {
          file: journal,
          line: verdict.broken.line,
          column: 1,
          path: "",
          message: `the journal's hash chain is broken: ${verdict.broken.reason}`,
        },
      ],
      `the journal may have been edited: compare it with a backup or the report's Journal hash; to ${doing.verb} anyway, add --accept-broken-journal (journaled)`,
    );
  }
  io.stderr.write(
    `warning: ${doing.ing} a journal whose hash chain is broken at line ${verdict.broken.line} (--accept-broken-journal): ${verdict.broken.reason}\n`,
  );
  return verdict.broken;
}
