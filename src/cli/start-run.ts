// A new run (`run`, `apply`, `drill`, `restore`): plans (or checks the saved plan against live state), asks, and
// only then creates the run directory, which appears with the journal's header and plan durable in it.
import { readFile } from "node:fs/promises";
import type { Actor } from "../core/journal-records.js";
import type { Plan } from "../core/plan.js";
import { plan } from "../engine/plan.js";
import { Journal, JOURNAL_VERSION } from "../engine/journal.js";
import { createRunDirectory } from "../engine/run-directory.js";
import { verifySavedPlan } from "../engine/verify-saved-plan.js";
import { enclosingGitTree } from "../security/private-file.js";
import { confirmStart } from "./confirm-start.js";
import type { CliIo } from "./io.js";
import { writePlanList } from "./plan-list.js";
import { identify, type OpenedRun, type RunContext, type RunProgress } from "./run-context.js";
import { summarisePlan } from "./run-reporters.js";
import { DEFAULT_OUT, planningInput } from "./session.js";

/**
 * The plan of a new run, its directory and its open journal (set on `progress`), or undefined when the operator
 * declined the plan: then nothing was changed and no run directory was created.
 */
export async function startRun(ctx: RunContext, progress: RunProgress): Promise<OpenedRun | undefined> {
  const { request, events, paths } = ctx;
  const thePlan = await planRun(ctx);
  // Asked before the run directory exists: a declined plan leaves nothing behind and points at nothing.
  if (request.prompter && request.mode.interactive) {
    if (!(await confirmStart(ctx, request.prompter, summarisePlan(thePlan), false))) {
      events.emit({
        kind: "info",
        message: "Declined: nothing was done (no change was made, no run directory was created).",
      });
      return undefined;
    }
  }
  // Only a run that has a plan gets a directory: a plan-time error (a decision missing from the config)
  // leaves nothing behind. The directory appears with its header and plan durable in its journal.
  const actor = await identify(ctx);
  const nextSeq = await createRun(ctx, thePlan, actor);
  await warnIfInGitTree(ctx);
  const journal = await Journal.open(paths.journal, nextSeq, { actor });
  progress.journal = journal;
  return { plan: thePlan, journal };
}

/** Reads the account (only) to plan the runbook, or to check a saved plan against live state. */
async function planRun(ctx: RunContext): Promise<Plan> {
  const { request, events, gateway, planInput, deps, state } = ctx;
  if (request.mode.interactive) {
    events.emit({
      kind: "info",
      message: request.savedPlan
        ? `Reading account ${gateway.apiKey} to check the saved plan against live state (read-only)…`
        : `Reading account ${gateway.apiKey} to plan ${request.loaded.loaded.runbook.id} (read-only: nothing changes until you confirm)…`,
    });
  }
  const saved = request.savedPlan;
  return planningInput(async () =>
    saved
      ? verifySavedPlan(saved, planInput, deps, state, {
          replayAnswers: request.savedPlanTrusted === true,
        })
      : (request.planner?.() ?? plan(planInput, deps, state)),
  );
}

/** Creates the run directory with its journal's header and plan; returns the journal's next sequence number. */
async function createRun(ctx: RunContext, planned: Plan, actor: Actor): Promise<number> {
  const { request, runId, gateway, outDir } = ctx;
  const { io, loaded } = request;
  let nextSeq = 1;
  await createRunDirectory(
    outDir,
    runId,
    gateway.apiKey,
    async (staging) => {
      const first = await Journal.open(staging.journal, 1, { actor });
      try {
        await first.append({
          t: "run",
          v: JOURNAL_VERSION,
          runId,
          runbook: {
            id: planned.runbook.id,
            version: planned.runbook.version,
            file: planned.runbook.file,
            hash: planned.runbook.hash,
          },
          configHash: planned.configHash,
          inputDigests: loaded.config.inputDigests,
          ...(loaded.config.file ? { config: { file: loaded.config.file } } : {}),
          ...(request.savedPlanSha256 ? { savedPlan: { sha256: request.savedPlanSha256 } } : {}),
          account: gateway.apiKey,
          startedAt: new Date().toISOString(),
          tool: { name: "vonage-ir", version: await toolVersion() },
        });
        testKillPoint(io, "journal-header");
        nextSeq = (await first.append({ t: "plan", plan: planned }, true)).seq + 1;
      } finally {
        await first.close();
      }
      await writePlanList(staging.dir, planned);
    },
    (point) => testKillPoint(io, point),
  );
  return nextSeq;
}

/** The run directory holds the new secret and keys: inside a git work tree a commit or a push can carry them off. */
async function warnIfInGitTree(ctx: RunContext): Promise<void> {
  const { request, events, outDir, paths } = ctx;
  const tree = await enclosingGitTree(outDir);
  if (tree) {
    events.emit({
      kind: "warning",
      message: `the out directory ${outDir}${request.out === DEFAULT_OUT ? ` (the default, ./${DEFAULT_OUT} of the current directory)` : ""} is inside the git work tree ${tree}. It holds this run's new API secret and private keys (${paths.sink}): a commit, a push or a copy of the work tree can carry them off. The run directory ignores itself (.gitignore), but secrets are safer outside any repository: for the next run, pass --out DIR (or out: in the config) with a directory of your own outside ${tree}, e.g. --out ~/vonage-ir-runs`,
    });
  }
}

let version: Promise<string> | undefined;

/** This tool's version (package.json), journaled in every run header. */
export function toolVersion(): Promise<string> {
  version ??= readFile(new URL("../../package.json", import.meta.url), "utf8").then(
    (text) => (JSON.parse(text) as { version: string }).version,
  );
  return version;
}

/**
 * For the chaos suite only: `VONAGE_IR_TEST_KILL_AT=<point>` SIGKILLs the CLI at that named point between two
 * file operations, where no request is in flight for a request-count kill to land on.
 */
function testKillPoint(io: CliIo, point: string): void {
  if (io.env.VONAGE_IR_TEST_KILL_AT === point) process.kill(process.pid, "SIGKILL");
}
