// The pieces every runbook command assembles: where runbooks live, loading runbook + config, the mode
// (interactive or scripted), credentials from env or stdin (never argv), and the gateway.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Registry } from "../actions/action.js";
import { UsageError, ValidationError, VonageApiError } from "../core/errors.js";
import type { Prompter } from "../io/prompter.js";
import { registerApiKey, registerSecret } from "../core/redact.js";
import {
  configRunbook,
  emptyConfig,
  inputValueSchema,
  readConfigSource,
  resolveInputs,
  validateConfig,
  type ConfigTime,
  type RunConfig,
} from "../runbook/config.js";
import { parseInstant } from "../runbook/parse-instant.js";
import { loadRunbookFile, type LoadedRunbook } from "../runbook/load-runbook.js";
import type { Runbook } from "../runbook/schema.js";
import type { Credentials, Gateway } from "../vonage/gateway.js";
import type { CliIo, Mode } from "./io.js";
import { createPrompter } from "./prompter-factory.js";
import type { Values } from "./command.js";
import { nearest } from "./did-you-mean.js";

export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const RUNBOOK_DIR = resolve(PACKAGE_ROOT, "runbooks");
export const DEFAULT_OUT = "vonage-ir-runs";

/** A runbook argument is a file path when it looks like one, else the id of a shipped runbook. */
export function resolveRunbookPath(arg: string, cwd: string): string {
  if (/\.ya?ml$/i.test(arg) || arg.includes("/") || arg.includes("\\"))
    return isAbsolute(arg) ? arg : resolve(cwd, arg);
  const shipped = resolve(RUNBOOK_DIR, `${arg}.yaml`);
  if (existsSync(shipped)) return shipped;
  const near = nearest(arg, shippedRunbookIds());
  throw new UsageError(
    `no runbook "${arg}"${near ? `: did you mean \`${near}\`?` : ""}`,
    "run `vonage-ir list` for the shipped runbooks, or pass a file path",
  );
}

/** The ids of the shipped runbooks (`runbooks/<id>.yaml`), sorted. */
export function shippedRunbookIds(): string[] {
  return readdirSync(RUNBOOK_DIR)
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => file.slice(0, -".yaml".length))
    .sort();
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export interface Loaded {
  loaded: LoadedRunbook;
  config: RunConfig;
  runbookHash: string;
  configHash: string;
}

export async function loadRunbookAndConfig(
  runbookArg: string | undefined,
  configFile: string | undefined,
  io: CliIo,
  registry: Registry,
  /** For a resume, when the run first started: attestations dated after it need no note. */
  time: ConfigTime = { now: new Date() },
): Promise<Loaded> {
  const configSource = configFile ? await readConfigSource(resolve(io.cwd, configFile)) : undefined;
  const arg = runbookArg ?? (configSource ? configRunbook(configSource) : undefined);
  if (!arg)
    throw new UsageError(
      "which runbook? pass its id or file (or set `runbook:` in the config)",
      "e.g. vonage-ir run compromise --config vonage-ir.yaml",
    );
  const loaded = await loadRunbookFile(resolveRunbookPath(arg, io.cwd), registry);
  const config = configSource ? validateConfig(configSource, loaded.runbook, time) : emptyConfig();
  return { loaded, config, runbookHash: sha256(loaded.text), configHash: sha256(config.canonical) };
}

/** `CI` set to anything but an empty or a negative value (`false`, `0`, `no`, `off`, any case). */
export function isCi(value: string | undefined): boolean {
  return value !== undefined && !["", "false", "0", "no", "off"].includes(value.trim().toLowerCase());
}

/**
 * Interactive when stdin and stdout (stderr for prompts) are terminals and neither --yes, --json nor CI says
 * otherwise. A mutating command without a terminal needs --yes or CI: piping into vonage-ir by accident must
 * not change an account.
 */
export function detectMode(values: Values, io: CliIo, options: { mutates: boolean }): Mode {
  const json = Boolean(values.json);
  const tty = Boolean(io.stdin.isTTY && io.stderr.isTTY);
  const ci = isCi(io.env.CI);
  if (io.prompter) return { interactive: !values.yes && !json, json, tty };
  const interactive = tty && !values.yes && !json && !ci;
  if (!interactive && options.mutates && !values.yes && !ci) {
    throw new UsageError(
      json
        ? "--json runs are not interactive: pass --yes to apply without prompts"
        : "no terminal to ask questions on (stdin/stderr is not a TTY)",
      "to run unattended, pass --yes with a --config that holds the decisions (see examples/); or run it in a terminal",
    );
  }
  return { interactive, json, tty };
}

/** A secret piped on stdin (`--secret-stdin`): its first line. A terminal on stdin is refused (it would echo). */
export async function readStdinSecret(io: CliIo, what: string, example: string): Promise<string> {
  if (io.stdin.isTTY) {
    throw new UsageError(
      `--secret-stdin reads the ${what} from a pipe, but stdin is a terminal`,
      `e.g. ${example}`,
    );
  }
  let data = "";
  for await (const chunk of io.stdin) {
    data += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
    if (data.includes("\n")) break;
  }
  return data.split(/\r?\n/)[0]?.trim() ?? "";
}

/**
 * The credentials as far as they are given (env, or the secret from stdin with --secret-stdin), registered for
 * redaction at once: commands call this before parsing any file, so a secret pasted into a config or runbook
 * is redacted from the very first validation message. A missing one is reported by `requireCredentials`.
 */
export interface GivenCredentials {
  apiKey: string | undefined;
  apiSecret: string | undefined;
}

export async function takeCredentials(values: Values, io: CliIo): Promise<GivenCredentials> {
  const apiKey = io.env.VONAGE_API_KEY?.trim() || undefined;
  // Trimmed like the stdin secret: a pasted trailing newline or space is never part of a Vonage secret.
  let apiSecret = io.env.VONAGE_API_SECRET?.trim() || undefined;
  if (values["secret-stdin"]) {
    apiSecret =
      (await readStdinSecret(io, "secret", "pass-cli show vonage | vonage-ir run ... --secret-stdin")) ||
      undefined;
  }
  registerApiKey(apiKey);
  registerSecret(apiSecret);
  return { apiKey, apiSecret };
}

export function requireCredentials(given: GivenCredentials): Credentials {
  const { apiKey, apiSecret } = given;
  if (!apiKey || !apiSecret) {
    throw new UsageError(
      `missing credentials: ${!apiKey ? "VONAGE_API_KEY" : "VONAGE_API_SECRET"} is not set`,
      "export VONAGE_API_KEY and VONAGE_API_SECRET (or pipe the secret with --secret-stdin); secrets are never taken from arguments",
    );
  }
  return { apiKey, apiSecret };
}

/** Credentials from VONAGE_API_KEY / VONAGE_API_SECRET, or the secret from stdin with --secret-stdin. */
export async function readCredentials(values: Values, io: CliIo): Promise<Credentials> {
  return requireCredentials(await takeCredentials(values, io));
}

export interface Hosts {
  apiHost: string | undefined;
  restHost: string | undefined;
}

export function hostsFromEnv(io: CliIo): Hosts {
  return { apiHost: io.env.VONAGE_API_HOST || undefined, restHost: io.env.VONAGE_REST_HOST || undefined };
}

/** Where the waits Vonage asks for ("Vonage asked to wait 90 s: waiting") go once a run has its event sink. */
export interface RateLimitWaits {
  listen(listener: (message: string) => void): void;
}

export async function buildGateway(
  credentials: Credentials,
  hosts: Hosts,
  concurrency: number,
): Promise<{
  gateway: Gateway;
  stats: () => { requests: number; rateLimited: number };
  waits: RateLimitWaits;
}> {
  const { createSdkGateway } = await import("../vonage/sdk-gateway.js");
  const { RequestScheduler, describeWait } = await import("../vonage/request-scheduler.js");
  let listener: ((message: string) => void) | undefined;
  const scheduler = new RequestScheduler({
    concurrency: Math.max(concurrency, 1) * 2,
    onWait: (wait) => listener?.(describeWait(wait)),
  });
  const gateway = createSdkGateway({
    credentials,
    apiHost: hosts.apiHost,
    restHost: hosts.restHost,
    scheduler,
  });
  return {
    gateway,
    waits: { listen: (fn) => (listener = fn) },
    stats: () => {
      const s = scheduler.stats();
      return { requests: s.requests, rateLimited: s.rateLimited };
    },
  };
}

export function parseConcurrency(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--concurrency must be an integer from 1 to 64, not "${String(value)}"`);
  return n;
}

/** Values for required inputs the config does not give: asked for interactively, else a clear error. */
export async function completeInputs(
  runbook: Runbook,
  config: RunConfig,
  prompter: Prompter | undefined,
  configFile: string | undefined,
): Promise<Record<string, unknown>> {
  const { values, missing } = resolveInputs(runbook, config);
  if (prompter) await askChoices(runbook, config, prompter, values);
  if (missing.length === 0) return values;
  if (!prompter) {
    throw new ValidationError(
      missing.map(({ name, spec }) => ({
        file: configFile ?? "(no --config)",
        path: name,
        message: `required input is not set${spec.description ? ` (${spec.description})` : ""}`,
      })),
      `set ${missing.map((m) => m.name).join(", ")} in the config file (see examples/${runbook.id}.yaml)`,
    );
  }
  for (const { name, spec } of missing) {
    const schema = inputValueSchema(spec);
    const answer = await prompter.input({
      message: `${name}${spec.description ? ` (${spec.description})` : ""}:`,
      validate: (value) => {
        const parsed = schema.safeParse(
          spec.type === "list"
            ? value
                .split(",")
                .map((v) => v.trim())
                .filter(Boolean)
            : spec.type === "number"
              ? Number(value)
              : spec.type === "boolean"
                ? value === "true"
                : value.trim(),
        );
        return parsed.success ? true : (parsed.error.issues[0]?.message ?? "invalid");
      },
    });
    values[name] =
      spec.type === "list"
        ? answer
            .split(",")
            .map((v) => v.trim())
            .filter(Boolean)
        : spec.type === "number"
          ? Number(answer)
          : spec.type === "boolean"
            ? answer === "true"
            : spec.type === "datetime"
              ? (parseInstant(answer) ?? answer.trim())
              : answer.trim();
  }
  return values;
}

/**
 * The enum inputs a runbook marks `ask` and the config does not set: an interactive run explains each value in a
 * line and asks, the default under the cursor (an unattended run keeps the default). A resume or a saved plan
 * puts the earlier answer in the config's values, so the question is never asked twice for one run.
 */
async function askChoices(
  runbook: Runbook,
  config: RunConfig,
  prompter: Prompter,
  values: Record<string, unknown>,
): Promise<void> {
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    if (spec.type !== "enum" || !spec.ask || name in config.values) continue;
    const explained = spec.values.filter((value) => spec.choices?.[value] !== undefined);
    if (explained.length > 0) {
      prompter.say(explained.map((value) => `  ${value}: ${spec.choices?.[value] ?? ""}`).join("\n"));
    }
    values[name] = await prompter.select({
      message: `${name}${spec.description ? ` (${spec.description})` : ""}:`,
      choices: spec.values.map((value) => ({
        value,
        name: value === spec.default ? `${value} (default)` : value,
      })),
      default: typeof values[name] === "string" ? values[name] : spec.default,
    });
  }
}

/**
 * Planning a fresh run (or a read-only audit) changes nothing, so credentials Vonage rejects, an unreachable
 * host or a timeout there are bad input (exit 2, with what to check), not a failed step of a resumable run.
 */
export async function planningInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      error instanceof VonageApiError &&
      (error.kind === "auth" || error.kind === "unreachable" || error.kind === "timeout")
    ) {
      throw new UsageError(`${error.message} (nothing was changed)`, error.hint);
    }
    throw error;
  }
}

/** What `run` and `apply` need before executing: the prompter, complete inputs, concurrency and the gateway. */
export async function prepareExecution(
  values: Values,
  io: CliIo,
  mode: Mode,
  loaded: Loaded,
  credentials: Credentials,
  resumeHint: () => string,
): Promise<{
  prompter: Prompter | undefined;
  inputs: Record<string, unknown>;
  concurrency: number;
  gateway: Gateway;
  waits: RateLimitWaits;
}> {
  const prompter = await createPrompter(mode, io, resumeHint);
  const inputs = await completeInputs(loaded.loaded.runbook, loaded.config, prompter, loaded.config.file);
  const concurrency = parseConcurrency(values.concurrency, loaded.config.concurrency ?? 8);
  const { gateway, waits } = await buildGateway(credentials, hostsFromEnv(io), concurrency);
  return { prompter, inputs, concurrency, gateway, waits };
}
