// `vonage-ir apply plan.json`: applies exactly a saved plan. The file must be intact (its sha256 catches corruption,
// not tampering: anyone can recompute it), for this account and the runbook file as it is now; every change must
// be one the runbook plans against live state now (engine/verify-saved-plan.ts), and is re-checked before it runs.
import { join, resolve } from "node:path";
import { planSealKey, sealedByMe } from "../plan-seal.js";
import { DriftError, ExitCode, UsageError, ValidationError } from "../../core/errors.js";
import { readJournal } from "../../engine/journal.js";
import { readRunHeaders } from "../../engine/read-run-headers.js";
import { PLAN_VERSION, type Plan } from "../../core/plan.js";
import { MiB, readUserFile } from "../../io/read-user-file.js";
import { canonicalJson } from "../../runbook/config.js";
import { reuseRecordedInputs, runLoadedRunbook } from "../run-loaded-runbook.js";
import { reportersFor } from "../run-reporters.js";
import { printedReport, printedResume } from "../printed-command.js";
import type { CliIo, Mode } from "../io.js";
import type { Values } from "../command.js";
import { createShippedRegistry } from "../shipped-registry.js";
import {
  DEFAULT_OUT,
  detectMode,
  loadRunbookAndConfig,
  requireCredentials,
  takeCredentials,
  sha256,
  type Loaded,
} from "../session.js";

export async function readPlanFile(file: string): Promise<{ plan: Plan; canonical: string; hmac: unknown }> {
  // A plan of a large account (thousands of numbers and applications) stays far below this.
  const read = await readUserFile(file, 64 * MiB);
  if ("problem" in read)
    throw new ValidationError([{ file, path: "", message: `cannot read (${read.problem})` }]);
  let data: unknown;
  try {
    data = JSON.parse(read.bytes.toString("utf8"));
  } catch {
    throw new ValidationError([
      { file, path: "", message: "not JSON: is this a plan saved by `vonage-ir plan --save`?" },
    ]);
  }
  const record = data as Partial<Plan> & { sha256?: string };
  if (
    !record ||
    typeof record !== "object" ||
    record.version !== PLAN_VERSION ||
    !Array.isArray(record.steps) ||
    typeof record.sha256 !== "string"
  ) {
    throw new ValidationError([
      { file, path: "version", message: `not a vonage-ir plan (version ${PLAN_VERSION} expected)` },
    ]);
  }
  const { sha256: stated, hmac, ...plan } = record as typeof record & { hmac?: unknown };
  const canonical = canonicalJson(plan);
  if (sha256(canonical) !== stated) {
    throw new ValidationError(
      [
        {
          file,
          path: "sha256",
          message: "the plan's content does not match its sha256: it was edited after it was saved",
        },
      ],
      "make a new plan with `vonage-ir plan --save`",
    );
  }
  return { plan: plan as Plan, canonical, hmac };
}

export default async function applyCommand(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [planFile, ...extra] = positionals;
  if (!planFile || extra.length > 0)
    throw new UsageError("expected exactly one plan file", "usage: vonage-ir apply plan.json");
  const given = await takeCredentials(values, io);
  const { plan: thePlan, canonical, hmac } = await readPlanFile(resolve(io.cwd, planFile));
  // Answers recorded at a prompt are replayed only from a plan this user sealed; from any other (another user's,
  // one edited and resealed with a sha256 anyone can compute) they are asked again, or the config must decide.
  const trusted = sealedByMe(await planSealKey(io, false), canonical, hmac);
  const registry = createShippedRegistry();
  const mode = detectMode(values, io, { mutates: true });
  const loaded = await loadRunbookAndConfig(
    thePlan.runbook.file,
    values.config as string | undefined,
    io,
    registry,
  );
  checkPlanMatches(thePlan, loaded);
  const out = (values.out as string | undefined) ?? loaded.config.out ?? DEFAULT_OUT;
  const planSha256 = sha256(canonical);
  const earlier = await earlierApplication(resolve(io.cwd, out), planSha256, thePlan.account);
  if (earlier) return alreadyApplied(earlier, { io, mode, out, configFile: loaded.config.file });
  // Inputs answered at a prompt when the plan was made are in the plan, not in the config: apply with them.
  if (trusted) reuseRecordedInputs(loaded, thePlan.inputs);
  const credentials = requireCredentials(given);
  if (credentials.apiKey !== thePlan.account) {
    throw new UsageError(
      `the plan is for account ${thePlan.account}, but VONAGE_API_KEY is ${credentials.apiKey}`,
      "set the credentials of the planned account, or make a new plan",
    );
  }
  return runLoadedRunbook(
    { values, io, mode, registry, loaded, credentials, out },
    // Asked before the run has a journal: nothing was changed, so there is nothing to resume.
    () => "nothing was changed: run the same command again",
    { dryRun: false, savedPlan: thePlan, savedPlanSha256: planSha256, savedPlanTrusted: trusted },
  );
}

/** A saved plan applies only to the runbook file and the config it was made with, as they are now. */
function checkPlanMatches(thePlan: Plan, loaded: Loaded): void {
  if (loaded.runbookHash !== thePlan.runbook.hash) {
    throw new UsageError(
      `the runbook ${thePlan.runbook.file} changed since the plan was made`,
      "make a new plan with `vonage-ir plan --save`",
    );
  }
  if (loaded.configHash !== thePlan.configHash) {
    throw new UsageError(
      "the config differs from the one the plan was made with",
      "pass the same --config, or make a new plan",
    );
  }
}

/**
 * A plan is applied once: if a run of the out directory applied it and ended well, says so (exit 0); if that run
 * did not end well, refuses and points at its resume.
 */
function alreadyApplied(
  earlier: { runId: string; ended: { status: string; exitCode: number } | undefined },
  where: { io: CliIo; mode: Mode; out: string; configFile: string | undefined },
): number {
  const { io, mode, out } = where;
  const location = { configFile: where.configFile, out };
  if (earlier.ended?.exitCode === ExitCode.ok) {
    const report = join(resolve(io.cwd, out), earlier.runId, "report.md");
    reportersFor(mode, io).events.emit({
      kind: "info",
      message: `already applied: run ${earlier.runId}, report ${report} (a plan is applied once; nothing was changed now)\nprint the report: ${printedReport(io, earlier.runId, out)}`,
    });
    return ExitCode.ok;
  }
  throw new DriftError(
    `this plan was already applied by run ${earlier.runId}, which ${earlier.ended ? `ended ${earlier.ended.status} (exit ${earlier.ended.exitCode})` : "did not finish"}: a plan is applied once (nothing was changed now)`,
    `continue that run: ${printedResume(io, earlier.runId, location)}`,
  );
}

/** The run that already applied this very plan (same sha256, same account) in the out directory, if any. */
async function earlierApplication(
  outDir: string,
  planSha256: string,
  account: string,
): Promise<{ runId: string; ended: { status: string; exitCode: number } | undefined } | undefined> {
  const header = (await readRunHeaders(outDir)).find(
    (h) => h.savedPlanSha256 === planSha256 && h.account === account,
  );
  if (!header) return undefined;
  const state = await readJournal(join(outDir, header.runId, "journal.jsonl"));
  // The last end record: a resumed run ends once per attempt.
  return { runId: header.runId, ended: state.ended };
}
