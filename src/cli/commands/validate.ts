// `vonage-ir validate <runbook> [--config FILE]`: the file:line:path errors, or "ok". Changes nothing.
import { relative } from "node:path";
import { ExitCode } from "../../core/errors.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { completeInputs, loadRunbookAndConfig, takeCredentials } from "../session.js";
import { createShippedRegistry } from "../shipped-registry.js";
import { UsageError } from "../../core/errors.js";
import { checkStepParams } from "../../engine/plan.js";

export default async function validate(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length === 0 && !values.config)
    throw new UsageError("which runbook?", "usage: vonage-ir validate <runbook id or file> [--config FILE]");
  if (positionals.length > 1) throw new UsageError(`expected one runbook, got: ${positionals.join(" ")}`);
  // Never used, only registered: a secret of the environment pasted into the file is redacted from the errors.
  await takeCredentials({}, io);
  // The same load (and so the same rules, dated against now as a new run would be) as `run`, `plan` and `apply`.
  const { loaded, config } = await loadRunbookAndConfig(
    positionals[0],
    values.config as string | undefined,
    io,
    createShippedRegistry(),
  );
  // An unattended run refuses a config without every required input: so does validate (a run in a terminal
  // would ask, but "ok" must mean the config runs as it is).
  if (config.file) {
    const registry = createShippedRegistry();
    checkStepParams(loaded, registry, await completeInputs(loaded.runbook, config, undefined, config.file));
  }
  const file = relative(io.cwd, loaded.source.file) || loaded.source.file;
  io.stdout.write(
    `ok: ${file}: runbook ${loaded.runbook.id} v${loaded.runbook.version}, ${loaded.runbook.steps.length} steps\n`,
  );
  if (config.file)
    io.stdout.write(
      `ok: ${relative(io.cwd, config.file) || config.file}: ${Object.keys(config.values).length} input(s), ${Object.keys(config.attest).length} attestation(s)\n`,
    );
  return ExitCode.ok;
}
