// Spawns the BUILT CLI (bin/vonage-ir.js → dist/) as an operator would, optionally killing it when the
// simulator receives a chosen request: the hook runs before the simulator processes that request, so a
// SIGKILL there leaves the journal's `intent` written and the request still applied (a crash between
// intent and done), which is what resume must reconcile.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { E2eSimulator, RequestInfo } from "./e2e-simulator.js";

export const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = join(PACKAGE_ROOT, "bin", "vonage-ir.js");
const DIST_MAIN = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/** Throws a clear message when the CLI was not built (e2e tests run the build output, not src/). */
export function assertBuilt(): void {
  if (!existsSync(DIST_MAIN)) {
    throw new Error(
      `e2e tests run the built CLI, but ${DIST_MAIN} is missing: run \`npm run build\` first (npm test does)`,
    );
  }
}

/**
 * When to kill the CLI: a number n kills at the first request whose simulator-wide count (cumulative over
 * every run against this simulator) is >= n; a predicate kills at the first request it accepts.
 */
export type KillTrigger = number | ((count: number, info: RequestInfo) => boolean);

export interface RunCliOptions {
  /**
   * Added to (undefined removes from) a minimal env: PATH, HOME, CI=true, NO_COLOR=1 and VONAGE_IR_STATE_DIR
   * in `cwd` (the account locks: tests on the same simulated account run concurrently in their own dirs).
   */
  env?: Record<string, string | undefined>;
  cwd: string;
  stdin?: string;
  /** Default 60 s; on expiry the child is SIGKILLed and the promise rejects. */
  timeoutMs?: number;
  /** Kill the CLI when the simulator's request matches (before the simulator processes it). */
  kill?: { sim: E2eSimulator; when: KillTrigger; signal?: NodeJS.Signals };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the kill trigger fired (the CLI was signalled by the harness). */
  killed: boolean;
  /** The simulator request number the kill fired at. */
  killedAt?: { count: number; info: RequestInfo } | undefined;
}

/** The env a CLI run gets: the minimal one of RunCliOptions.env with the test's additions and removals. */
export function cliEnv(options: Pick<RunCliOptions, "cwd" | "env">): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? options.cwd,
    CI: "true",
    NO_COLOR: "1",
    VONAGE_IR_STATE_DIR: join(options.cwd, ".vonage-ir-state"),
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  assertBuilt();
  return spawnCli(process.execPath, [BIN, ...args], options, `vonage-ir ${args.join(" ")}`);
}

/** Runs `file args` as runCli runs the CLI (env, stdin, kill trigger, timeout); `what` names it in errors. */
export function spawnCli(
  file: string,
  args: string[],
  options: RunCliOptions,
  what: string,
): Promise<CliResult> {
  const env = cliEnv(options);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    let killedAt: CliResult["killedAt"];
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");

    let unhook: (() => void) | undefined;
    const { kill } = options;
    if (kill) {
      const matches =
        typeof kill.when === "number" ? (count: number) => count >= (kill.when as number) : kill.when;
      unhook = kill.sim.onRequest((count, info) => {
        if (killed || child.exitCode !== null || !matches(count, info)) return;
        killed = true;
        killedAt = { count, info };
        child.kill(kill.signal ?? "SIGKILL");
      });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      unhook?.();
      reject(error);
    });
    // `close` comes after the child was reaped, so a run lock it held is seen as stale by the next run.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      unhook?.();
      if (timedOut) {
        reject(
          new Error(`${what} did not finish within ${options.timeoutMs ?? 60_000} ms\nstderr:\n${stderr}`),
        );
        return;
      }
      resolvePromise({ code, signal, stdout, stderr, killed, killedAt });
    });
  });
}

/** Run ids (directory names) in an out directory, oldest first. */
export async function runIds(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir).catch(() => [] as string[]);
  return entries.filter((e) => RUN_ID.test(e)).sort();
}

/** The only run in an out directory (throws when there is not exactly one). */
export async function onlyRunId(outDir: string): Promise<string> {
  const ids = await runIds(outDir);
  if (ids.length !== 1 || !ids[0]) throw new Error(`expected one run in ${outDir}, found: ${ids.join(", ")}`);
  return ids[0];
}

export function runDirOf(outDir: string, runId: string): string {
  return resolve(outDir, runId);
}

export interface ResumeOptions extends Omit<RunCliOptions, "kill"> {
  out: string;
  config: string;
  /** Stop when the CLI exits with one of these (default [0]). */
  until?: number[];
  /** Give up after this many resumes (default 5). */
  maxAttempts?: number;
}

/** `run --resume <id>` until it exits with an accepted code; returns every attempt's result. */
export async function resumeUntil(runId: string, options: ResumeOptions): Promise<CliResult[]> {
  const until = options.until ?? [0];
  const results: CliResult[] = [];
  for (let attempt = 0; attempt < (options.maxAttempts ?? 5); attempt++) {
    const result = await runCli(
      ["run", "--resume", runId, "--config", options.config, "--out", options.out],
      options,
    );
    results.push(result);
    if (result.code !== null && until.includes(result.code)) return results;
  }
  const last = results.at(-1);
  throw new Error(
    `run --resume ${runId} did not reach exit ${until.join("/")} in ${results.length} attempt(s): last exit ${String(last?.code)}\nstderr:\n${last?.stderr ?? ""}`,
  );
}
