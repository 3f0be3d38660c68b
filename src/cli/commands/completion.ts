// `vonage-ir completion bash|zsh`: prints a shell completion script for every command in the table.
import { ExitCode, UsageError } from "../../core/errors.js";
import { COMMAND_SPECS } from "../command-specs.js";
import type { Values } from "../command.js";
import { completionScript, SHELLS } from "../completion.js";
import { suggestion } from "../did-you-mean.js";
import type { CliIo } from "../io.js";

export default async function completion(
  { positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [shell, ...extra] = positionals;
  if (shell === undefined || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell))
    throw new UsageError(
      shell === undefined ? "completion needs a shell" : `no completion for "${positionals.join(" ")}"`,
      `usage: vonage-ir completion ${SHELLS.join("|")}${suggestion(shell, SHELLS)}`,
    );
  const { shippedRunbookIds } = await import("../session.js");
  io.stdout.write(
    completionScript(shell as (typeof SHELLS)[number], COMMAND_SPECS, { runbookIds: shippedRunbookIds() }),
  );
  return ExitCode.ok;
}
