// `vonage-ir run <runbook>`: plan and apply (or --dry-run: plan only), or --resume a run.
import { existsSync } from "node:fs";
import { notifyTargetOf } from "../run-notifications.js";
import { givenActor } from "../actor.js";
import { join, resolve } from "node:path";
import { UsageError } from "../../core/errors.js";
import { checkChain } from "../check-chain.js";
import { createShippedRegistry } from "../shipped-registry.js";
import { executeRun } from "../execute-run.js";
import { loadResume } from "../load-resume.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import {
  DEFAULT_OUT,
  detectMode,
  loadRunbookAndConfig,
  prepareExecution,
  requireCredentials,
  takeCredentials,
} from "../session.js";
import { configOut, readConfigSource } from "../../runbook/config.js";
import { REDACTED } from "../../core/redact.js";
import { checkResumeMatches } from "../check-resume-matches.js";
import { printedResume } from "../printed-command.js";
import { latestRunOf } from "../latest-run.js";
import { HANDOFF_CONFIG, HANDOFF_RUNBOOK, refuseHandedOff } from "../../engine/handoff.js";
import { runPaths } from "../../engine/run-directory.js";
import { executeRestore } from "../execute-restore.js";

export default async function run(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
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
  const registry = createShippedRegistry();
  const mode = detectMode(values, io, { mutates: !dryRun });
  const given = await takeCredentials(values, io);
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
  const runDir = (id: string) => runPaths(resolve(io.cwd, out), id).dir;
  const named = resume?.journal.header.config?.file;
  const startedWith = resume && named ? carriedOr(named, runDir(resume.runId), HANDOFF_CONFIG) : undefined;
  if (resume && startedWith && !values.config) {
    throw new UsageError(
      `run ${resume.runId} was started with the config ${startedWith}: a resume needs it again (unchanged)`,
      `resume with: ${printedResume(io, resume.runId, { configFile: startedWith, out })}`,
    );
  }
  const loaded = await loadRunbookAndConfig(
    resume
      ? carriedOr(resume.journal.header.runbook.file, runDir(resume.runId), HANDOFF_RUNBOOK)
      : positionals[0],
    values.config as string | undefined,
    io,
    registry,
    { now: new Date(), runStartedAt: resume?.journal.header.startedAt },
  );
  if (!values.out && loaded.config.out) out = loaded.config.out;
  if (resume) checkResumeMatches(resume.runId, resume.journal, loaded);
  if (resume) {
    // Inputs answered at a prompt when the run started are in its journaled plan, not in the config: reuse
    // them, so a resume neither asks again (and re-plans with another answer) nor fails when scripted.
    for (const [name, value] of Object.entries(resume.journal.plan.inputs)) {
      if (name in loaded.loaded.runbook.inputs && !(name in loaded.config.values) && value !== REDACTED)
        loaded.config.values[name] = value;
    }
  }
  const credentials = requireCredentials(given);
  if (resume) checkAccount(resume.runId, resume.journal.header.account, credentials.apiKey);
  const { prompter, inputs, concurrency, gateway, waits } = await prepareExecution(
    values,
    io,
    mode,
    loaded,
    credentials,
    // Asked before a new run has a journal: nothing was changed, so there is nothing to resume yet.
    () =>
      resume
        ? `resume with: ${printedResume(io, resume.runId, { configFile: loaded.config.file, out })}`
        : "nothing was changed: run the same command again",
  );
  return executeRun({
    io,
    mode,
    registry,
    loaded,
    inputs,
    attestations: loaded.config.attest,
    gateway,
    operatorSecret: credentials.apiSecret,
    rateLimitWaits: waits,
    prompter,
    actor: givenActor(values, io),
    notify: notifyTargetOf(values, io, loaded.config),
    out,
    concurrency,
    dryRun,
    full: Boolean(values.full),
    breakLock: Boolean(values["break-lock"]),
    resume,
    acceptedBrokenJournal,
  });
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
