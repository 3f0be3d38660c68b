// `vonage-ir restore <run-id>|latest`: reverses what an earlier run did that an API can reverse (its suspended
// subaccounts), lists what a person may reverse and what stays (a revoked secret, a replaced key, a deleted
// application), and applies the reversal as a run of its own: dry run, confirm, journal, resume, report.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { UsageError } from "../../core/errors.js";
import { refuseHandedOff } from "../../engine/handoff.js";
import { RESTORE_RUNBOOK_ID } from "../../engine/plan-restore.js";
import { runIn } from "../../engine/read-prior-runs.js";
import type { PriorRun } from "../../actions/action.js";
import { checkChain } from "../check-chain.js";
import type { Values } from "../command.js";
import { loadResume } from "../load-resume.js";
import type { CliIo } from "../io.js";
import { DEFAULT_OUT, detectMode, requireCredentials, takeCredentials } from "../session.js";
import { latestRunOf } from "../latest-run.js";

import { executeRestore } from "../execute-restore.js";

/**
 * The run to reverse: its journal read (a handed-off or foreign run refused, a broken hash chain refused unless
 * accepted), its done changes.
 */
async function targetRun(
  outDir: string,
  runId: string,
  apiKey: string,
  acceptBroken: boolean,
  io: CliIo,
): Promise<{ prior: PriorRun; acceptedBrokenJournal: { line: number; reason: string } | undefined }> {
  const journal = await loadResume(outDir, runId);
  refuseHandedOff(runId, journal);
  if (journal.plan.restoreOf) {
    throw new UsageError(
      `run ${runId} is itself a restore (of run ${journal.plan.restoreOf.runId}): there is nothing to reverse in it`,
      "suspend again with a new run of the runbook if that is what you want",
    );
  }
  if (journal.header.account !== apiKey) {
    throw new UsageError(
      `run ${runId} is for account ${journal.header.account}, but VONAGE_API_KEY is ${apiKey}`,
    );
  }
  const acceptedBrokenJournal = await checkChain(join(outDir, runId), acceptBroken, io, {
    verb: "restore from it",
    ing: "restoring from",
  });
  return {
    prior: runIn(await readFile(join(outDir, runId, "journal.jsonl"), "utf8"), runId),
    acceptedBrokenJournal,
  };
}

export default async function restore(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [target, ...extra] = positionals;
  if (target === undefined || target.trim() === "" || extra.length > 0)
    throw new UsageError(
      "expected one run id (or latest)",
      "usage: vonage-ir restore <run-id>|latest [--dry-run]",
    );
  const mode = detectMode(values, io, { mutates: !values["dry-run"] });
  const given = await takeCredentials(values, io);
  const out = (values.out as string | undefined) ?? DEFAULT_OUT;
  const targetRunId =
    target === "latest"
      ? await latestRunOf(given.apiKey, out, io, (h) => h.runbookId !== RESTORE_RUNBOOK_ID, "restore latest")
      : target;
  const credentials = requireCredentials(given);
  const { prior, acceptedBrokenJournal } = await targetRun(
    resolve(io.cwd, out),
    targetRunId,
    credentials.apiKey,
    Boolean(values["accept-broken-journal"]),
    io,
  );
  return executeRestore({ values, io, mode, credentials, out, targetRunId, prior, acceptedBrokenJournal });
}
