// A restore run (vonage-ir restore): the runbook-less run that reverses an earlier one, executed by the same
// engine as any run. Shared by the `restore` command and by `run --resume` of a restore run.
import type { JournalState } from "../core/journal-records.js";
import { planRestore, restoreDescriptor, RESTORE_RUNBOOK_ID } from "../engine/plan-restore.js";
import type { PriorRun } from "../actions/action.js";
import { givenActor } from "./actor.js";
import { notifyTargetOf } from "./run-notifications.js";
import { emptyConfig } from "../runbook/config.js";
import { parseYamlSource } from "../runbook/yaml-source.js";
import type { Credentials } from "../vonage/gateway.js";
import type { Values } from "./command.js";
import { executeRun } from "./execute-run.js";
import type { CliIo } from "./io.js";
import { printedResume } from "./printed-command.js";
import { createPrompter } from "./prompter-factory.js";
import { buildGateway, hostsFromEnv, parseConcurrency, sha256, type Loaded } from "./session.js";
import { type Mode } from "./io.js";
import { createShippedRegistry } from "./shipped-registry.js";

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
