// What each command is, as data: name, summary, usage, options with one-line descriptions, the exit codes it
// uses. `--help`, shell completion and argv parsing read this table; the code of a command is in
// commands/<name>.ts, which only main.ts loads (lazily, so `--help` loads none of it).
import type { CommandSpec, OptionSpecs } from "./command.js";
import { SHELLS } from "./completion.js";

export const HELP: OptionSpecs = {
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
export const EXIT = {
  0: "done",
  1: "a step failed (the run is resumable: vonage-ir run --resume <run-id>)",
  2: "usage or validation error, or credentials rejected / host unreachable while planning (nothing was changed)",
  3: "automated work done, something needs a person (manual steps, or a suspect secret found on re-verification)",
  4: "refused: live state drifted from the plan, or another run holds the account's lock",
  130: "aborted by the operator (journal consistent, resumable)",
} as const;

const USAGE_ONLY = { 0: "done", 2: "usage error" } as const;

export const COMMAND_SPECS: CommandSpec[] = [
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
  },
  {
    name: "apply",
    summary: "apply exactly a saved plan; each change's precondition is re-checked (drift → exit 4)",
    usage: "vonage-ir apply <plan.json> [--config FILE] [--yes] [--json] [--out DIR]",
    options: { ...runOptions, ...TRAIL },
    positionals: "file",
    exitCodes: EXIT,
  },
  {
    name: "list",
    summary: "list the shipped runbooks (with their steps) and the actions (with their params)",
    usage: "vonage-ir list [--json]",
    options: { json: { type: "boolean", description: "print one JSON document" } },
    exitCodes: USAGE_ONLY,
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
  },
  {
    name: "report",
    summary: "re-render a run's incident report from its journal (markdown, or --json)",
    usage: "vonage-ir report <run-id> [--out DIR] [--json]",
    options: { ...OUT, json: { type: "boolean", description: "print report.json instead of markdown" } },
    positionals: "run-id",
    exitCodes: { 0: "done", 2: "no such run, a corrupt journal, or a usage error" },
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
  },
  {
    name: "completion",
    summary: "print a shell completion script (bash or zsh)",
    usage: 'vonage-ir completion bash|zsh     (e.g. eval "$(vonage-ir completion bash)" in ~/.bashrc)',
    options: {},
    positionals: SHELLS,
    exitCodes: USAGE_ONLY,
  },
];
