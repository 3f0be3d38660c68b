// The command-line entry: parses argv, runs one command, and is the single place where errors become text
// and exit codes. Commands are data (name, summary, options, exit codes, run; see command.ts) and load their
// heavy parts lazily, so `--help`, `list` and `validate` never load the SDK, Inquirer or listr2.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ExitCode, UsageError, VonageIrError, diskProblemOf, messageOf } from "../core/errors.js";
import { terminalText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import type { Command, OptionSpecs, Values } from "./command.js";
import { completionScript, SHELLS } from "./completion.js";
import { nearest } from "./did-you-mean.js";
import { processIo, type CliIo } from "./io.js";

const HELP: OptionSpecs = {
  help: { type: "boolean", short: "h", description: "show this help" },
};

const CONFIG: OptionSpecs = {
  config: {
    type: "string",
    short: "c",
    value: "FILE",
    description: "the config file (inputs, attestations, out, concurrency)",
    complete: "file",
  },
};

const OUT: OptionSpecs = {
  out: {
    type: "string",
    short: "o",
    value: "DIR",
    description: "the out directory that holds the runs (default ./vonage-ir-runs)",
    complete: "dir",
  },
};

const JSON_OUTPUT: OptionSpecs = {
  json: { type: "boolean", description: "one JSON event per line on stdout; never prompts" },
};

const SECRET_STDIN: OptionSpecs = {
  "secret-stdin": {
    type: "boolean",
    description: "read the API secret from the first line of stdin instead of VONAGE_API_SECRET",
  },
};

const FULL: OptionSpecs = {
  full: {
    type: "boolean",
    description: "list every change of a long list in the plan (default: the first 10)",
  },
};

const runOptions: OptionSpecs = {
  ...CONFIG,
  ...OUT,
  yes: {
    type: "boolean",
    short: "y",
    description: "unattended: never prompt (decisions come from the config)",
  },
  ...JSON_OUTPUT,
  ...SECRET_STDIN,
  ...FULL,
  concurrency: {
    type: "string",
    value: "N",
    description: "changes applied at once within a step, 1-64 (default 8)",
  },
  "break-lock": {
    type: "boolean",
    description: "take over the account's lock held by a run that is gone (another machine)",
  },
};

/** Who runs it and who hears about it: for the commands that write a journal. */
const TRAIL: OptionSpecs = {
  operator: {
    type: "string",
    value: "NAME",
    description:
      "your name or email, journaled on every record (or VONAGE_IR_OPERATOR; else asked in a terminal)",
  },
  "notify-url": {
    type: "string",
    value: "URL",
    description:
      "POST the run's events to this URL (a secret: prefer VONAGE_IR_NOTIFY_URL or notify.url in the config)",
  },
};

/** What each exit code means where it is not said otherwise (the README's table). */
const EXIT = {
  0: "done",
  1: "a step failed (the run is resumable: vonage-ir run --resume <run-id>)",
  2: "usage or validation error, or credentials rejected / host unreachable while planning (nothing was changed)",
  3: "automated work done, something needs a person (manual steps, or a suspect secret found on re-verification)",
  4: "refused: live state drifted from the plan, or another run holds the account's lock",
  130: "aborted by the operator (journal consistent, resumable)",
} as const;

const USAGE_ONLY = { 0: "done", 2: "usage error" } as const;

const lazy =
  (load: () => Promise<{ default: Command["run"] }>): Command["run"] =>
  async (args, io) =>
    (await load()).default(args, io);

export const commands: Command[] = [
  {
    name: "run",
    summary: "run a runbook (interactive on a terminal; scripted with --yes, in CI or with --json)",
    usage:
      "vonage-ir run <runbook id or file> [--config FILE] [--dry-run] [--yes] [--json] [--out DIR]\n       vonage-ir run --resume <run-id>|latest [--config FILE] [--out DIR]",
    options: {
      ...runOptions,
      ...TRAIL,
      "dry-run": {
        type: "boolean",
        description: "print the plan (a diff per step); send no mutating request",
      },
      "accept-broken-journal": {
        type: "boolean",
        description: "resume although verify-journal finds the journal's hash chain broken (journaled)",
      },
      resume: {
        type: "string",
        value: "RUN-ID",
        description:
          "continue an interrupted or pending run (`latest`: this account's newest); completed changes are never repeated",
        complete: "run-id",
      },
    },
    positionals: "runbook",
    exitCodes: EXIT,
    run: lazy(() => import("./commands/run.js")),
  },
  {
    name: "plan",
    summary: "plan a runbook against live state without changing anything; --save writes the plan file",
    usage: "vonage-ir plan <runbook id or file> [--config FILE] [--save plan.json] [--json]",
    options: {
      ...runOptions,
      save: {
        type: "string",
        value: "FILE",
        description: "write the plan (versioned, sealed) for `vonage-ir apply`",
        complete: "file",
      },
    },
    positionals: "runbook",
    exitCodes: { 0: EXIT[0], 2: EXIT[2], 130: "aborted by the operator (nothing was changed)" },
    run: lazy(() => import("./commands/plan.js")),
  },
  {
    name: "apply",
    summary: "apply exactly a saved plan; each change's precondition is re-checked (drift → exit 4)",
    usage: "vonage-ir apply <plan.json> [--config FILE] [--yes] [--json] [--out DIR]",
    options: { ...runOptions, ...TRAIL },
    positionals: "file",
    exitCodes: EXIT,
    run: lazy(() => import("./commands/apply.js")),
  },
  {
    name: "list",
    summary: "list the shipped runbooks (with their steps) and the actions (with their params)",
    usage: "vonage-ir list [--json]",
    options: { json: { type: "boolean", description: "print one JSON document" } },
    exitCodes: USAGE_ONLY,
    run: lazy(() => import("./commands/list.js")),
  },
  {
    name: "validate",
    summary: "validate a runbook file (and optionally a config file against it)",
    usage: "vonage-ir validate <runbook id or file> [--config FILE]",
    options: {
      config: { ...CONFIG.config!, description: "also validate this config file against the runbook" },
    },
    positionals: "runbook",
    exitCodes: { 0: "valid", 2: "invalid (each problem as file:line:column path: message) or usage error" },
    run: lazy(() => import("./commands/validate.js")),
  },
  {
    name: "report",
    summary: "re-render a run's incident report from its journal (markdown, or --json)",
    usage: "vonage-ir report <run-id> [--out DIR] [--json]",
    options: { ...OUT, json: { type: "boolean", description: "print report.json instead of markdown" } },
    positionals: "run-id",
    exitCodes: { 0: "done", 2: "no such run, a corrupt journal, or a usage error" },
    run: lazy(() => import("./commands/report.js")),
  },
  {
    name: "verify-journal",
    summary: "check a run's hash-chained journal: exit 0 intact, 1 naming the first line that breaks it",
    usage: "vonage-ir verify-journal <run-id>|latest [--out DIR] [--expect SHA256] [--json]",
    options: {
      ...OUT,
      expect: {
        type: "string",
        value: "SHA256",
        description: "the journal hash a copy of the report gives: that record must still be in the journal",
      },
      json: { type: "boolean", description: "print the verdict as one JSON object" },
    },
    details:
      "Each record carries the sha256 of the line before it (the first: 64 zeros). A torn last line (a crash mid-write)\nis ignored; records missing after the last one the run's report.json pinned are not. Journals written before\nthe chain have lines without a hash: they cannot be verified (exit 1, said as such).",
    positionals: "run-id",
    exitCodes: {
      0: "intact",
      1: "broken (the first line that breaks the chain, or the missing tail), or not chained (an older journal)",
      2: "no such run, or a usage error",
    },
    run: lazy(() => import("./commands/verify-journal.js")),
  },
  {
    name: "simulate",
    summary: "start the Vonage simulator on loopback and print the env lines that point vonage-ir at it",
    usage:
      "vonage-ir simulate [--port 0] [--scenario clean|compromised|large] [--state FILE] [--latency MS]\n       [--rate-limit N (default 30, 0 = off)] [--delete-app-with-numbers refuse|orphan]\n       [--unreachable-sms-webhooks N] [--fraud-rule-management] [--reports-unavailable]\n       [--host 127.0.0.1 --allow-non-loopback]",
    options: {
      port: {
        type: "string",
        value: "PORT",
        description: "the port to listen on (default 0: any free port)",
      },
      host: { type: "string", value: "HOST", description: "the address to listen on (default 127.0.0.1)" },
      "allow-non-loopback": { type: "boolean", description: "allow a --host that is not a loopback address" },
      scenario: {
        type: "string",
        value: "NAME",
        description:
          "the account to simulate (default clean: no compromise; compromised for a drill against an attacked account)",
        complete: ["clean", "compromised", "large"],
      },
      state: {
        type: "string",
        value: "FILE",
        description: "load the account from a state file",
        complete: "file",
      },
      latency: { type: "string", value: "MS", description: "added latency per request, in milliseconds" },
      "rate-limit": {
        type: "string",
        value: "N",
        description: "requests per second per API key (default 30; 0: no limit)",
      },
      "delete-app-with-numbers": {
        type: "string",
        value: "MODE",
        description: "deleting an application with linked numbers: refuse, or orphan the numbers",
        complete: ["refuse", "orphan"],
      },
      "unreachable-sms-webhooks": {
        type: "string",
        value: "N",
        description:
          "the first N linked numbers' SMS webhooks answer 503 (a number update that sends them fails)",
      },
      "fraud-rule-management": {
        type: "boolean",
        description: "also model listing and removing Fraud Defender rules (not publicly documented)",
      },
      "reports-unavailable": {
        type: "boolean",
        description: "the account lacks the Reports API (403), as accounts without the product do",
      },
    },
    exitCodes: { 0: "stopped (Ctrl-C)", 2: "usage error (a bad flag, a state file that does not validate)" },
    run: lazy(() => import("./commands/simulate.js")),
  },
  {
    name: "drill",
    summary: "rehearse the compromise runbook against a built-in simulator (the `compromised` scenario)",
    usage: "vonage-ir drill [--dry-run [--full]] [--out DIR] [--json] [--yes]",
    options: {
      ...OUT,
      ...JSON_OUTPUT,
      yes: { type: "boolean", short: "y", description: "unattended: answer from the scenario's config" },
      "dry-run": {
        type: "boolean",
        description: "print the drill's plan against a fresh simulator; send no mutating request",
      },
      ...FULL,
      operator: TRAIL.operator!,
    },
    exitCodes: {
      0: "the drill finished",
      1: "a step failed (a bug: the simulator is the drill's account)",
      2: EXIT[2],
      3: "manual steps left unanswered",
      130: "aborted by the operator",
    },
    run: lazy(() => import("./commands/drill.js")),
  },
  {
    name: "restore",
    summary:
      "reverse what an earlier run did that can be reversed (unsuspend its subaccounts), as a run of its own",
    usage:
      "vonage-ir restore <run-id>|latest [--dry-run] [--yes] [--json] [--out DIR] [--accept-broken-journal]\n       (resume it like any run: vonage-ir run --resume <restore-run-id> --out DIR)",
    options: {
      ...OUT,
      yes: { type: "boolean", short: "y", description: "unattended: never prompt" },
      ...JSON_OUTPUT,
      ...SECRET_STDIN,
      ...FULL,
      "dry-run": {
        type: "boolean",
        description: "print the reversal plan (and what stays irreversible); send no mutating request",
      },
      concurrency: runOptions.concurrency!,
      "break-lock": runOptions["break-lock"]!,
      "accept-broken-journal": {
        type: "boolean",
        description:
          "restore although the run's journal has a broken hash chain (journaled in the restore's plan)",
      },
      ...TRAIL,
    },
    details:
      "Plans from the earlier run's journal: each change it completed is reversed through the API (a suspended\nsubaccount is unsuspended), listed with the exact instruction for a person (auto-reload back on), or listed as\nirreversible (a revoked secret, a replaced key, a deleted application: no credential is ever re-enabled).",
    positionals: "run-id",
    exitCodes: EXIT,
    run: lazy(() => import("./commands/restore.js")),
  },
  {
    name: "export",
    summary: "hand a run to the next responder: one age-encrypted file (journal, evidence, report, secrets)",
    usage:
      "vonage-ir export <run-id> --to FILE --recipient AGE_PUBLIC_KEY [--out DIR] [--config FILE] [--json] [--accept-broken-journal]",
    options: {
      to: {
        type: "string",
        value: "FILE",
        description: "the file to write (never overwritten)",
        complete: "file",
      },
      recipient: {
        type: "string",
        value: "AGE_PUBLIC_KEY",
        description: "the next responder's age public key (age1…, from vonage-ir keygen or age-keygen)",
      },
      ...OUT,
      config: {
        ...CONFIG.config!,
        description: "the run's config, if it moved since the run started (carried in the file)",
      },
      json: { type: "boolean", description: "print one JSON object (file, sha256, recipient) on stdout" },
      "accept-broken-journal": {
        type: "boolean",
        description: "export although the journal's hash chain is broken (journaled in the hand-off record)",
      },
      operator: TRAIL.operator!,
    },
    details:
      "Afterwards this copy of the run is handed off (journaled: to whom, when, the file's sha256): a resume here is\nrefused (exit 4). The file is in age's binary format, encrypted to the recipient only.",
    positionals: "run-id",
    exitCodes: {
      0: "exported; this copy is handed off",
      2: "usage error, an unknown run, an unreadable config, or a broken journal chain (nothing was exported)",
      4: "refused: the run was already handed off, or a run holds the account's lock",
    },
    run: lazy(() => import("./commands/export.js")),
  },
  {
    name: "import",
    summary: "take over a run another responder exported; prints the command that resumes it",
    usage: "vonage-ir import FILE [--identity KEY-FILE] [--out DIR] [--json]   (or the key file on stdin)",
    options: {
      identity: {
        type: "string",
        value: "KEY-FILE",
        description: "your age identity file (default: read from stdin; never the key itself)",
        complete: "file",
      },
      ...OUT,
      json: {
        type: "boolean",
        description: "print one JSON object (run id, directory, resume command) on stdout",
      },
      operator: TRAIL.operator!,
    },
    positionals: "file",
    exitCodes: {
      0: "imported",
      2: "usage error, a file your identity does not open, or a run of that id already there (nothing was imported)",
    },
    run: lazy(() => import("./commands/import.js")),
  },
  {
    name: "keygen",
    summary: "make an age identity for receiving hand-offs; prints its public key",
    usage: "vonage-ir keygen --to FILE",
    options: {
      to: {
        type: "string",
        value: "FILE",
        description: "where to write the identity (0600, never overwritten)",
        complete: "file",
      },
    },
    exitCodes: USAGE_ONLY,
    run: lazy(() => import("./commands/keygen.js")),
  },
  {
    name: "audit",
    summary: "audit the account's security posture (read-only); --fail-on sets the exit code for CI",
    usage:
      "vonage-ir audit [--since ISO] [--allow-subaccounts k1,k2] [--fail-on high|medium|low] [--secret-max-age-days 365]\n       [--out DIR] [--run RUN-ID] [--json] [--secret-stdin]",
    options: {
      since: {
        type: "string",
        value: "TIME",
        description: "the suspected compromise time: anything created after it is a suspect",
      },
      "allow-subaccounts": {
        type: "string",
        value: "KEYS",
        description: "comma-separated subaccount API keys that are known and expected",
      },
      "fail-on": {
        type: "string",
        value: "SEVERITY",
        description: "exit 1 when a finding at or above this severity exists",
        complete: ["high", "medium", "low"],
      },
      "secret-max-age-days": {
        type: "string",
        value: "DAYS",
        description: "a secret older than this is a finding (default 365)",
      },
      out: {
        ...OUT.out!,
        description: "the out directory whose runs' own changes are listed as theirs, not as suspects",
      },
      run: {
        type: "string",
        value: "RUN-ID",
        description: "only this run's changes are its own (default: every run of the account in --out)",
        complete: "run-id",
      },
      ...JSON_OUTPUT,
      ...SECRET_STDIN,
    },
    details:
      "Sends only reads (the gateway refuses writes). Lists findings by severity, then the checks to verify manually,\nthen the audit events that vonage-ir runs in --out caused (matched to their journals: done by vonage-ir run ...).",
    exitCodes: {
      0: "no finding at or above --fail-on (always 0 without it)",
      1: "a finding at or above --fail-on",
      2: "usage error, or credentials rejected / host unreachable",
    },
    run: lazy(() => import("./commands/audit.js")),
  },
  {
    name: "verify-callback",
    summary:
      "verify a captured signed callback (JWT + body) or signed request (sig); exit 0 valid, 1 invalid",
    usage:
      "vonage-ir verify-callback --body-file F (--token T | --header 'Bearer ...') [--api-key K] [--application-id A]\n       [--tolerance S] [--now UNIX_SECONDS] [--json] [--secret-stdin]\n       vonage-ir verify-callback --sig-params FILE.json --algorithm md5hash|md5hmac|sha1hmac|sha256hmac|sha512hmac\n       [--allow-no-timestamp]",
    options: {
      "body-file": {
        type: "string",
        value: "FILE",
        description: "the callback's body, exactly as received (hashed as raw bytes)",
        complete: "file",
      },
      token: {
        type: "string",
        value: "JWT",
        description: "the callback's JWT (from its Authorization header)",
      },
      header: {
        type: "string",
        value: "VALUE",
        description: "the whole Authorization header ('Bearer ...')",
      },
      "api-key": { type: "string", value: "KEY", description: "require this api_key claim" },
      "application-id": { type: "string", value: "ID", description: "require this application_id claim" },
      tolerance: { type: "string", value: "SECONDS", description: "how old a callback may be (default 300)" },
      now: { type: "string", value: "UNIX_SECONDS", description: "check freshness as of this time" },
      "sig-params": {
        type: "string",
        value: "FILE",
        description: "a signed request's parameters as a JSON object (instead of a JWT)",
        complete: "file",
      },
      algorithm: {
        type: "string",
        value: "ALG",
        description: "the signed request's signature method",
        complete: ["md5hash", "md5hmac", "sha1hmac", "sha256hmac", "sha512hmac"],
      },
      "allow-no-timestamp": {
        type: "boolean",
        description: "signed requests: accept one without a timestamp (no freshness check is possible)",
      },
      ...JSON_OUTPUT,
      "secret-stdin": {
        type: "boolean",
        description: "read the signature secret from stdin instead of VONAGE_SIGNATURE_SECRET",
      },
    },
    details:
      "The signature secret comes from VONAGE_SIGNATURE_SECRET or, with --secret-stdin, the first line of stdin; never from a flag.\nPrints `valid` and the claims, or `invalid: <reason>: <message>`.",
    exitCodes: { 0: "valid", 1: "invalid", 2: "usage error" },
    run: lazy(() => import("./commands/verify-callback.js")),
  },
  {
    name: "completion",
    summary: "print a shell completion script (bash or zsh)",
    usage: 'vonage-ir completion bash|zsh     (e.g. eval "$(vonage-ir completion bash)" in ~/.bashrc)',
    options: {},
    positionals: SHELLS,
    exitCodes: USAGE_ONLY,
    run: async ({ positionals }, io) => {
      const [shell, ...extra] = positionals;
      if (shell === undefined || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(
          shell === undefined ? "completion needs a shell" : `no completion for "${positionals.join(" ")}"`,
          `usage: vonage-ir completion ${SHELLS.join("|")}${suggestion(shell, SHELLS)}`,
        );
      const { shippedRunbookIds } = await import("./session.js");
      io.stdout.write(
        completionScript(shell as (typeof SHELLS)[number], commands, { runbookIds: shippedRunbookIds() }),
      );
      return ExitCode.ok;
    },
  },
];

export const EXIT_CODES_HELP = exitCodesHelp(EXIT);

export const ENV_HELP = `Environment:
  VONAGE_API_KEY, VONAGE_API_SECRET   credentials (or --secret-stdin: the secret on the first line of stdin)
  VONAGE_API_HOST, VONAGE_REST_HOST   API hosts (default https://api.nexmo.com, https://rest.nexmo.com)
  CI                                  set (and not false, 0, no or off): never prompt (like --yes)
  NO_COLOR                            set: no colours
  VONAGE_IR_STATE_DIR                 the account locks and the plan seal key (default ~/.local/state/vonage-ir)
  VONAGE_IR_OPERATOR                  your name or email, journaled on every record (like --operator)
  VONAGE_IR_NOTIFY_URL                where a run POSTs its events (like --notify-url; the URL is a secret)`;

function exitCodesHelp(codes: Command["exitCodes"]): string {
  const lines = Object.entries(codes).map(([code, meaning]) => `  ${code.padEnd(4)} ${meaning}`);
  return `Exit codes:\n${lines.join("\n")}`;
}

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "vonage-ir: contain a compromised Vonage API account, as a logged, resumable, dry-runnable runbook.",
    "",
    "Usage: vonage-ir <command> [options]   (vonage-ir help <command> for a command's options)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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

export function commandHelp(command: Command): string {
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

function suggestion(word: string | undefined, candidates: readonly string[], prefix = ""): string {
  const near = word === undefined ? undefined : nearest(word, candidates);
  return near === undefined ? "" : `; did you mean \`${prefix}${near}\`?`;
}

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
