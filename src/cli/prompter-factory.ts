// The prompter for a mode: the injected one (tests), Inquirer on a terminal, none when scripted.
import type { Prompter } from "../io/prompter.js";
import type { CliIo } from "./io.js";
import type { Mode } from "./io.js";

export async function createPrompter(
  mode: Mode,
  io: CliIo,
  resumeHint: () => string,
): Promise<Prompter | undefined> {
  if (!mode.interactive) return undefined;
  if (io.prompter) return io.prompter;
  const { createInquirerPrompter } = await import("../io/inquirer-prompter.js");
  return createInquirerPrompter({ input: io.stdin, output: io.stderr, resumeHint });
}
