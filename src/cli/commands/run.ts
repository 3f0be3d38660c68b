// `vonage-ir run <runbook>`: plan and apply (or --dry-run: plan only), or --resume a run.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Registry } from "../../actions/action.js";
import { UsageError } from "../../core/errors.js";
import type { JournalState } from "../../core/journal-records.js";
import { HANDOFF_CONFIG, HANDOFF_RUNBOOK, refuseHandedOff } from "../../engine/handoff.js";
import { runPaths } from "../../engine/run-directory.js";
import { configOut, readConfigSource } from "../../runbook/config.js";
import { checkChain } from "../check-chain.js";
import { checkResumeMatches } from "../check-resume-matches.js";
import type { Values } from "../command.js";
import { executeRestore } from "../execute-restore.js";
import type { CliIo } from "../io.js";
import { latestRunOf } from "../latest-run.js";
import { loadResume } from "../load-resume.js";
import { printedResume } from "../printed-command.js";
import { reuseRecordedInputs, runLoadedRunbook } from "../run-loaded-runbook.js";
import {
  DEFAULT_OUT,
  detectMode,
  loadRunbookAndConfig,
  requireCredentials,
  takeCredentials,
  type GivenCredentials,
  type Loaded,
} from "../session.js";
import { createShippedRegistry } from "../shipped-registry.js";

/** The run to resume, as `--resume` found it. */
interface Resume {
  runId: string;
  journal: JournalState;
}

export default async function run(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const { dryRun, resumeId } = checkRunArguments(values, positionals);
  const registry = createShippedRegistry();
  const mode = detectMode(values, io, { mutates: !dryRun });
  const given = await takeCredentials(values, io);
  const found = await findResume(values, io, given, resumeId);
  const { resume, acceptedBrokenJournal } = found;
  let { out } = found;
  const restoring = resume?.journal.plan.restoreOf;
  if (resume && restoring) {
    // A restore run has no runbook file nor config: its journaled plan is what it applies.
    const credentials = requireCredentials(given);
    checkAccount(resume.runId, resume.journal.header.account, credentials.apiKey);
    return executeRestore({
      values,
      io,
      mode,
      credentials,
      out,
      targetRunId: restoring.runId,
      resume,
      acceptedBrokenJournal,
    });
  }
  const loaded = await loadRunbook(values, positionals, io, registry, resume, out);
  if (!values.out && loaded.config.out) out = loaded.config.out;
  if (resume) checkResumeMatches(resume.runId, resume.journal, loaded);
  // Inputs answered at a prompt when the run started are in its journaled plan, not in the config: reuse
  // them, so a resume neither asks again (and re-plans with another answer) nor fails when scripted.
  if (resume) reuseRecordedInputs(loaded, resume.journal.plan.inputs);
  const credentials = requireCredentials(given);
  if (resume) checkAccount(resume.runId, resume.journal.header.account, credentials.apiKey);
  return runLoadedRunbook(
    { values, io, mode, registry, loaded, credentials, out },
    // Asked before a new run has a journal: nothing was changed, so there is nothing to resume yet.
    () =>
      resume
        ? `resume with: ${printedResume(io, resume.runId, { configFile: loaded.config.file, out })}`
        : "nothing was changed: run the same command again",
    { dryRun, resume, acceptedBrokenJournal },
  );
}

/** The flags and positionals that cannot go together, refused before anything is read. */
function checkRunArguments(
  values: Values,
  positionals: string[],
): { dryRun: boolean; resumeId: string | undefined } {
  const dryRun = Boolean(values["dry-run"]);
  const resumeId = values.resume as string | undefined;
  // `--resume "$RUN_ID"` with an empty variable must not fall through to a new (mutating) run.
  if (resumeId !== undefined && resumeId.trim() === "")
    throw new UsageError("--resume needs a run id", "e.g. vonage-ir run --resume 20261122-193000-a1b2c3");
  if (positionals.length > 1) throw new UsageError(`expected one runbook, got: ${positionals.join(" ")}`);
  if (resumeId && positionals.length > 0)
    throw new UsageError("--resume takes the runbook from the run's journal: do not pass a runbook");
  if (resumeId && dryRun) throw new UsageError("--dry-run cannot be combined with --resume");
  if (!resumeId && positionals.length === 0 && !values.config) {
    throw new UsageError(
      "which runbook?",
      "e.g. vonage-ir run compromise --config vonage-ir.yaml (vonage-ir list shows the runbooks)",
    );
  }
  return { dryRun, resumeId };
}

/**
 * The out directory and, with --resume, the run to resume (`latest`: this account's last one), refused if it was
 * handed off, with its journal's chain checked.
 */
async function findResume(
  values: Values,
  io: CliIo,
  given: GivenCredentials,
  resumeId: string | undefined,
): Promise<{
  out: string;
  resume: Resume | undefined;
  acceptedBrokenJournal: { line: number; reason: string } | undefined;
}> {
  let out = (values.out as string | undefined) ?? DEFAULT_OUT;
  if (resumeId && !values.out && values.config) {
    // The journal to resume lives in the config's `out:` when no --out is given, as it did for the run.
    const source = await readConfigSource(resolve(io.cwd, values.config as string));
    out = configOut(source) ?? out;
  }
  const runId = resumeId === "latest" ? await latestRunOf(given.apiKey, out, io) : resumeId;
  const resume = runId ? { runId, journal: await loadResume(resolve(io.cwd, out), runId) } : undefined;
  if (resume) refuseHandedOff(resume.runId, resume.journal);
  const acceptedBrokenJournal = resume
    ? await checkChain(resolve(io.cwd, out, resume.runId), Boolean(values["accept-broken-journal"]), io)
    : undefined;
  return { out, resume, acceptedBrokenJournal };
}

/** The runbook and config: the positional one, or on a resume the ones its journal names (or the hand-off's copies). */
async function loadRunbook(
  values: Values,
  positionals: string[],
  io: CliIo,
  registry: Registry,
  resume: Resume | undefined,
  out: string,
): Promise<Loaded> {
  const runDir = (id: string) => runPaths(resolve(io.cwd, out), id).dir;
  const named = resume?.journal.header.config?.file;
  const startedWith = resume && named ? carriedOr(named, runDir(resume.runId), HANDOFF_CONFIG) : undefined;
  if (resume && startedWith && !values.config) {
    throw new UsageError(
      `run ${resume.runId} was started with the config ${startedWith}: a resume needs it again (unchanged)`,
      `resume with: ${printedResume(io, resume.runId, { configFile: startedWith, out })}`,
    );
  }
  return loadRunbookAndConfig(
    resume
      ? carriedOr(resume.journal.header.runbook.file, runDir(resume.runId), HANDOFF_RUNBOOK)
      : positionals[0],
    values.config as string | undefined,
    io,
    registry,
    { now: new Date(), runStartedAt: resume?.journal.header.startedAt },
  );
}

function checkAccount(runId: string, account: string, apiKey: string): void {
  if (account !== apiKey)
    throw new UsageError(`run ${runId} is for account ${account}, but VONAGE_API_KEY is ${apiKey}`);
}

/**
 * A file a resume reads (runbook, config): the one the journal names, or, for a run imported from another machine
 * where that path is not, the copy the hand-off carried beside the journal (its hash or inputs must still match).
 */
function carriedOr(file: string, runDir: string, carriedName: string): string {
  const carried = join(runDir, carriedName);
  return existsSync(file) || !existsSync(carried) ? file : carried;
}
