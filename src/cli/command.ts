// What a command is: data (name, summary, options with one-line descriptions, the exit codes it uses) and a run
// function. Kept apart from main.ts so that commands import these types without importing the entry point.
import type { CliIo } from "./io.js";

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** One line for `--help`. */
  description: string;
  /** The value's placeholder in `--help` (`--out DIR`); string options only. */
  value?: string;
  /** What shell completion offers for the value: files, directories, or a fixed list. */
  complete?: "file" | "dir" | "run-id" | readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpecs;
  /** Longer help: what it does, examples. */
  details?: string;
  /** The exit codes this command can end with, with their meaning here (shown by its `--help`). */
  exitCodes: Readonly<Partial<Record<number, string>>>;
  /** What shell completion offers for positional arguments. */
  positionals?: "runbook" | "file" | "run-id" | readonly string[];
  run(args: { values: Values; positionals: string[] }, io: CliIo): Promise<number>;
}

/** A command as the table describes it (command-specs.ts): everything but its code. */
export type CommandSpec = Omit<Command, "run">;
