// `vonage-ir plan <runbook> [--save plan.json]`: reads live state, prints the plan, optionally saves it
// (versioned, with a sha256 over its content so `apply` can refuse a corrupted file, and this user's keyed seal so
// that `apply` replays the answers given here only for a plan this user saved; `apply` re-plans it anyway).
import { resolve } from "node:path";
import { planSeal, planSealKey } from "../plan-seal.js";
import { ExitCode, UsageError, messageOf } from "../../core/errors.js";
import { plan } from "../../engine/plan.js";
import { RunState } from "../../engine/engine-deps.js";
import { readPriorRuns } from "../../engine/read-prior-runs.js";
import { canonicalJson } from "../../runbook/config.js";
import { createDryRunGateway } from "../../vonage/dry-run-gateway.js";
import { reportersFor, summarisePlan } from "../run-reporters.js";
import { systemClock } from "../system-clock.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { printedApply } from "../printed-command.js";
import { createPrompter } from "../prompter-factory.js";
import { createShippedRegistry } from "../shipped-registry.js";
import {
  DEFAULT_OUT,
  buildGateway,
  completeInputs,
  detectMode,
  hostsFromEnv,
  loadRunbookAndConfig,
  requireCredentials,
  takeCredentials,
  planningInput,
  sha256,
} from "../session.js";
import { writePrivateFile } from "../../security/private-file.js";
import { SecretSink } from "../../security/secret-sink.js";
import { silentTaskUi } from "../../io/task-ui.js";

export default async function planCommand(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 1) throw new UsageError(`expected one runbook, got: ${positionals.join(" ")}`);
  const registry = createShippedRegistry();
  const mode = detectMode(values, io, { mutates: false });
  const given = await takeCredentials(values, io);
  const loaded = await loadRunbookAndConfig(
    positionals[0],
    values.config as string | undefined,
    io,
    registry,
  );
  const credentials = requireCredentials(given);
  const prompter = await createPrompter(mode, io, () => "nothing was changed: run the plan again");
  const inputs = await completeInputs(loaded.loaded.runbook, loaded.config, prompter, loaded.config.file);
  const { gateway } = await buildGateway(credentials, hostsFromEnv(io), 8);
  const { events } = reportersFor(mode, io, { full: Boolean(values.full) });
  const guarded = createDryRunGateway(gateway);
  const priorRuns = await readPriorRuns(resolve(io.cwd, loaded.config.out ?? DEFAULT_OUT));
  const thePlan = await planningInput(() =>
    plan(
      {
        loaded: loaded.loaded,
        runbookHash: loaded.runbookHash,
        configHash: loaded.configHash,
        inputs,
        attestations: loaded.config.attest,
      },
      {
        registry,
        gateway: guarded,
        prompter,
        clock: systemClock,
        events,
        ui: silentTaskUi,
        signal: io.signal,
        sink: new SecretSink(resolve(io.cwd, ".unused-sink")),
        runDir: resolve(io.cwd),
        runId: "plan",
        concurrency: 1,
        priorRuns,
      },
      new RunState(guarded),
    ),
  );
  events.emit({ kind: "plan.ready", steps: summarisePlan(thePlan) });
  const save = values.save as string | undefined;
  if (save) {
    const canonical = canonicalJson(thePlan);
    const key = await planSealKey(io, true);
    const file = {
      ...thePlan,
      sha256: sha256(canonical),
      ...(key ? { hmac: planSeal(key, canonical) } : {}),
    };
    const path = resolve(io.cwd, save);
    try {
      // A new file of ours renamed into place: an existing file (someone else's, or a symlink) is replaced,
      // never reused with its owner and permissions, nor followed.
      await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`, { privateParent: false });
    } catch (error) {
      throw new UsageError(
        `cannot write the plan to ${path}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`,
        "pass a --save path in an existing, writable directory (nothing was changed)",
      );
    }
    events.emit({
      kind: "info",
      message: `Plan saved to ${save}: apply exactly this plan with: ${printedApply(io, path, {
        configFile: loaded.config.file,
        out: resolve(io.cwd, loaded.config.out ?? DEFAULT_OUT),
      })}`,
    });
  }
  return ExitCode.ok;
}
