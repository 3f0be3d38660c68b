// `npm run bench`: the compromise runbook, unattended, against the simulator's `large` scenario, with the default
// concurrency and with --concurrency 1, and the attacker window of each application strategy; then CLI start-up
// times. Prints tables and writes bench/results.json.
// Not part of `npm test`: the figures depend on the machine. See bench/README.md for what each figure means.
import { spawn, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";

const USAGE = `node bench/bench.mjs   (npm run bench builds first)

The compromise runbook on the simulator's large scenario at Vonage's published 30 requests/s per API key
(default concurrency, then --concurrency 1), once more at 100 requests/s, then CLI start-up times. The
default run replaces applications with applications.strategy "recreate"; one more run at 30/s uses "rekey",
and each gives its attacker window beside its lower bound.
Writes bench/results.json. See bench/README.md.

  BENCH_CONCURRENCY=N   --concurrency of the default runs (8)
  BENCH_QUICK=1         only the runs at 30/s (recreate, rekey); no --concurrency 1 run, no 100/s run
  BENCH_DUMP=PREFIX     write each run's request log and --json events
  BENCH_CPU_PROF=DIR    run the CLI under node --cpu-prof
  BENCH_KEEP=1          keep the run directories
`;
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
// After --help, so that it works before a build.
const { startSimulator } = await import("../dist/simulator/index.js");
const traffic = await import("../dist/simulator/traffic-records.js");

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = join(ROOT, "bin", "vonage-ir.js");
const RESULTS = join(ROOT, "bench", "results.json");

/** The `large` scenario of issue 7: 150 applications, 1,500 numbers (1,000 linked), 20 subaccounts. */
const SCENARIO = { applications: 150, numbers: 1500, linkedNumbers: 1000, subaccounts: 20 };
/** 40 ms ± 10: the simulator adds latencyMs plus a uniform 0..jitterMs. */
const LATENCY = { latencyMs: 30, jitterMs: 20 };
/**
 * Requests per second per API key: Vonage's one published default (30), which the simulator enforces and states
 * as the account's max-calls-per-second; the second figure is the 100/s the earlier benches used.
 */
const RATE_LIMIT = 30;
const SECOND_RATE_LIMIT = 100;
const DEFAULT_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const STARTUP_RUNS = 10;
/** The input that chooses how applications lose their compromised keys (see the compromise runbook). */
const STRATEGY_INPUT = "applications.strategy";

/**
 * The strategies the shipped compromise runbook offers for STRATEGY_INPUT; a runbook without the input knows only
 * "recreate" (and must not be given the input: an unknown config key is a usage error).
 */
async function offeredStrategies() {
  const runbook = parseYaml(await readFile(join(ROOT, "runbooks", "compromise.yaml"), "utf8"));
  const input = runbook?.inputs?.[STRATEGY_INPUT];
  return input ? { viaInput: true, values: input.values ?? [] } : { viaInput: false, values: ["recreate"] };
}

const MANUAL_STEPS = [
  "users.review",
  "mfa.verify-contacts",
  "signature-secret.rotate",
  "password.rotate",
  "ip-allowlist.request",
  "fraud-defender.enable",
  "support.contact",
  "autoreload",
];

function configFor(sim, strategy) {
  const at = new Date().toISOString();
  const by = "bench";
  const evidence = {
    "users.review": { removed: "none" },
    "mfa.verify-contacts": { phone: "0123", email: "oncall@example.com", matches: "yes" },
    "password.rotate": { users: "all" },
    "ip-allowlist.request": { ticket: "BENCH-1" },
    "fraud-defender.enable": { enabled: "alerts, traffic rules, AIT, burst" },
    "support.contact": { ticket: "BENCH-2" },
  };
  const attest = {};
  for (const step of MANUAL_STEPS) {
    attest[step] = { by, at, note: "bench", ...(evidence[step] ? { evidence: evidence[step] } : {}) };
  }
  // JSON is YAML: the config loader reads it as is.
  return {
    runbook: "compromise",
    compromisedSince: new Date(Date.now() - 86_400_000).toISOString(),
    "secrets.revoke": "immediately",
    // The figures and minimalRequests' applications term are recreate's (rekey is the runbook's default).
    "applications.strategy": "recreate",
    "subaccounts.allow": sim.meta.legitimateSubaccountKeys,
    "users.expected": ["oncall@example.com"],
    "mfa.expectedPhone": "+44 7700 900123",
    "mfa.expectedEmail": "oncall@example.com",
    ipAllowlist: ["198.51.100.10"],
    "autoreload.waitSeconds": 0,
    ...(strategy?.viaInput ? { [STRATEGY_INPUT]: strategy.name } : {}),
    attest,
  };
}

/**
 * The fewest requests that contain this account without giving up a safety invariant (bench/README.md explains
 * each term). `state` is the simulator's state before the run; `since` the config's compromisedSince; `strategy`
 * how applications lose their keys ("recreate": new applications, numbers moved, old ones deleted; "rekey": one
 * listing of the applications' current configuration, one PUT of a new public key per application, then one
 * listing that proves every new key).
 */
/**
 * Reports API pages (1,000 records each, at least one per query) for every account and product over the window
 * traffic.records reads (src/actions/traffic-read.ts: as long before the compromise as after it, one to seven days).
 */
export function trafficPages(state, since, nowMs = Date.now()) {
  const DAY = 86_400_000;
  const sinceMs = Date.parse(since);
  const from = sinceMs - Math.min(7 * DAY, Math.max(DAY, nowMs - sinceMs));
  let pages = 0;
  for (const account of [state.primary.apiKey, ...state.subaccounts.map((s) => s.apiKey)]) {
    const own = traffic.trafficOf(state, account);
    for (const product of traffic.TRAFFIC_PRODUCTS) {
      let n = 0;
      if (own) {
        const total = traffic.recordCount(own, product, traffic.liveUntilFor(state, account, nowMs));
        n = traffic.indexAt(own, product, nowMs + 1, total) - traffic.indexAt(own, product, from, total);
      }
      pages += Math.max(1, Math.ceil(n / 1000));
    }
  }
  return pages;
}

export function minimalRequests(state, since, strategy = "recreate") {
  const pages = (n) => Math.max(1, Math.ceil(n / 100));
  const primary = state.primary.apiKey;
  const apps = state.applications.filter((a) => a.owner === primary);
  const numbers = state.numbers.filter((n) => n.owner === primary);
  const linkedTo = new Map();
  for (const n of numbers) if (n.appId) linkedTo.set(n.appId, (linkedTo.get(n.appId) ?? 0) + 1);
  const linked = apps.reduce((sum, a) => sum + (linkedTo.get(a.id) ?? 0), 0);
  const subs = state.subaccounts.length;
  const auditSince = state.auditEvents.filter(
    (e) => Date.parse(`${e.created_at}Z`) > Date.parse(since),
  ).length;
  const secrets = state.primary.secrets.length;
  const terms = {
    // Plan. preflight: credentials (balance), Subaccounts and Audit availability.
    preflight: 3,
    // secrets: list the primary's secrets; applications: list them, and (recreate only) the linked numbers
    // (what links where); subaccounts: list them; autoreload: read the balance.
    planReads: 1 + pages(apps.length) + (strategy === "rekey" ? 0 : pages(linked)) + 1 + 1,
    // traffic.records and traffic.block plan from one read of the records (the plan shows the damage): every page.
    trafficPlan: trafficPages(state, since),
    // traffic.records applies: every page again, to evidence/traffic/; traffic.verify (0 s unattended): one page
    // per account and product; traffic.block: nothing decided, nothing created.
    trafficApply: trafficPages(state, since),
    trafficVerify: (1 + subs) * traffic.TRAFFIC_PRODUCTS.length,
    // Apply. preflight: the credentials still work (one read).
    preflightApply: 1,
    // evidence: every listing, once: secrets of the primary and of each subaccount, applications, numbers,
    // subaccounts, balance, settings, audit events since the compromise.
    evidence: 1 + subs + pages(apps.length) + pages(numbers.length) + 1 + 1 + 1 + pages(auditSince),
    // secrets (one secret on the key): drift read + create, prove it, drift read (new listed, not the last) +
    // revoke per old secret, then list + prove the end state, and list again as the run ends (re-verification).
    secrets: 2 + 1 + secrets * 2 + 2 + 1,
    // recreate, per application: create, one link per number, prove the replacement exists, prove no number
    // points at the old one (right before the delete), delete. rekey: the current configuration of every
    // application (a PUT replaces the whole application: it must not revert what changed since the plan), one PUT
    // with the new public key per application, and the read-back that proves every key changed.
    applications:
      strategy === "rekey" ? pages(apps.length) + apps.length + pages(apps.length) : apps.length * 4 + linked,
    // subaccounts: none to suspend when every subaccount is allowed (else a drift read + PATCH each).
    subaccounts: 0,
    // autoreload: already off, nothing planned.
    autoreload: 0,
  };
  const total = Object.values(terms).reduce((a, b) => a + b, 0);
  // What must be sent before the last request that kills a compromised credential (windowBound).
  const untilLastKill = {
    preflightApply: terms.preflightApply,
    evidence: terms.evidence,
    // traffic.records runs with the evidence, before anything changes.
    trafficApply: terms.trafficApply,
    // drift read + create, prove the new secret, then drift read + revoke per old secret: the last revoke.
    secrets: 2 + 1 + secrets * 2,
    // recreate: every application's create, moves, checks and delete (each delete is a kill); rekey: the listing
    // of the current configurations, then the PUTs (each one a kill; the read-back proves them after the last).
    applications: strategy === "rekey" ? pages(apps.length) + apps.length : apps.length * 4 + linked,
  };
  return { total, terms, untilLastKill };
}

/**
 * The attacker window's lower bound (bench/README.md): the window starts at the run's start, after planning, and
 * ends when the last compromised credential dies. Before that last killing request the run must send every
 * evidence read (evidence precedes any change), the secret rotation up to its last revoke, and every request of
 * the application strategy that precedes its last kill; at `rate` requests per second no client does it faster.
 */
export function windowBound(state, since, strategy, rate) {
  const { untilLastKill } = minimalRequests(state, since, strategy);
  const requests = Object.values(untilLastKill).reduce((a, b) => a + b, 0);
  return { requests, ms: (requests / rate) * 1000, terms: untilLastKill };
}

/** A request that kills a compromised credential: an old secret revoked, an application deleted or rekeyed. */
function killsCredential(request) {
  if (request.status < 200 || request.status >= 300) return false;
  if (request.method === "DELETE")
    return (
      /^\/accounts\/[^/]+\/secrets\/[^/]+$/.test(request.path) ||
      /^\/v2\/applications\/[^/]+$/.test(request.path)
    );
  return request.method === "PUT" && /^\/v2\/applications\/[^/]+$/.test(request.path);
}

/**
 * The attacker window as the run's report gives it, and what the simulator saw: requests from the run's start up
 * to and including the last killing request (retries and 429s included), to tell a slow request stream from
 * requests that need not have preceded the last kill.
 */
async function attackerWindowOf(out, requests) {
  const runs = (await readdir(out).catch(() => [])).filter((name) => /^\d{8}-\d{6}-[0-9a-f]+$/.test(name));
  if (runs.length !== 1) return null;
  const report = JSON.parse(await readFile(join(out, runs[0], "report.json"), "utf8").catch(() => "{}"));
  const window = report.attackerWindow;
  if (!window) return null;
  const from = Date.parse(window.from);
  const startOf = (r) => Date.parse(r.at) - r.durationMs;
  const kills = requests.filter(killsCredential);
  const lastKill = kills.at(-1);
  const sentUntilLastKill = lastKill
    ? requests.filter((r) => startOf(r) >= from && r.seq <= lastKill.seq).length
    : null;
  return {
    seconds: window.seconds ?? null,
    last: window.last ?? null,
    alive: (window.alive ?? []).map((a) => `${a.credential} (${a.status})`),
    killingRequests: kills.length,
    sentUntilLastKill,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command, returns its exit code, wall time and peak RSS (bytes). */
function runMeasured(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const useTime = existsSync("/usr/bin/time");
    const rssFile = join(options.tmp, `rss-${process.hrtime.bigint()}.txt`);
    const file = useTime ? "/usr/bin/time" : cmd;
    const argv = useTime ? ["-f", "%M %U %S", "-o", rssFile, cmd, ...args] : args;
    const started = performance.now();
    const startedEpochMs = Date.now();
    const child = spawn(file, argv, {
      env: options.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let peakKb = 0;
    let cpuSeconds;
    // Without /usr/bin/time: sample the high-water mark the kernel keeps for the process.
    const sampler = useTime
      ? undefined
      : setInterval(() => {
          readFile(`/proc/${child.pid}/status`, "utf8")
            .then((s) => {
              const m = /VmHWM:\s+(\d+)/.exec(s);
              if (m) peakKb = Math.max(peakKb, Number(m[1]));
            })
            .catch(() => {});
        }, 25);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", async (code) => {
      const wallMs = performance.now() - started;
      if (sampler) clearInterval(sampler);
      if (useTime) {
        const text = await readFile(rssFile, "utf8").catch(() => "");
        const [kb, user, sys] = (text.trim().split("\n").pop() ?? "").split(" ").map(Number);
        if (Number.isFinite(kb)) peakKb = kb;
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuSeconds = user + sys;
      }
      resolve({ code, wallMs, startedEpochMs, peakRssBytes: peakKb * 1024, cpuSeconds, stdout, stderr });
    });
  });
}

/** `strategy`: `{ name, viaInput }`; viaInput false when the runbook has no STRATEGY_INPUT (recreate only). */
export async function benchRun(label, concurrency, tmp, rateLimit, strategy) {
  // A label names files too: "default-100/s" must not make a directory of its "/s".
  const fileLabel = label.replace(/[^\w.-]+/g, "_");
  const sim = await startSimulator({
    scenario: "large",
    scenarioParams: SCENARIO,
    ...LATENCY,
    rateLimit,
  });
  try {
    // The account's own rate, as its settings answer it: the CLI paces by it once read.
    const state = sim.dumpState();
    state.primary.settings.maxCallsPerSecond = rateLimit;
    await fetch(`${sim.url}/_sim/state`, {
      method: "PUT",
      headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(state),
    });
    // Auto-reload off through the simulated dashboard (the `large` scenario starts with it off already).
    await fetch(`${sim.url}/_sim/dashboard/autoreload`, {
      method: "POST",
      headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    const before = sim.dumpState();
    const config = configFor(sim, strategy);
    const configFile = join(tmp, `config-${fileLabel}.yaml`);
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const out = join(tmp, `out-${fileLabel}`);
    const minimal = minimalRequests(before, config.compromisedSince, strategy.name);
    const bound = windowBound(before, config.compromisedSince, strategy.name, rateLimit);
    const startCount = sim.requestCount();
    const loadBefore = loadavg()[0];
    const env = {
      ...process.env,
      CI: "true",
      VONAGE_API_KEY: sim.primary.apiKey,
      VONAGE_API_SECRET: sim.primary.apiSecret,
      VONAGE_API_HOST: sim.url,
      VONAGE_REST_HOST: sim.url,
      NO_COLOR: "1",
    };
    const result = await runMeasured(
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
        BIN,
        "run",
        "compromise",
        "--yes",
        "--json",
        "--config",
        configFile,
        "--out",
        out,
        "--concurrency",
        String(concurrency),
      ],
      { env, cwd: tmp, tmp },
    );
    const requests = sim.requests().filter((r) => r.seq > startCount);
    if (process.env.BENCH_DUMP) {
      await writeFile(`${process.env.BENCH_DUMP}-${fileLabel}.json`, JSON.stringify(requests));
      await writeFile(`${process.env.BENCH_DUMP}-${fileLabel}.events.jsonl`, result.stdout);
    }
    const made = requests.length;
    const rateLimited = requests.filter((r) => r.status === 429).length;
    const after = sim.dumpState();
    const progressEvents = result.stdout.split("\n").filter((l) => l.includes('"kind":"progress"')).length;
    const lowerBoundMs = (made / rateLimit) * 1000;
    const keyOf = new Map(before.applications.map((a) => [a.id, a.keys?.public_key]));
    const check = {
      ...(strategy.name === "rekey"
        ? {
            applicationsRekeyed:
              after.applications.length === before.applications.length &&
              after.applications.every((a) => keyOf.has(a.id) && keyOf.get(a.id) !== a.keys?.public_key),
          }
        : {
            applicationsReplaced:
              after.applications.filter((a) => keyOf.has(a.id)).length === 0 &&
              after.applications.length === before.applications.length,
          }),
      numbersOnLiveApps: after.numbers
        .filter((n) => n.appId)
        .every((n) => after.applications.some((a) => a.id === n.appId)),
      linkedNumbers: after.numbers.filter((n) => n.appId).length,
      secrets: after.primary.secrets.length,
    };
    if (result.code !== 0) {
      process.stderr.write(`run ${label} exited ${result.code}\n${result.stderr.slice(-4000)}\n`);
    }
    const window = await attackerWindowOf(out, requests);
    return {
      label,
      strategy: strategy.name,
      concurrency,
      rateLimitPerKey: rateLimit,
      exitCode: result.code,
      wallMs: Math.round(result.wallMs),
      requestsMade: made,
      minimalRequests: minimal.total,
      minimalTerms: minimal.terms,
      requestsOverMinimal: round(made / minimal.total, 3),
      rateLimited,
      rateLimitedShare: round(rateLimited / Math.max(1, made), 4),
      lowerBoundMs: Math.round(lowerBoundMs),
      ratio: round(result.wallMs / lowerBoundMs, 3),
      peakRssMb: round(result.peakRssBytes / 1048576, 1),
      // CPU time of the CLI (user + system, all threads): RSA key generation is most of it.
      cliCpuSeconds: result.cpuSeconds === undefined ? null : round(result.cpuSeconds, 2),
      // Other work on the machine slows the CPU-bound part (key generation): recorded to read the figures by.
      loadAverageBefore: round(loadBefore, 2),
      progressEvents,
      phasesMs: phasesOf(result, requests),
      attackerWindow: window && {
        ...window,
        boundRequests: bound.requests,
        boundTerms: bound.terms,
        boundSeconds: round(bound.ms / 1000, 2),
        ratio: window.seconds === null ? null : round((window.seconds * 1000) / bound.ms, 3),
      },
      check,
    };
  } finally {
    await sim.close();
  }
}

/**
 * Where the wall time goes: spawn → first API request, first request → plan ready, each step (from the `--json`
 * events), and the end of the last request → exit. The rate-limited part is the applications step.
 */
function phasesOf(result, requests) {
  if (requests.length === 0) return null;
  const events = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  const at = (iso) => Date.parse(iso);
  const firstRequest = at(requests[0].at);
  const lastRequestEnd = Math.max(...requests.map((r) => at(r.at) + r.durationMs));
  const planReady = events.find((e) => e.kind === "plan.ready");
  const steps = {};
  for (const e of events) {
    if (e.kind === "step.started") steps[e.stepId] = at(e.ts);
    if (e.kind === "step.finished" && steps[e.stepId] !== undefined)
      steps[e.stepId] = at(e.ts) - steps[e.stepId];
  }
  return {
    toFirstRequest: firstRequest - result.startedEpochMs,
    plan: planReady ? at(planReady.ts) - firstRequest : null,
    steps: Object.fromEntries(Object.entries(steps).filter(([, ms]) => ms >= 10)),
    afterLastRequest: Math.round(result.startedEpochMs + result.wallMs - lastRequestEnd),
  };
}

function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function timeOnce(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true" },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function startup() {
  const cases = {
    nodeBaseline: ["-e", "0"],
    help: [BIN, "--help"],
    validate: [BIN, "validate", "runbooks/compromise.yaml"],
  };
  // Warm the file cache once, then interleave the runs so drift in machine load hits every case alike.
  for (const args of Object.values(cases)) timeOnce(args);
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < STARTUP_RUNS; i++)
    for (const [k, args] of Object.entries(cases)) times[k].push(timeOnce(args));
  const base = median(times.nodeBaseline);
  return {
    runs: STARTUP_RUNS,
    nodeMedianMs: round(base, 1),
    helpMedianMs: round(median(times.help), 1),
    validateMedianMs: round(median(times.validate), 1),
    helpOverNode: round(median(times.help) / base, 2),
    validateOverNode: round(median(times.validate) / base, 2),
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padStart(widths[i])).join("  ")).join("\n");
}

/** One strategy's attacker window, or why there is none. */
export function windowRow(strategy, run) {
  const none = { strategy, ratio: null };
  if (!run)
    return {
      ...none,
      unavailable: `strategy not available (runbooks/compromise.yaml offers no ${STRATEGY_INPUT} "${strategy}")`,
    };
  // An input the runbook or its config loader refuses is a usage error (exit 2): nothing ran.
  if (run.exitCode === 2) return { ...none, unavailable: `strategy not available (the run exited 2)` };
  const w = run.attackerWindow;
  if (!w || w.seconds === null) {
    return {
      ...none,
      unavailable: `no window: exit ${run.exitCode}${w?.alive.length ? `, still alive: ${w.alive.length}` : ""}`,
    };
  }
  return {
    strategy,
    exitCode: run.exitCode,
    windowSeconds: w.seconds,
    boundSeconds: w.boundSeconds,
    ratio: w.ratio,
    boundRequests: w.boundRequests,
    sentUntilLastKill: w.sentUntilLastKill,
    // What the sent requests alone would take at the rate: the rest of the window is latency and CPU.
    sentSeconds: w.sentUntilLastKill === null ? null : round(w.sentUntilLastKill / RATE_LIMIT, 2),
    killingRequests: w.killingRequests,
    last: w.last,
    stillAlive: w.alive,
  };
}

function windowTable(rows) {
  const head = [
    "strategy",
    "exit",
    "window s",
    "bound s",
    "ratio",
    "bound req",
    "sent to last kill",
    "sent/rate s",
    "last killed",
  ];
  const lines = [head];
  const text = [];
  for (const r of rows) {
    if (r.unavailable) text.push(`${r.strategy}: ${r.unavailable}`);
    else
      lines.push([
        r.strategy,
        r.exitCode,
        r.windowSeconds.toFixed(2),
        r.boundSeconds.toFixed(2),
        r.ratio.toFixed(3),
        r.boundRequests,
        r.sentUntilLastKill ?? "?",
        r.sentSeconds ?? "?",
        r.last ?? "?",
      ]);
  }
  return [...(lines.length > 1 ? [table(lines)] : []), ...text].join("\n");
}

/** traffic.records at scale, in a process of its own (its peak RSS is its own): see bench/traffic-records.mjs. */
function trafficRecordsBench() {
  const child = spawnSync(process.execPath, [join(ROOT, "bench", "traffic-records.mjs"), "--json"], {
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`bench/traffic-records.mjs failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

async function main() {
  const tmp = await mkdtemp(join(tmpdir(), "vonage-ir-bench-"));
  try {
    const offered = await offeredStrategies();
    const recreate = { name: "recreate", viaInput: offered.viaInput };
    const fast = await benchRun("default", DEFAULT_CONCURRENCY, tmp, RATE_LIMIT, recreate);
    // Rekey on the same scenario and rate: its attacker window beside recreate's (the default run's).
    const rekey = offered.values.includes("rekey")
      ? await benchRun("rekey", DEFAULT_CONCURRENCY, tmp, RATE_LIMIT, { name: "rekey", viaInput: true })
      : undefined;
    // BENCH_QUICK=1 skips the serial run and start-up timings (for iterating on the default run).
    const quick = process.env.BENCH_QUICK === "1";
    const serial = quick ? fast : await benchRun("concurrency-1", 1, tmp, RATE_LIMIT, recreate);
    const faster = quick
      ? undefined
      : await benchRun(
          `default-${SECOND_RATE_LIMIT}/s`,
          DEFAULT_CONCURRENCY,
          tmp,
          SECOND_RATE_LIMIT,
          recreate,
        );
    const windows = [windowRow("recreate", fast), windowRow("rekey", rekey)];
    const rekeyWindow = windows[1];
    const speedUp = round(serial.wallMs / fast.wallMs, 2);
    const start = startup();
    const traffic = trafficRecordsBench();
    const results = {
      when: new Date().toISOString(),
      node: process.version,
      cpus: (await import("node:os")).cpus().length,
      scenario: { name: "large", ...SCENARIO, latency: "40 ms ± 10", rateLimitPerKey: RATE_LIMIT },
      runs: [fast, ...(rekey ? [rekey] : []), serial, ...(faster ? [faster] : [])],
      attackerWindow: windows,
      speedUpOverConcurrency1: speedUp,
      startup: start,
      trafficRecords: traffic,
      targets: {
        ratio: { target: 1.15, measured: fast.ratio, met: fast.ratio <= 1.15 },
        requestsOverMinimal: {
          target: 1.05,
          measured: fast.requestsOverMinimal,
          met: fast.requestsOverMinimal <= 1.05,
        },
        rateLimitedShare: {
          target: 0.01,
          measured: fast.rateLimitedShare,
          met: fast.rateLimitedShare <= 0.01,
        },
        peakRssMb: { target: 200, measured: fast.peakRssMb, met: fast.peakRssMb <= 200 },
        rekeyWindowOverBound: {
          target: 1.15,
          measured: rekeyWindow.ratio ?? rekeyWindow.unavailable,
          met: rekeyWindow.ratio !== null && rekeyWindow.ratio <= 1.15,
        },
        helpOverNode: { target: 2, measured: start.helpOverNode, met: start.helpOverNode <= 2 },
        validateOverNode: { target: 3, measured: start.validateOverNode, met: start.validateOverNode <= 3 },
        trafficPeakRssMb: { target: 200, measured: traffic.peakRssMb, met: traffic.peakRssMb < 200 },
      },
    };
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    const head = [
      "run",
      "req/s",
      "exit",
      "wall s",
      "requests",
      "minimal",
      "×min",
      "429s",
      "bound s",
      "ratio",
      "RSS MB",
      "CPU s",
      "load",
      "progress ev",
    ];
    const row = (r) => [
      r.label,
      r.rateLimitPerKey,
      r.exitCode,
      (r.wallMs / 1000).toFixed(2),
      r.requestsMade,
      r.minimalRequests,
      r.requestsOverMinimal.toFixed(3),
      r.rateLimited,
      (r.lowerBoundMs / 1000).toFixed(2),
      r.ratio.toFixed(3),
      r.peakRssMb.toFixed(1),
      r.cliCpuSeconds ?? "?",
      r.loadAverageBefore,
      r.progressEvents,
    ];
    process.stdout.write(
      `${table([head, row(fast), ...(rekey ? [row(rekey)] : []), row(serial), ...(faster ? [row(faster)] : [])])}\n`,
    );
    process.stdout.write(
      `attacker window (large, ${RATE_LIMIT} requests/s): run start → last compromised credential dead; bound = requests that must precede the last kill / rate\n`,
    );
    process.stdout.write(`${windowTable(windows)}\n`);
    process.stdout.write(`speed-up over --concurrency 1: ${speedUp}×\n`);
    const phases = fast.phasesMs;
    if (phases) {
      const steps = Object.entries(phases.steps)
        .map(([id, ms]) => `${id} ${ms}`)
        .join(" · ");
      process.stdout.write(
        `where the default run's time went (ms): to first request ${phases.toFirstRequest} · plan ${phases.plan} · ${steps} · after last request ${phases.afterLastRequest}\n`,
      );
    }
    process.stdout.write(
      `startup (median of ${STARTUP_RUNS}): node -e 0 ${start.nodeMedianMs} ms · --help ${start.helpMedianMs} ms (${start.helpOverNode}×) · validate ${start.validateMedianMs} ms (${start.validateOverNode}×)\n`,
    );
    process.stdout.write(
      `traffic records (bench/traffic-records.mjs): ${traffic.records} read and streamed to disk in ${traffic.seconds} s, ${traffic.recordsPerSecond} records/s, peak RSS ${traffic.peakRssMb} MB\n`,
    );
    for (const [name, t] of Object.entries(results.targets)) {
      // A figure that could not be measured (a strategy the runbook does not offer) is neither met nor missed.
      const mark = typeof t.measured === "string" ? "n/a " : t.met ? "ok  " : "MISS";
      process.stdout.write(`  ${mark} ${name}: ${t.measured} (target ${t.target})\n`);
    }
    process.stdout.write(`wrote ${RESULTS}\n`);
  } finally {
    if (!process.env.BENCH_KEEP) await rm(tmp, { recursive: true, force: true });
    else process.stdout.write(`kept ${tmp}\n`);
  }
}

// Run only as a script: the figures' functions (minimalRequests, windowBound) can be imported on their own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
