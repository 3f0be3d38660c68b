// A fake CliIo for calling main() in-process: captured stdout/stderr, injected env, cwd, prompter and
// signal; plus temp directories, a config writer and the env that points the CLI at a simulator.
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { stringify } from "yaml";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import type { Prompter } from "../../src/io/prompter.js";
import type { RunningSimulator } from "../../src/simulator/index.js";

export interface FakeIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as JSON lines (for --json runs). */
  jsonLines(): Record<string, unknown>[];
  controller: AbortController;
}

// Account locks live in a per-user state directory: each fake io gets its own (unless the test sets one), so
// in-process runs of different tests on the same test account do not lock each other out.
let stateRoot: string | undefined;
let stateDirs = 0;
function freshStateDir(): string {
  if (stateRoot === undefined) {
    const root = mkdtempSync(join(tmpdir(), "vonage-ir-state-"));
    process.on("exit", () => rmSync(root, { recursive: true, force: true }));
    stateRoot = root;
  }
  return join(stateRoot, String(++stateDirs));
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      callback();
    },
  });
  return { stream, text: () => chunks.join("") };
}

export function fakeIo(
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    prompter?: Prompter;
    stdin?: string;
    tty?: boolean;
  } = {},
): FakeIo {
  const out = capture();
  const err = capture();
  const controller = new AbortController();
  const empty = new PassThrough();
  empty.end();
  const stdin =
    options.stdin === undefined
      ? Object.assign(empty, { isTTY: options.tty ?? false })
      : Object.assign(Readable.from([options.stdin]), { isTTY: false });
  const stdout = Object.assign(out.stream, { isTTY: options.tty ?? false });
  const stderr = Object.assign(err.stream, { isTTY: options.tty ?? false });
  const io: CliIo = {
    stdin,
    stdout,
    stderr,
    env: { VONAGE_IR_STATE_DIR: freshStateDir(), ...options.env },
    cwd: options.cwd ?? process.cwd(),
    prompter: options.prompter,
    signal: controller.signal,
  };
  return {
    io,
    controller,
    stdout: out.text,
    stderr: err.text,
    jsonLines: () =>
      out
        .text()
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Runs main() with a fresh fake io; returns the exit code and the captured streams. */
export async function runMain(
  argv: string[],
  options: Parameters<typeof fakeIo>[0] = {},
): Promise<{ code: number } & FakeIo> {
  const fake = fakeIo(options);
  const code = await main(argv, fake.io);
  return { code, ...fake };
}

/** The env that points the CLI at a simulator as its primary account. */
export function simEnv(sim: RunningSimulator): Record<string, string> {
  return {
    VONAGE_API_KEY: sim.primary.apiKey,
    VONAGE_API_SECRET: sim.primary.apiSecret,
    VONAGE_API_HOST: sim.url,
    VONAGE_REST_HOST: sim.url,
  };
}

/** Credentials for runs that never reach an API (manual-only runbooks): the hosts point nowhere. */
export const offlineEnv: Record<string, string> = {
  VONAGE_API_KEY: "abcd1234",
  VONAGE_API_SECRET: "Offline-Secret-123",
  VONAGE_API_HOST: "http://127.0.0.1:9",
  VONAGE_REST_HOST: "http://127.0.0.1:9",
};

const dirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-cli-"));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Writes a config (an object, dumped as YAML, or raw YAML text) and returns its path. */
export async function writeConfig(
  dir: string,
  config: Record<string, unknown> | string,
  name = "vonage-ir.yaml",
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof config === "string" ? config : stringify(config));
  return path;
}

/** The config the compromise runbook needs to run unattended against a `compromised` simulator. */
export function compromiseConfig(sim: RunningSimulator): Record<string, unknown> {
  return {
    compromisedSince: sim.meta.compromisedSince,
    secrets: { revokeFirst: sim.meta.attackerSecretIds[0] },
    subaccounts: { allow: sim.meta.legitimateSubaccountKeys },
    // The attacker's collector carried over, as before webhook decisions existed.
    webhooks: { decisions: sim.meta.attackerWebhookHosts.map((host) => `${host} keep`) },
    // No BLOCK rule and no watch after containment, as before the traffic steps existed (a decision in the
    // config: a terminal run does not ask either).
    traffic: { block: [], verifySeconds: 0 },
  };
}
