// The command-line entry: parses argv, runs one command, and is the single place where errors become text
// and exit codes. What each command is lives in command-specs.ts (data) and its code in commands/<name>.ts,
// loaded lazily from here only, so `--help`, `list` and `validate` never load the SDK, Inquirer or listr2.
import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  ExitCode,
  InternalError,
  UsageError,
  VonageIrError,
  diskProblemOf,
  messageOf,
} from "../core/errors.js";
import { terminalText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import type { Command, OptionSpecs, Values } from "./command.js";
import { COMMAND_SPECS, HELP } from "./command-specs.js";
import { nearest } from "./did-you-mean.js";
import { commandHelp, helpText } from "./help.js";
import { processIo, type CliIo } from "./io.js";

/** The only place that loads a command's code: lazily, so `--help`, `list` and `validate` load only their own. */
const LOADERS: Record<string, () => Promise<{ default: Command["run"] }>> = {
  run: () => import("./commands/run.js"),
  plan: () => import("./commands/plan.js"),
  apply: () => import("./commands/apply.js"),
  list: () => import("./commands/list.js"),
  validate: () => import("./commands/validate.js"),
  report: () => import("./commands/report.js"),
  "verify-journal": () => import("./commands/verify-journal.js"),
  simulate: () => import("./commands/simulate.js"),
  drill: () => import("./commands/drill.js"),
  restore: () => import("./commands/restore.js"),
  export: () => import("./commands/export.js"),
  import: () => import("./commands/import.js"),
  keygen: () => import("./commands/keygen.js"),
  audit: () => import("./commands/audit.js"),
  "verify-callback": () => import("./commands/verify-callback.js"),
  completion: () => import("./commands/completion.js"),
};

export const commands: Command[] = COMMAND_SPECS.map((spec) => {
  const load = LOADERS[spec.name];
  if (!load) throw new InternalError(`command ${spec.name} has no loader in main.ts`);
  return { ...spec, run: async (args, io) => (await load()).default(args, io) };
});

function findCommand(name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  const near = nearest(
    name,
    commands.map((c) => c.name),
  );
  throw new UsageError(
    `unknown command "${name}"${near ? `: did you mean \`${near}\`?` : ""}`,
    "run `vonage-ir --help` for the list of commands",
  );
}

/**
 * Unknown flags, with the nearest known one. parseArgs alone reads `-dry-run` as the short flags `-d -r -y …`
 * and names only `-d`; the operator meant `--dry-run`, so single-dash words are checked first.
 */
function checkFlags(command: Command, args: readonly string[]): void {
  const options = { ...command.options, ...HELP };
  const names = Object.keys(options);
  const shorts = new Set(Object.values(options).flatMap((spec) => (spec.short ? [spec.short] : [])));
  for (const arg of args) {
    if (arg === "--") return;
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0] ?? "";
      if (name && !names.includes(name)) throw unknownFlag(command, `--${name}`, name, names);
    } else if (/^-[A-Za-z][\w-]+/.test(arg)) {
      const word = arg.slice(1).split("=")[0] ?? "";
      const shortGroup = [...word].every((letter) => shorts.has(letter));
      if (!shortGroup) throw unknownFlag(command, `-${word}`, word, names);
    }
  }
}

/**
 * `--secret-stdin` typed in a terminal: stdin would be the keyboard (echoing the secret), and the walkthrough
 * needs it for its questions. Refused before anything else, with the ways that work.
 */
function secretStdinOnTerminal(command: string): UsageError {
  const signature = command === "verify-callback";
  const variable = signature ? "VONAGE_SIGNATURE_SECRET" : "VONAGE_API_SECRET";
  const unattended = command === "run" || command === "apply";
  return new UsageError(
    `--secret-stdin reads the ${signature ? "signature secret" : "API secret"} from a pipe, but stdin is this terminal${signature ? "" : ", which the walkthrough needs for its questions"}`,
    [
      "to proceed, either:",
      `    read -rs ${variable} && export ${variable}   (type or paste it, not echoed; then run without --secret-stdin)`,
      `    vonage-ir ${command} ... --secret-stdin < secret.txt   (pipe it from a file${unattended ? "; with --yes and a --config that holds the decisions, as nothing can be asked" : ""})`,
    ].join("\n  "),
  );
}

function unknownFlag(command: Command, flag: string, name: string, names: string[]): UsageError {
  const near = names.includes(name) ? name : nearest(name, names);
  return new UsageError(
    `unknown option '${flag}' for \`vonage-ir ${command.name}\`${near ? `: did you mean \`--${near}\`?` : ""}`,
    `usage: ${command.usage}   (vonage-ir help ${command.name} for every option)`,
  );
}

function parseOptions(options: OptionSpecs): NonNullable<ParseArgsConfig["options"]> {
  return Object.fromEntries(
    Object.entries({ ...options, ...HELP }).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
}

/** Runs one command and returns its exit code; never throws, never exits. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h") {
      io.stdout.write(helpText());
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (name === "help") {
      const [topic] = rest;
      io.stdout.write(topic === undefined ? helpText() : commandHelp(findCommand(topic)));
      return ExitCode.ok;
    }
    if (name === "--version" || name === "-v") {
      const { readFile } = await import("node:fs/promises");
      const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string;
      };
      io.stdout.write(`${pkg.version}\n`);
      return ExitCode.ok;
    }
    const command = findCommand(name);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    checkFlags(command, rest);
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        options: parseOptions(command.options),
        allowPositionals: true,
        strict: true,
      }) as {
        values: Values;
        positionals: string[];
      };
    } catch (error) {
      throw new UsageError(
        messageOf(error).replace(/\. To specify a positional.*$/s, ""),
        `usage: ${command.usage}`,
      );
    }
    for (const [flag, spec] of Object.entries(command.options)) {
      // `--out "$DIR"` with an empty variable must not mean the current directory (or no config at all).
      const value = parsed.values[flag];
      if (
        (spec.complete === "file" || spec.complete === "dir") &&
        typeof value === "string" &&
        value.trim() === ""
      )
        throw new UsageError(`--${flag} needs a path, not an empty string`, `usage: ${command.usage}`);
    }
    if (parsed.values["secret-stdin"] === true && io.stdin.isTTY) throw secretStdinOnTerminal(command.name);
    return await command.run(parsed, io);
  } catch (error) {
    return reportError(error, io, argv.includes("--json"));
  }
}

/** A backstop: every foreign part of a message is bounded where it is built; a message of many parts is not. */
const MAX_ERROR_TEXT = 20_000;

export function reportError(error: unknown, io: CliIo, json: boolean): number {
  const known = error instanceof VonageIrError;
  const disk = known ? undefined : diskProblemOf(error);
  const exitCode = known ? error.exitCode : ExitCode.stepFailed;
  // Redacted before it is cut (a cut secret no longer matches); bounded whatever foreign text reached it.
  const message = terminalText(
    redactText(
      known ? error.message : disk ? `${disk}: ${messageOf(error)}` : `unexpected error: ${messageOf(error)}`,
    ),
    MAX_ERROR_TEXT,
  );
  const hint = terminalText(
    redactText(
      known
        ? (error.hint ?? "")
        : disk
          ? "free space on the disk, then run the command again (a run that had started resumes with: vonage-ir run --resume <run-id>)"
          : "this is a bug in vonage-ir: please report it with the journal (it holds no secrets)",
    ),
    MAX_ERROR_TEXT,
  );
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ v: 1, ts: new Date().toISOString(), kind: "error", message, hint: hint || undefined, exitCode })}\n`,
    );
  }
  io.stderr.write(`error: ${message}\n${hint ? `  ${hint}\n` : ""}`);
  return exitCode;
}

/** The process entry (bin/vonage-ir.js): signals → abort, exit code → process exit. */
export async function runCli(argv: string[]): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      const changing = ["run", "apply", "drill", "restore"].includes(argv[0] ?? "");
      process.stderr.write(
        `\n${signal}: ${changing ? "finishing the change in flight, then stopping" : "stopping"} (again to stop at once)…\n`,
      );
      controller.abort(signal);
    } else {
      // The journal's intent records are durable: a resume reconciles whatever was in flight.
      process.exit(ExitCode.aborted);
    }
  };
  // Library debug channels (the `debug` package the Vonage SDK logs through) print requests with their
  // Authorization header and bodies with new secrets. DEBUG is removed, not filtered, and the SDK's namespaces
  // are not disabled programmatically: `debug` reads the variable once, when it loads, in every copy of it (each
  // SDK package may resolve its own, a future dependency may bring another), and patterns such as `*`, `v*` or
  // `*,-foo` enable namespaces no filter can foresee. This runs before any library is loaded (they are imported
  // lazily), so no copy ever sees it, and no child process inherits it.
  // Node's own debug channels (NODE_DEBUG=http, fetch, ...) print request headers, Authorization included. Node
  // reads NODE_DEBUG before any of our code runs, so it cannot be removed here like DEBUG: refuse to run.
  if (process.env.NODE_DEBUG?.trim()) {
    process.stderr.write(
      "error: NODE_DEBUG is set, and Node's debug output would print credentials (the Authorization header)\n  unset NODE_DEBUG and run again\n",
    );
    process.exit(ExitCode.usage);
  }
  if (process.env.DEBUG !== undefined) {
    if (process.env.DEBUG.trim() !== "") {
      process.stderr.write("warning: DEBUG is ignored (library debug output can contain credentials)\n");
    }
    delete process.env.DEBUG;
  }
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const code = await main(argv, processIo(controller.signal));
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
