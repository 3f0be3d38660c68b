// `vonage-ir run <runbook>`: plan and apply (or --dry-run: plan only), or --resume a run.
import { resolve } from "node:path";
import { UsageError } from "../../engine/errors.js";
import { createShippedRegistry } from "../shipped-registry.js";
import { executeRun, loadResume } from "../execute-run.js";
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
import { REDACTED } from "../../io/redact.js";
import { checkResumeMatches } from "../check-resume-matches.js";
import { printedResume } from "../printed-command.js";
import { readRunHeaders } from "../../engine/read-run-headers.js";

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
  const startedWith = resume?.journal.header.config?.file;
  if (resume && startedWith && !values.config) {
    throw new UsageError(
      `run ${resume.runId} was started with the config ${startedWith}: a resume needs it again (unchanged)`,
      `resume with: ${printedResume(io, resume.runId, { configFile: startedWith, out })}`,
    );
  }
  const loaded = await loadRunbookAndConfig(
    resume ? resume.journal.header.runbook.file : positionals[0],
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
  if (resume && resume.journal.header.account !== credentials.apiKey) {
    throw new UsageError(
      `run ${resume.runId} is for account ${resume.journal.header.account}, but VONAGE_API_KEY is ${credentials.apiKey}`,
    );
  }
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
    out,
    concurrency,
    dryRun,
    full: Boolean(values.full),
    breakLock: Boolean(values["break-lock"]),
    resume,
  });
}

/** `--resume latest`: the newest run of this account (API key) in the out directory, said aloud. */
async function latestRunOf(apiKey: string | undefined, out: string, io: CliIo): Promise<string> {
  if (!apiKey)
    throw new UsageError("--resume latest picks the newest run of VONAGE_API_KEY, which is not set");
  const outDir = resolve(io.cwd, out);
  const latest = (await readRunHeaders(outDir)).find((header) => header.account === apiKey);
  if (!latest) {
    throw new UsageError(
      `no run of account ${apiKey} in ${outDir}`,
      "pass the --out (or the --config with `out:`) the run used, or its run id",
    );
  }
  io.stderr.write(`--resume latest: run ${latest.runId}, the newest of account ${apiKey} in ${outDir}\n`);
  return latest.runId;
}
