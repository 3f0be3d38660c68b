// `vonage-ir restore <run-id>|latest`: reverses what an earlier run did that an API can reverse (its suspended
// subaccounts), lists what a person may reverse and what stays (a revoked secret, a replaced key, a deleted
// application), and applies the reversal as a run of its own: dry run, confirm, journal, resume, report.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { UsageError } from "../../engine/errors.js";
import { refuseHandedOff } from "../../engine/handoff.js";
import type { JournalState } from "../../engine/journal.js";
import { planRestore, restoreDescriptor, RESTORE_RUNBOOK_ID } from "../../engine/plan-restore.js";
import { runIn } from "../../engine/read-prior-runs.js";
import type { PriorRun } from "../../actions/action.js";
import { givenActor } from "../actor.js";
import { checkChain } from "../check-chain.js";
import { notifyTargetOf } from "../run-notifications.js";
import { emptyConfig } from "../../runbook/config.js";
import { parseYamlSource } from "../../runbook/yaml-source.js";
import type { Credentials } from "../../vonage/gateway.js";
import type { Values } from "../command.js";
import { executeRun, loadResume } from "../execute-run.js";
import type { CliIo } from "../io.js";
import { printedResume } from "../printed-command.js";
import { createPrompter } from "../prompter-factory.js";
import {
  buildGateway,
  DEFAULT_OUT,
  detectMode,
  hostsFromEnv,
  parseConcurrency,
  requireCredentials,
  sha256,
  takeCredentials,
  type Loaded,
  type Mode,
} from "../session.js";
import { createShippedRegistry } from "../shipped-registry.js";
import { latestRunOf } from "../latest-run.js";

/** What a restore run is journaled with in place of a runbook file: it pins the run it reverses. */
export function restoreLoaded(targetRunId: string): Loaded {
  const { file, text } = restoreDescriptor(targetRunId);
  const config = emptyConfig();
  return {
    loaded: {
      runbook: {
        id: RESTORE_RUNBOOK_ID,
        title: `Restore: reverse run ${targetRunId}`,
        description: text.trim(),
        version: 1,
        inputs: {},
        steps: [],
      },
      source: parseYamlSource(file, text),
      text,
    },
    config,
    runbookHash: sha256(text),
    configHash: sha256(config.canonical),
  };
}

interface RestoreRun {
  values: Values;
  io: CliIo;
  mode: Mode;
  credentials: Credentials;
  out: string;
  targetRunId: string;
  /** A new restore: the run it reverses. */
  prior?: PriorRun | undefined;
  /** A resumed restore run. */
  resume?: { runId: string; journal: JournalState } | undefined;
  /**
   * `--accept-broken-journal`: a new restore journals the reversed run's break in its plan (`restoreOf`); a resumed
   * one journals its own journal's break in its resume record.
   */
  acceptedBrokenJournal?: { line: number; reason: string } | undefined;
}

/** A restore run, new or resumed, through the engine like any run. */
export async function executeRestore(run: RestoreRun): Promise<number> {
  const { values, io, mode, credentials, out, resume, prior } = run;
  const registry = createShippedRegistry();
  const loaded = restoreLoaded(run.targetRunId);
  const concurrency = parseConcurrency(values.concurrency, 8);
  const prompter = await createPrompter(mode, io, () =>
    resume
      ? `resume with: ${printedResume(io, resume.runId, { out })}`
      : "nothing was changed: run the same command again",
  );
  const { gateway, waits } = await buildGateway(credentials, hostsFromEnv(io), concurrency);
  const journaled = resume?.journal.plan;
  const planner = () => {
    if (journaled) return journaled;
    const plan = planRestore(
      prior ?? { runId: run.targetRunId, account: undefined, startedAt: undefined, changes: [] },
      registry,
      {
        account: credentials.apiKey,
        now: new Date(),
        runbookHash: loaded.runbookHash,
        configHash: loaded.configHash,
      },
    );
    if (run.acceptedBrokenJournal && plan.restoreOf)
      plan.restoreOf.acceptedBrokenJournal = run.acceptedBrokenJournal;
    return plan;
  };
  return executeRun({
    io,
    mode,
    registry,
    loaded,
    actor: givenActor(values, io),
    notify: notifyTargetOf(values, io, loaded.config),
    inputs: {},
    attestations: {},
    gateway,
    rateLimitWaits: waits,
    prompter,
    out,
    concurrency,
    dryRun: Boolean(values["dry-run"]),
    full: Boolean(values.full),
    breakLock: Boolean(values["break-lock"]),
    resume,
    ...(resume && run.acceptedBrokenJournal ? { acceptedBrokenJournal: run.acceptedBrokenJournal } : {}),
    planner,
  });
}

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
