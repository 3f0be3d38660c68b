// The command-line entry: parses argv, runs one command, and is the single place where errors become text
// and exit codes. Commands are data (name, summary, options, run) and load their heavy parts lazily, so
// `--help`, `list` and `validate` never load the SDK, Inquirer or listr2.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ExitCode, UsageError, VonageIrError, messageOf } from "../engine/errors.js";
import { redactText } from "../io/redact.js";
import { processIo, type CliIo } from "./io.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Options;
  /** Longer help: what it does, examples. */
  details?: string;
  run(args: { values: Values; positionals: string[] }, io: CliIo): Promise<number>;
}

const common: Options = {
  help: { type: "boolean", short: "h" },
};

const runOptions: Options = {
  config: { type: "string", short: "c" },
  out: { type: "string", short: "o" },
  yes: { type: "boolean", short: "y" },
  json: { type: "boolean" },
  "secret-stdin": { type: "boolean" },
  concurrency: { type: "string" },
  "break-lock": { type: "boolean" },
};

const lazy =
  (load: () => Promise<{ default: Command["run"] }>): Command["run"] =>
  async (args, io) =>
    (await load()).default(args, io);

export const commands: Command[] = [
  {
    name: "run",
    summary: "run a runbook (interactive on a terminal; scripted with --yes, in CI or with --json)",
    usage:
      "vonage-ir run <runbook id or file> [--config FILE] [--dry-run] [--yes] [--json] [--out DIR]\n       vonage-ir run --resume <run-id> [--config FILE] [--out DIR]",
    options: { ...runOptions, "dry-run": { type: "boolean" }, resume: { type: "string" } },
    details:
      "--dry-run prints the plan (a diff per step) and sends no mutating request.\n--resume continues an interrupted or pending run: completed changes are never repeated.",
    run: lazy(() => import("./commands/run.js")),
  },
  {
    name: "plan",
    summary: "plan a runbook against live state without changing anything; --save writes the plan file",
    usage: "vonage-ir plan <runbook id or file> [--config FILE] [--save plan.json] [--json]",
    options: { ...runOptions, save: { type: "string" } },
    run: lazy(() => import("./commands/plan.js")),
  },
  {
    name: "apply",
    summary: "apply exactly a saved plan; each change's precondition is re-checked (drift → exit 4)",
    usage: "vonage-ir apply <plan.json> [--config FILE] [--yes] [--json] [--out DIR]",
    options: runOptions,
    run: lazy(() => import("./commands/apply.js")),
  },
  {
    name: "list",
    summary: "list the shipped runbooks (with their steps) and the actions (with their params)",
    usage: "vonage-ir list [--json]",
    options: { json: { type: "boolean" } },
    run: lazy(() => import("./commands/list.js")),
  },
  {
    name: "validate",
    summary: "validate a runbook file (and optionally a config file against it)",
    usage: "vonage-ir validate <runbook id or file> [--config FILE]",
    options: { config: { type: "string", short: "c" } },
    run: lazy(() => import("./commands/validate.js")),
  },
  {
    name: "report",
    summary: "re-render a run's incident report from its journal (markdown, or --json)",
    usage: "vonage-ir report <run-id> [--out DIR] [--json]",
    options: { out: { type: "string", short: "o" }, json: { type: "boolean" } },
    run: lazy(() => import("./commands/report.js")),
  },
  {
    name: "simulate",
    summary: "start the Vonage simulator on loopback and print the env lines that point vonage-ir at it",
    usage:
      "vonage-ir simulate [--port 0] [--scenario clean|compromised|large] [--state FILE] [--latency MS]\n       [--rate-limit N (default 30, 0 = off)] [--delete-app-with-numbers refuse|orphan]\n       [--unreachable-sms-webhooks N] [--fraud-rule-management] [--reports-unavailable]\n       [--host 127.0.0.1 --allow-non-loopback]",
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "allow-non-loopback": { type: "boolean" },
      scenario: { type: "string" },
      state: { type: "string" },
      latency: { type: "string" },
      "rate-limit": { type: "string" },
      "delete-app-with-numbers": { type: "string" },
      "unreachable-sms-webhooks": { type: "string" },
      "fraud-rule-management": { type: "boolean" },
      "reports-unavailable": { type: "boolean" },
    },
    run: lazy(() => import("./commands/simulate.js")),
  },
  {
    name: "drill",
    summary: "rehearse the compromise runbook against a built-in simulator (the `compromised` scenario)",
    usage: "vonage-ir drill [--out DIR] [--json] [--yes]",
    options: {
      out: { type: "string", short: "o" },
      json: { type: "boolean" },
      yes: { type: "boolean", short: "y" },
    },
    run: lazy(() => import("./commands/drill.js")),
  },
  {
    name: "audit",
    summary: "audit the account's security posture (read-only); --fail-on sets the exit code for CI",
    usage:
      "vonage-ir audit [--since ISO] [--allow-subaccounts k1,k2] [--fail-on high|medium|low] [--secret-max-age-days 365]\n       [--json] [--secret-stdin]",
    options: {
      since: { type: "string" },
      "allow-subaccounts": { type: "string" },
      "fail-on": { type: "string" },
      "secret-max-age-days": { type: "string" },
      json: { type: "boolean" },
      "secret-stdin": { type: "boolean" },
    },
    details:
      "Sends only reads (the gateway refuses writes). Lists findings by severity, then the checks to verify manually.\n--since ISO: anything created after it (secrets, subaccounts, audit events) is a suspect.\nExit code: 0, or 1 when a finding at or above --fail-on exists (default: none, always 0); 2 on bad flags.",
    run: lazy(() => import("./commands/audit.js")),
  },
  {
    name: "verify-callback",
    summary:
      "verify a captured signed callback (JWT + body) or signed request (sig); exit 0 valid, 1 invalid",
    usage:
      "vonage-ir verify-callback --body-file F (--token T | --header 'Bearer ...') [--api-key K] [--application-id A]\n       [--tolerance S] [--now UNIX_SECONDS] [--json] [--secret-stdin]\n       vonage-ir verify-callback --sig-params FILE.json --algorithm md5hash|md5hmac|sha1hmac|sha256hmac|sha512hmac",
    options: {
      "body-file": { type: "string" },
      token: { type: "string" },
      header: { type: "string" },
      "api-key": { type: "string" },
      "application-id": { type: "string" },
      tolerance: { type: "string" },
      now: { type: "string" },
      "sig-params": { type: "string" },
      algorithm: { type: "string" },
      json: { type: "boolean" },
      "secret-stdin": { type: "boolean" },
    },
    details:
      "The signature secret comes from VONAGE_SIGNATURE_SECRET or, with --secret-stdin, the first line of stdin; never from a flag.\nThe body file is hashed as raw bytes. Prints `valid` and the claims, or `invalid: <reason>: <message>`.\nExit code: 0 valid, 1 invalid, 2 usage.",
    run: lazy(() => import("./commands/verify-callback.js")),
  },
];

export const EXIT_CODES_HELP = `Exit codes:
  0    done
  1    a step failed (the run is resumable: vonage-ir run --resume <run-id>)
  2    usage or validation error, or credentials rejected / host unreachable while planning (nothing was changed)
  3    automated work done, manual steps pending
  4    refused: live state drifted from the plan, or another run holds the account's lock
  130  aborted by the operator (journal consistent, resumable)`;

export const ENV_HELP = `Environment:
  VONAGE_API_KEY, VONAGE_API_SECRET   credentials (or --secret-stdin: the secret on the first line of stdin)
  VONAGE_API_HOST, VONAGE_REST_HOST   API hosts (default https://api.nexmo.com, https://rest.nexmo.com)
  CI                                  set: never prompt (like --yes)
  NO_COLOR                            set: no colours`;

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "vonage-ir: contain a compromised Vonage API account, as a logged, resumable, dry-runnable runbook.",
    "",
    "Usage: vonage-ir <command> [options]   (vonage-ir <command> --help for a command's options)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Start here: vonage-ir drill   (a rehearsal against the built-in simulator, no account needed)",
    "",
    EXIT_CODES_HELP,
    "",
    ENV_HELP,
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const options = Object.entries(command.options)
    .map(
      ([name, spec]) =>
        `  --${name}${spec.type === "string" ? " <value>" : ""}${spec.short ? `, -${spec.short}` : ""}`,
    )
    .join("\n");
  return `${command.summary}\n\nUsage: ${command.usage}\n${command.details ? `\n${command.details}\n` : ""}\nOptions:\n${options}\n  --help, -h\n\n${EXIT_CODES_HELP}\n`;
}

/** Runs one command and returns its exit code; never throws, never exits. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(helpText());
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (name === "--version" || name === "-v") {
      const { readFile } = await import("node:fs/promises");
      const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string;
      };
      io.stdout.write(`${pkg.version}\n`);
      return ExitCode.ok;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) {
      throw new UsageError(`unknown command "${name}"`, "run `vonage-ir --help` for the list of commands");
    }
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...common, ...command.options },
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
    if (parsed.values.help) {
      io.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    return await command.run(parsed, io);
  } catch (error) {
    return reportError(error, io, argv.includes("--json"));
  }
}

export function reportError(error: unknown, io: CliIo, json: boolean): number {
  const known = error instanceof VonageIrError;
  const exitCode = known ? error.exitCode : ExitCode.stepFailed;
  const message = redactText(known ? error.message : `unexpected error: ${messageOf(error)}`);
  const hint = redactText(
    known
      ? (error.hint ?? "")
      : "this is a bug in vonage-ir: please report it with the journal (it holds no secrets)",
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
      const changing = ["run", "apply", "drill"].includes(argv[0] ?? "");
      process.stderr.write(
        `\n${signal}: ${changing ? "finishing the change in flight, then stopping" : "stopping"} (again to stop at once)…\n`,
      );
      controller.abort(signal);
    } else {
      // The journal's intent records are durable: a resume reconciles whatever was in flight.
      process.exit(ExitCode.aborted);
    }
  };
  // The SDK's debug logging prints requests with their Authorization header: never let it run.
  if (process.env.DEBUG && /vonage/i.test(process.env.DEBUG)) {
    process.stderr.write(
      "warning: ignoring DEBUG for the Vonage SDK (its debug output contains credentials)\n",
    );
    process.env.DEBUG = process.env.DEBUG.split(",")
      .filter((d) => !/vonage/i.test(d))
      .join(",");
  }
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const code = await main(argv, processIo(controller.signal));
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
