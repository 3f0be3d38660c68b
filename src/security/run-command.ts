// Runs an operator's command (a delivery target, a service check) as an argv list, never through a shell. A
// secret goes to it on stdin only; its environment is built here from a short list, so no credential of this
// process (VONAGE_API_SECRET, ...) reaches it. Its output is kept (bounded) for the caller to redact and show.
import { spawn } from "node:child_process";

/** What a child inherits from this process's environment: where programs and their own config are found. */
const INHERITED = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SHELL"] as const;

/** Kept of each stream: the end of a long output is where a failure says why. */
const MAX_OUTPUT = 64 * 1024;

export interface CommandSpec {
  argv: readonly string[];
  /** Written to stdin, then stdin is closed; undefined: stdin is closed at once. */
  stdin?: string | undefined;
  /** The whole environment of the command: `commandEnv(...)` plus metadata (VONAGE_IR_*). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called with each chunk of output as it arrives (a live display). */
  onOutput?: ((text: string) => void) | undefined;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The program could not be started (not found, not executable): the reason. */
  spawnError: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The environment a command starts from: the inherited few of `from` (the CLI's own), then `extra`. */
export function commandEnv(
  from: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function keepTail(kept: string, chunk: string): string {
  const joined = kept + chunk;
  return joined.length > MAX_OUTPUT ? joined.slice(joined.length - MAX_OUTPUT) : joined;
}

export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  const [program, ...args] = spec.argv;
  if (program === undefined) throw new Error("an empty command");
  const started = Date.now();
  return new Promise((resolvePromise) => {
    // Its own process group, so a timeout also ends what a wrapper script started.
    const child = spawn(program, args, {
      shell: false,
      detached: true,
      env: { ...spec.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const result: CommandResult = {
      code: null,
      signal: null,
      timedOut: false,
      spawnError: undefined,
      stdout: "",
      stderr: "",
      durationMs: 0,
    };
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      kill();
    }, spec.timeoutMs);
    spec.signal?.addEventListener("abort", kill, { once: true });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      result.stdout = keepTail(result.stdout, chunk);
      spec.onOutput?.(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      result.stderr = keepTail(result.stderr, chunk);
      spec.onOutput?.(chunk);
    });
    // A program that exits without reading stdin closes the pipe: that is its answer, not our crash.
    child.stdin.on("error", () => undefined);
    child.stdin.end(spec.stdin ?? "");
    child.on("error", (error) => {
      result.spawnError = error.message;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", kill);
      resolvePromise({ ...result, code, signal, durationMs: Date.now() - started });
    });
  });
}

/** One line on how a command ended: `exit 1`, `killed after the 30 s timeout`, `could not start: ...`. */
export function describeEnd(result: CommandResult, timeoutMs: number): string {
  if (result.spawnError !== undefined) return `could not start: ${result.spawnError}`;
  if (result.timedOut) return `killed after the ${Math.round(timeoutMs / 1000)} s timeout`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit ${String(result.code)}`;
}
