// The fault profile (10% 5xx on every route, 429 bursts, 1% dropped connections, latency spikes) on the
// compromised scenario: `run`, then `run --resume` while a step failed (a create is never retried blindly),
// until exit 0; then the end state, no duplicated write, no leak. Shared by npm test (one seed) and chaos.
import { primaryApplications } from "../../e2e/helpers/end-state.js";
import { finalChecks, prng } from "./chaos.js";
import { startE2eRun } from "../../e2e/helpers/e2e-run.js";
import type { CliResult } from "../../e2e/helpers/run-cli.js";

const MAX_RESUMES = 20;

export interface FaultRun {
  seed: number;
  resumes: number;
  requests: number;
  injected5xx: number;
  rateLimited: number;
  dropped: number;
  leaks: number;
  violations: string[];
}

/** 1% of the first 3000 request numbers, drawn from a seeded PRNG. */
function dropPoints(random: () => number): number[] {
  const points: number[] = [];
  for (let n = 1; n <= 3000; n++) if (random() < 0.01) points.push(n);
  return points;
}

export async function runFaultProfile(seed: number): Promise<FaultRun> {
  const random = prng(seed);
  // recreate: its creates are the writes that must never be retried blindly (counted below)
  const e = await startE2eRun(
    { scenario: "compromised" },
    { values: { "applications.strategy": "recreate" } },
  );
  try {
    await e.sim.setAutoReload(false);
    e.sim.setFaults({
      errorRate: { "*": 0.1 },
      errorStatus: seed % 2 ? 500 : 503,
      // below the client's starting pace (30/s): 429s until it has slowed down below it
      rateLimit: 8,
      jitterMs: 30,
      dropConnectionOn: dropPoints(random),
    });
    // latency spikes: every 20th request and the next one take 300-600 ms; a 429 burst: a limit of 2 per second
    // for 5 requests from a seeded point (the client keeps the pace it slowed down to, so the burst comes late in the run)
    const burstAt = 35 + Math.floor(random() * 15);
    const spikes = e.sim.onRequest((count) => {
      if (count % 20 === 0) e.sim.setFaults({ latencyMs: 300 + Math.floor(random() * 300) });
      else if (count % 20 === 2) e.sim.setFaults({ latencyMs: 0 });
      if (count === burstAt) e.sim.setFaults({ rateLimit: 2 });
      else if (count === burstAt + 5) e.sim.setFaults({ rateLimit: 8 });
    });
    const violations: string[] = [];
    const attempts: CliResult[] = [await e.run()];
    for (let i = 0; i < MAX_RESUMES && attempts.at(-1)?.code !== 0; i++) {
      const last = attempts.at(-1);
      // a failed step exits 1 and is resumable; anything else is a bug
      if (last?.code !== 1) {
        violations.push(`exit ${String(last?.code)} under faults: ${last?.stderr.slice(-1500) ?? ""}`);
        break;
      }
      const runId = (await e.runIds()).at(-1);
      // failed while planning, before the journal existed: nothing was written, start again
      attempts.push(runId ? await e.resume(runId) : await e.run());
    }
    spikes();
    const log = e.sim.requests();
    const run: FaultRun = {
      seed,
      resumes: attempts.length - 1,
      requests: e.sim.requestCount(),
      injected5xx: log.filter((r) => r.status >= 500).length,
      rateLimited: log.filter((r) => r.status === 429).length,
      dropped: log.filter((r) => r.status === 0).length,
      leaks: 0,
      violations,
    };
    if (attempts.at(-1)?.code !== 0) {
      violations.push(
        `no exit 0 after ${attempts.length} attempts: ${attempts.at(-1)?.stderr.slice(-1500) ?? ""}`,
      );
      return run;
    }
    e.sim.setFaults({ errorRate: {}, rateLimit: 0, latencyMs: 0, jitterMs: 0, dropConnectionOn: [] });
    const runId = (await e.runIds()).at(-1) ?? "";
    violations.push(...(await finalChecks(e, runId, primaryApplications(e))));
    // no duplicated write: one successful secret create, one successful create per application
    const ok = log.filter((r) => r.status >= 200 && r.status < 300 && r.method === "POST");
    const secretCreates = ok.filter((r) => /^\/accounts\/[^/]+\/secrets$/.test(r.path)).length;
    if (secretCreates !== 1) violations.push(`${secretCreates} secrets created`);
    const appCreates = ok.filter((r) => r.path === "/v2/applications").length;
    const apps = primaryApplications(e);
    if (appCreates !== apps) violations.push(`${appCreates} applications created for ${apps}`);
    const state = e.sim.dumpState();
    if (new Set(state.applications.map((a) => a.name)).size !== state.applications.length)
      violations.push("duplicate application names");
    const leaks = await e.scan();
    run.leaks = leaks.length;
    if (leaks.length) violations.push(`leaks: ${JSON.stringify(leaks)}`);
    return run;
  } finally {
    await e.close();
  }
}

export function formatFaultRun(r: FaultRun): string {
  return `faults seed ${r.seed}: ${r.violations.length ? "FAILED" : "passed"} after ${r.resumes} resume(s); ${r.requests} requests, ${r.injected5xx} injected 5xx, ${r.rateLimited} 429s, ${r.dropped} dropped connections, ${r.leaks} leaks`;
}
