// The crash-and-resume chaos loop, shared by `npm run chaos` (K=200) and the bounded subset in `npm test`:
// SIGKILL the built CLI at a request number drawn from a seeded PRNG, check what must hold at every moment,
// `run --resume` (itself killed again with some probability) until exit 0, then check the end state.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readJournal } from "../../../src/engine/journal.js";
import { keyPairMatches } from "../../../src/security/index.js";
import type { FaultsInput, SimulatorOptions } from "../../../src/simulator/index.js";
import { compromiseEndState, endStateInvariants, primaryApplications } from "../../e2e/helpers/end-state.js";
import { startE2eRun, type E2eRun } from "../../e2e/helpers/e2e-run.js";
import type { ConfigOverrides } from "../../e2e/helpers/write-config.js";
import { sinkValues } from "../../e2e/helpers/scan-for-secrets.js";
import type { CliResult } from "../../e2e/helpers/run-cli.js";

/** mulberry32: small, seedable, good enough to spread kill points. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChaosScenario {
  name: string;
  sim: Omit<SimulatorOptions, "onRequest" | "port">;
  /** Config values over the e2e defaults (e.g. the recreate strategy; rekey is the default). */
  config?: ConfigOverrides;
  /** Faults set for the chaos cycles (not the calibration run): a resume may then also exit 1. */
  faults?: Partial<FaultsInput>;
}

const RECREATE: ConfigOverrides = { values: { "applications.strategy": "recreate" } };

export const CHAOS_SCENARIOS: ChaosScenario[] = [
  { name: "compromised", sim: { scenario: "compromised" } },
  { name: "compromised, recreate", sim: { scenario: "compromised" }, config: RECREATE },
  {
    name: "large(12 apps, 80 numbers), recreate",
    sim: {
      scenario: "large",
      scenarioParams: { applications: 12, numbers: 80, linkedNumbers: 60, subaccounts: 4 },
    },
    config: RECREATE,
  },
  {
    name: "compromised, recreate, deletes refused while numbers are linked",
    sim: { scenario: "compromised", deleteAppWithNumbers: "refuse" },
    config: RECREATE,
  },
  {
    name: "compromised, 10% 5xx on every route",
    sim: { scenario: "compromised" },
    faults: { errorRate: { "*": 0.1 }, jitterMs: 30 },
  },
];

export interface ChaosOptions {
  seed: number;
  /** Kills to inflict over all cycles. */
  kills: number;
  scenarios?: ChaosScenario[];
  /** Probability that a resume is killed again. Default 0.5. */
  rekill?: number;
  log?: (line: string) => void;
  /** Requests of a whole run per scenario name: skips the calibration run (the `npm test` subset). */
  requestsPerRun?: Record<string, number>;
}

export interface ChaosFigures {
  seed: number;
  kills: number;
  survived: number;
  cycles: number;
  resumes: number;
  leaks: number;
  /** Violations found (empty = every check held). */
  violations: string[];
  byScenario: Record<string, { cycles: number; kills: number; requestsPerRun: number }>;
}

/** A run that was not killed must finish: these codes stop the cycle. */
const MAX_ATTEMPTS = 12;

async function latestRun(e: E2eRun): Promise<string | undefined> {
  const ids = await e.runIds();
  for (const id of ids.reverse()) if (existsSync(join(e.runDir(id), "journal.jsonl"))) return id;
  return undefined;
}

/** Waits until the simulator has answered the request the kill raced with (it is applied regardless). */
async function settled(e: E2eRun, seq: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (e.sim.requests().some((r) => r.seq >= seq)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What must hold right after a kill. */
async function afterKill(e: E2eRun, runId: string | undefined): Promise<string[]> {
  const state = e.sim.dumpState();
  if (runId) return endStateInvariants(state, e.sim.primary, e.runDir(runId));
  // killed before the journal existed: nothing may have changed
  const violations: string[] = [];
  if (!state.primary.secrets.some((s) => s.value === e.sim.primary.apiSecret))
    violations.push("killed before the journal was written, yet the original secret no longer works");
  if (state.applications.length !== e.sim.initialState.applications.length)
    violations.push("killed before the journal was written, yet applications changed");
  return violations;
}

/** Checks at the end of a cycle: the compromise end state, key pairs, the report against live state. */
export async function finalChecks(e: E2eRun, runId: string, apps: number): Promise<string[]> {
  const runDir = e.runDir(runId);
  const state = await e.sim.fetchState();
  const { violations, idMap } = await compromiseEndState(state, runDir, {
    initial: e.sim.initialState,
    allowedSubaccounts: e.sim.meta.legitimateSubaccountKeys,
  });
  if (idMap.size !== apps) violations.push(`${idMap.size} replacements for ${apps} applications`);
  // exactly one secret per rotated account, the one in the sink
  const sink = new Map((await sinkValues(join(runDir, "secrets"))).map((f) => [f.name, f.value.trim()]));
  for (const [name, value] of sink) {
    const m = /^api-secret-(.+)$/.exec(name);
    if (!m) continue;
    const account =
      m[1] === state.primary.apiKey ? state.primary : state.subaccounts.find((s) => s.apiKey === m[1]);
    if (!account) violations.push(`sink holds a secret for unknown account ${m[1] ?? ""}`);
    else if (account.secrets.length !== 1 || account.secrets[0]?.value !== value)
      violations.push(`account ${m[1] ?? ""} holds ${account.secrets.length} secret(s), not just the sink's`);
  }
  // every replacement's private key matches its public key
  for (const [oldId, newId] of idMap) {
    const pem = sink.get(`app-${newId}.key`);
    const app = state.applications.find((a) => a.id === newId);
    if (!pem || !app || !keyPairMatches(pem, app.keys.public_key))
      violations.push(`replacement ${newId} of ${oldId}: private key in the sink does not match`);
  }
  // the report (and so the journal) agrees with the simulator
  const report = JSON.parse(await readFile(join(runDir, "report.json"), "utf8")) as {
    status: string;
    applicationIdMap: { oldId: string; newId: string }[];
  };
  const reported = new Map(report.applicationIdMap.map((m) => [m.oldId, m.newId]));
  if (reported.size !== idMap.size)
    violations.push(`report maps ${reported.size} applications, live ${idMap.size}`);
  for (const [oldId, newId] of idMap)
    if (reported.get(oldId) !== newId)
      violations.push(`report maps ${oldId} to ${String(reported.get(oldId))}, live replacement is ${newId}`);
  const journal = await readJournal(join(runDir, "journal.jsonl"));
  if (journal.openIntents.size > 0)
    violations.push(`journal has open intents at the end: ${[...journal.openIntents.keys()].join(", ")}`);
  if (journal.ended?.status !== "done") violations.push(`journal ends ${String(journal.ended?.status)}`);
  if (report.status !== "done") violations.push(`report status ${report.status}`);
  return violations;
}

/** One uninterrupted run to count the requests of a whole run (kill points are drawn from 1..that). */
async function calibrate(scenario: ChaosScenario): Promise<{ requests: number; violations: string[] }> {
  const e = await startE2eRun(scenario.sim, scenario.config);
  try {
    await e.sim.setAutoReload(false);
    const r = await e.run();
    if (r.code !== 0)
      return { requests: 0, violations: [`calibration run exited ${String(r.code)}: ${r.stderr}`] };
    const runId = (await latestRun(e)) ?? "";
    const violations = await finalChecks(e, runId, primaryApplications(e));
    const leaks = await e.scan();
    if (leaks.length) violations.push(`leaks: ${JSON.stringify(leaks)}`);
    return { requests: e.sim.requestCount(), violations };
  } finally {
    await e.close();
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const random = prng(options.seed);
  const log = options.log ?? (() => undefined);
  const scenarios = options.scenarios ?? CHAOS_SCENARIOS;
  const rekill = options.rekill ?? 0.5;
  const figures: ChaosFigures = {
    seed: options.seed,
    kills: 0,
    survived: 0,
    cycles: 0,
    resumes: 0,
    leaks: 0,
    violations: [],
    byScenario: {},
  };
  const perRun = new Map<string, number>();
  for (const s of scenarios) {
    const known = options.requestsPerRun?.[s.name];
    const c = known ? { requests: known, violations: [] } : await calibrate(s);
    figures.violations.push(...c.violations.map((v) => `${s.name} calibration: ${v}`));
    perRun.set(s.name, c.requests);
    figures.byScenario[s.name] = { cycles: 0, kills: 0, requestsPerRun: c.requests };
  }
  while (figures.kills < options.kills && figures.violations.length === 0) {
    const scenario = scenarios[figures.cycles % scenarios.length] as ChaosScenario;
    const total = perRun.get(scenario.name) ?? 50;
    const stats = figures.byScenario[scenario.name] as ChaosFigures["byScenario"][string];
    figures.cycles++;
    stats.cycles++;
    const cycle = `cycle ${figures.cycles} (${scenario.name})`;
    const e = await startE2eRun(scenario.sim, scenario.config);
    try {
      await e.sim.setAutoReload(false);
      if (scenario.faults) e.sim.setFaults(scenario.faults);
      let finished: CliResult | undefined;
      let cycleKills = 0;
      /** How far into its attempt the last kill landed (requests). */
      let lastOffset = 0;
      for (let attempt = 0; attempt < MAX_ATTEMPTS && !finished; attempt++) {
        const runId = await latestRun(e);
        // the first attempt is always killed; a resume with probability `rekill`, while kills remain
        const kill = figures.kills < options.kills && (attempt === 0 || random() < rekill);
        const base = e.sim.requestCount();
        // a resume has about what the killed attempt had left: draw its kill point from that window so it lands
        const window = attempt === 0 ? total : Math.max(6, total - lastOffset);
        const at = base + 1 + Math.floor(random() * window);
        const opts = kill ? { kill: { sim: e.sim, when: at } } : {};
        const result = runId ? await e.resume(runId, opts) : await e.run([], opts);
        if (runId) figures.resumes++;
        if (result.killed) {
          lastOffset = Math.min(total, lastOffset + (result.killedAt?.count ?? at) - base);
          figures.kills++;
          stats.kills++;
          cycleKills++;
          await settled(e, result.killedAt?.count ?? 0);
          const violations = await afterKill(e, await latestRun(e));
          if (violations.length) {
            figures.violations.push(...violations.map((v) => `${cycle}, kill at request ${at}: ${v}`));
            break;
          }
          figures.survived++;
          log(
            `${cycle}: killed at request ${at} (${result.killedAt?.info.method ?? ""} ${result.killedAt?.info.path ?? ""}); invariants hold`,
          );
          continue;
        }
        if (result.code === 0) finished = result;
        else if (result.code !== 1 && result.code !== 4) {
          figures.violations.push(
            `${cycle}: ${runId ? "resume" : "run"} exited ${String(result.code)}: ${result.stderr.slice(-1500)}`,
          );
          break;
        }
      }
      if (figures.violations.length) break;
      if (!finished) {
        figures.violations.push(`${cycle}: did not reach exit 0 in ${MAX_ATTEMPTS} attempts`);
        break;
      }
      e.sim.setFaults({ errorRate: {}, rateLimit: 0, latencyMs: 0, jitterMs: 0, dropConnectionOn: [] });
      const runId = (await latestRun(e)) ?? "";
      const violations = await finalChecks(e, runId, primaryApplications(e));
      const leaks = await e.scan();
      figures.leaks += leaks.length;
      if (leaks.length) violations.push(`leaks: ${JSON.stringify(leaks)}`);
      figures.violations.push(...violations.map((v) => `${cycle}: ${v}`));
      log(`${cycle}: done after ${cycleKills} kill(s); end state ${violations.length ? "WRONG" : "correct"}`);
    } finally {
      await e.close();
    }
  }
  return figures;
}

/**
 * Named points between two file operations while the run directory is created, where no request is in flight
 * for a request-count kill to land on: the CLI SIGKILLs itself there (VONAGE_IR_TEST_KILL_AT).
 */
export const FILE_KILL_POINTS = ["run-directory-created", "journal-header", "run-directory-before-rename"];

/**
 * For each file kill point: a run killed there changed nothing and left no run that cannot be resumed (every
 * run directory there is has its header and plan), and the next run finishes with the correct end state.
 */
export async function runFileKillPoints(
  scenario: ChaosScenario,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const violations: string[] = [];
  for (const point of FILE_KILL_POINTS) {
    const e = await startE2eRun(scenario.sim, scenario.config);
    try {
      await e.sim.setAutoReload(false);
      const killed = await e.run([], { env: { VONAGE_IR_TEST_KILL_AT: point } });
      if (killed.signal !== "SIGKILL") {
        violations.push(`${point}: the run was not killed there (exit ${String(killed.code)})`);
        continue;
      }
      violations.push(...(await afterKill(e, undefined)).map((v) => `${point}: ${v}`));
      // Vonage's only read of the account settings is an empty POST (planning reads them for suspect webhooks):
      // that POST counts as a write only if the settings changed.
      const settingsChanged =
        JSON.stringify(e.sim.dumpState().primary.settings) !==
        JSON.stringify(e.sim.initialState.primary.settings);
      const writes = e.sim
        .requests()
        .filter(
          (r) =>
            r.method !== "GET" &&
            !(r.method === "POST" && r.path === "/account/settings" && !settingsChanged),
        );
      if (writes.length)
        violations.push(
          `${point}: a mutating request was sent before the journal existed: ${writes.map((r) => `${r.method} ${r.path}`).join(", ")}`,
        );
      for (const id of await e.runIds()) {
        const readable = await readJournal(join(e.runDir(id), "journal.jsonl")).then(
          () => true,
          () => false,
        );
        if (!readable) violations.push(`${point}: run ${id} is visible without its header and plan`);
      }
      const next = await e.run();
      if (next.code !== 0) {
        violations.push(`${point}: the next run exited ${String(next.code)}: ${next.stderr.slice(-1500)}`);
        continue;
      }
      const runId = (await latestRun(e)) ?? "";
      violations.push(...(await finalChecks(e, runId, primaryApplications(e))).map((v) => `${point}: ${v}`));
      const leftovers = (await readdir(e.out)).filter((name) => name.startsWith(".creating-"));
      if (leftovers.length) violations.push(`${point}: leftovers not cleaned up: ${leftovers.join(", ")}`);
      const leaks = await e.scan();
      if (leaks.length) violations.push(`${point}: leaks: ${JSON.stringify(leaks)}`);
      log(`kill at ${point}: nothing changed, the next run finished`);
    } finally {
      await e.close();
    }
  }
  return violations;
}

export function formatFigures(f: ChaosFigures): string {
  const lines = [
    `chaos: seed ${f.seed}: kills survived ${f.survived} of ${f.kills} (${f.cycles} cycles, ${f.resumes} resumes), leaks found ${f.leaks}, violations ${f.violations.length}`,
    ...Object.entries(f.byScenario).map(
      ([name, s]) => `  ${name}: ${s.cycles} cycles, ${s.kills} kills, ${s.requestsPerRun} requests per run`,
    ),
    ...f.violations.map((v) => `  VIOLATION ${v}`),
  ];
  return lines.join("\n");
}
