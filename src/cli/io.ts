// What the CLI touches of the outside world, injectable so tests call main() directly.
import type { Readable, Writable } from "node:stream";
import type { Prompter } from "../io/prompter.js";

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Tests inject a scripted prompter (and thereby interactive mode). */
  prompter?: Prompter | undefined;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** How a command talks to its operator: asks (a terminal), prints JSON events, draws on a terminal. */
export interface Mode {
  interactive: boolean;
  json: boolean;
  tty: boolean;
}

export function processIo(signal: AbortSignal): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}
