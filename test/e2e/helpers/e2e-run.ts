// One e2e workspace: a simulator, a temp directory with a config, an out directory, and the CLI pointed at
// them. Tests (and the chaos suite) build on it: run, kill, resume, then check the state and scan for leaks.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { SimState, SimulatorOptions } from "../../../src/simulator/index.js";
import { buildScenario } from "../../../src/simulator/build-scenario.js";
import { startE2eSimulator, type E2eSimulator } from "./e2e-simulator.js";
import { runCli, runIds, type CliResult, type KillTrigger, type RunCliOptions } from "./run-cli.js";
import { allSecrets, scanForSecrets, type SecretHit } from "./scan-for-secrets.js";
import { writeConfig, type ConfigOverrides } from "./write-config.js";

export interface E2eRun {
  sim: E2eSimulator;
  dir: string;
  out: string;
  config: string;
  /** Every CLI result of this workspace, for the leak scan. */
  results: CliResult[];
  /** `vonage-ir <args>` with the simulator's env, in `dir`; recorded in `results`. */
  cli(args: string[], options?: Partial<RunCliOptions>): Promise<CliResult>;
  /** `run compromise --config <config> --out <out> [...extra]`. */
  run(extra?: string[], options?: Partial<RunCliOptions>): Promise<CliResult>;
  /** `run --resume <id> --config <config> --out <out>`. */
  resume(runId: string, options?: Partial<RunCliOptions>): Promise<CliResult>;
  runIds(): Promise<string[]>;
  runDir(runId: string): string;
  /**
   * Runs the runbook and resumes it until it exits 0, killing each attempt per `kill()` (undefined: no kill)
   * and calling `afterKill` after every kill; a run killed before its journal existed is started afresh.
   */
  untilDone(options?: UntilDoneOptions): Promise<UntilDoneResult>;
  /** Scans every output of this workspace (stdout, stderr, every file in `dir` but the run sinks, `extra` texts). */
  scan(extra?: string[]): Promise<SecretHit[]>;
  close(): Promise<void>;
}

export interface UntilDoneOptions {
  kill?: (attempt: number) => KillTrigger | undefined;
  afterKill?: (runDir: string, result: CliResult) => Promise<void>;
  /** Default 20. */
  maxAttempts?: number;
}

export interface UntilDoneResult {
  runId: string;
  runDir: string;
  attempts: CliResult[];
  kills: number;
}

/** An escape sequence that clears the screen and turns text red: no terminal output may carry it. */
export const HOSTILE_NAME_SUFFIX = "\u001b[2J\u001b[31m";

/** The first webhook address of an application's capabilities (a path to it and its value). */
function firstWebhook(
  app: SimState["applications"][number],
): { set(v: string): void; value: string } | undefined {
  for (const capability of Object.values(app.capabilities)) {
    const webhooks = (capability as { webhooks?: Record<string, { address?: unknown }> }).webhooks ?? {};
    for (const hook of Object.values(webhooks)) {
      if (typeof hook.address === "string") {
        return { value: hook.address, set: (v) => (hook.address = v) };
      }
    }
  }
  return undefined;
}

/**
 * Every scenario gets what a leak scan and a terminal must survive: a webhook URL with userinfo (a basic-auth
 * webhook, whose password the scan looks for) and an application whose name carries an escape sequence.
 */
export function withHostileAccountData(state: SimState): SimState {
  const apps = state.applications.filter((a) => a.owner === state.primary.apiKey);
  const hook = apps[0] && firstWebhook(apps[0]);
  if (hook) {
    const password = `Pw-${randomBytes(9).toString("base64url")}`;
    hook.set(hook.value.replace(/^(https?:\/\/)/, `$1ops-hook:${password}@`));
  }
  const named = apps[1] ?? apps[0];
  if (named) named.name = `${named.name}${HOSTILE_NAME_SUFFIX}`;
  return state;
}

export async function startE2eRun(
  simOptions: Omit<SimulatorOptions, "onRequest" | "port">,
  config: ConfigOverrides = {},
): Promise<E2eRun> {
  const sim = await startE2eSimulator(
    simOptions.state
      ? simOptions
      : {
          ...simOptions,
          // Built as the simulator would (its `now` on the real clock), then made hostile.
          state: withHostileAccountData(
            buildScenario(simOptions.scenario ?? "clean", {
              now: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
              ...(simOptions.seed === undefined ? {} : { seed: simOptions.seed }),
              ...simOptions.scenarioParams,
            }),
          ),
        },
  );
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-e2e-"));
  const out = join(dir, "runs");
  const configPath = await writeConfig(dir, sim, config);
  const results: CliResult[] = [];
  const cli = async (args: string[], options: Partial<RunCliOptions> = {}) => {
    const result = await runCli(args, {
      ...options,
      cwd: dir,
      // DEBUG=* on every run: no library debug channel may print a secret, whatever it says.
      env: { DEBUG: "*", ...sim.env(), ...options.env },
    });
    results.push(result);
    return result;
  };
  const e2e: E2eRun = {
    sim,
    dir,
    out,
    config: configPath,
    results,
    cli,
    run: (extra = [], options = {}) =>
      cli(["run", "compromise", "--config", configPath, "--out", out, ...extra], options),
    resume: (runId, options = {}) =>
      cli(["run", "--resume", runId, "--config", configPath, "--out", out], options),
    runIds: () => runIds(out),
    runDir: (runId) => join(out, runId),
    async untilDone(options = {}) {
      const attempts: CliResult[] = [];
      let runId: string | undefined;
      let kills = 0;
      for (let attempt = 0; attempt < (options.maxAttempts ?? 20); attempt++) {
        const when = options.kill?.(attempt);
        const kill = when === undefined ? {} : { kill: { sim, when } };
        const before = new Set(await runIds(out));
        const result = runId === undefined ? await e2e.run([], kill) : await e2e.resume(runId, kill);
        attempts.push(result);
        runId ??= (await runIds(out)).find((id) => !before.has(id));
        if (result.killed) {
          kills++;
          if (runId !== undefined) await options.afterKill?.(join(out, runId), result);
        }
        if (result.code === 0 && runId !== undefined)
          return { runId, runDir: join(out, runId), attempts, kills };
        // killed before the journal existed: that run changed nothing; start a new one
        if (result.code === 2 && result.stderr.includes("has no journal")) runId = undefined;
        else if (!result.killed && result.code !== 1 && result.code !== 3 && result.code !== 4) {
          throw new Error(`attempt ${attempt + 1} exited ${String(result.code)}:\n${result.stderr}`);
        }
      }
      throw new Error(
        `no exit 0 after ${attempts.length} attempts; last stderr:\n${attempts.at(-1)?.stderr ?? ""}`,
      );
    },
    async scan(extra = []) {
      const ids = await runIds(out);
      const secrets = await allSecrets(
        [sim.initialState, sim.dumpState()],
        ids.map((id) => join(out, id, "secrets")),
        sim.adminToken,
      );
      // the whole workspace (cwd, config, out directory, lock), every run's sink excluded
      return scanForSecrets([dir], [...results.flatMap((r) => [r.stdout, r.stderr]), ...extra], secrets);
    },
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return e2e;
}

/** startE2eRun for a test file whose runs are closed once, after all its tests (which may run concurrently). */
export function e2eRunStarter(): typeof startE2eRun {
  const started: E2eRun[] = [];
  afterAll(async () => {
    await Promise.all(started.map((e) => e.close()));
  });
  return async (...args) => {
    const e = await startE2eRun(...args);
    started.push(e);
    return e;
  };
}
