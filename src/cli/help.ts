// The text of `--help` and `vonage-ir help <command>`, built from the command table (command-specs.ts).
import type { CommandSpec, OptionSpecs } from "./command.js";
import { COMMAND_SPECS, EXIT, HELP } from "./command-specs.js";

export const EXIT_CODES_HELP = exitCodesHelp(EXIT);

export const ENV_HELP = `Environment:
  VONAGE_API_KEY, VONAGE_API_SECRET   credentials (or --secret-stdin: the secret on the first line of stdin)
  VONAGE_API_HOST, VONAGE_REST_HOST   API hosts (default https://api.nexmo.com, https://rest.nexmo.com)
  CI                                  set (and not false, 0, no or off): never prompt (like --yes)
  NO_COLOR                            set: no colours
  VONAGE_IR_STATE_DIR                 the account locks and the plan seal key (default ~/.local/state/vonage-ir)
  VONAGE_IR_OPERATOR                  your name or email, journaled on every record (like --operator)
  VONAGE_IR_NOTIFY_URL                where a run POSTs its events (like --notify-url; the URL is a secret)`;

function exitCodesHelp(codes: CommandSpec["exitCodes"]): string {
  const lines = Object.entries(codes).map(([code, meaning]) => `  ${code.padEnd(4)} ${meaning}`);
  return `Exit codes:\n${lines.join("\n")}`;
}

export function helpText(): string {
  const width = Math.max(...COMMAND_SPECS.map((c) => c.name.length));
  return [
    "vonage-ir: contain a compromised Vonage API account, as a logged, resumable, dry-runnable runbook.",
    "",
    "Usage: vonage-ir <command> [options]   (vonage-ir help <command> for a command's options)",
    "",
    "Commands:",
    ...COMMAND_SPECS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  --help, -h     show this help (after a command: that command's help)",
    "  --version, -v  print the version",
    "",
    "Start here: vonage-ir drill   (a rehearsal against the built-in simulator, no account needed)",
    "",
    EXIT_CODES_HELP,
    "",
    ENV_HELP,
    "",
  ].join("\n");
}

function optionHelp(options: OptionSpecs): string {
  const entries = Object.entries({ ...options, ...HELP }).map(([name, spec]) => {
    const flag = `--${name}${spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""}${spec.short ? `, -${spec.short}` : ""}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join("\n");
}

export function commandHelp(command: CommandSpec): string {
  return [
    command.summary,
    "",
    `Usage: ${command.usage}`,
    ...(command.details ? ["", command.details] : []),
    "",
    "Options:",
    optionHelp(command.options),
    "",
    exitCodesHelp(command.exitCodes),
    "",
  ].join("\n");
}
