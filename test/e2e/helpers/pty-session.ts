// A real pseudo-terminal for walkthrough tests, without a native addon: util-linux `script` allocates the
// pty and copies our keystrokes to it. The screen text is read back with ANSI escapes stripped.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = `${REPO_ROOT}bin/vonage-ir.js`;

export const KEY = { enter: "\r", down: "\u001b[B", up: "\u001b[A", space: " ", ctrlC: "\u0003" } as const;

// eslint-disable-next-line no-control-regex -- terminal escape sequences are control characters
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[()][A-Z0-9]|\u001b[=>]/g;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export class PtySession {
  private output = "";
  private readonly child: ChildProcess;
  readonly exited: Promise<number>;
  /** Text consumed by waitFor; later waits only look at what came after. */
  private cursor = 0;

  constructor(args: string[], options: { cwd: string; env: Record<string, string> }) {
    if (!existsSync(`${REPO_ROOT}dist/cli/main.js`))
      throw new Error("dist/ is missing: run `npm run build` first");
    const command = `stty cols 160 rows 50; exec node ${[CLI, ...args].map(shellQuote).join(" ")}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      TERM: "xterm-256color",
      // the account locks, per test directory (see run-cli.ts)
      VONAGE_IR_STATE_DIR: join(options.cwd, ".vonage-ir-state"),
      ...options.env,
    };
    delete env.CI;
    this.child = spawn("script", ["-q", "-f", "-e", "-c", command, "/dev/null"], {
      cwd: options.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString("utf8")));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString("utf8")));
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))),
    );
  }

  /** Everything written to the terminal so far, escape sequences included. */
  get raw(): string {
    return this.output;
  }

  /** Everything shown so far, without escape sequences. */
  get screen(): string {
    return this.output.replace(ANSI, "").replace(/\r/g, "");
  }

  /** Waits until `pattern` appears after the previous match, and returns the text up to the match. */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen.slice(this.cursor);
      const match = typeof pattern === "string" ? text.indexOf(pattern) : text.search(pattern);
      if (match >= 0) {
        const length =
          typeof pattern === "string" ? pattern.length : (text.slice(match).match(pattern)?.[0].length ?? 0);
        this.cursor += match + length;
        return text.slice(0, match + length);
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `waited for ${String(pattern)}; the screen since the last match was:\n${text.slice(-3000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  type(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Types a line of text and Enter, as a person would. */
  line(text: string): void {
    this.type(`${text}${KEY.enter}`);
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}
