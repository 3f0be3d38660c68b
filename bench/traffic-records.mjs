// `node bench/traffic-records.mjs [--records N] [--json]`: reads N traffic records (default 200,000) from a
// simulator through the real gateway and the traffic.records reader, streaming them to a temporary
// evidence/traffic/ as the step does, and reports records per second and the reader's peak RSS. The simulator
// runs in this process and the reader in a child of its own, so the peak resident set is the reader's alone.
// Used by `npm run bench` and by the memory test (test/e2e/traffic-memory.test.ts). Needs a build (dist/).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("--records", 200_000);
const HOUR = 3_600_000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

if (process.argv.includes("--reader")) await reader(JSON.parse(process.env.TRAFFIC_BENCH ?? "{}"));
else await main();

async function main() {
  const { startSimulator } = await import("../dist/simulator/index.js");
  const sim = await startSimulator({ scenario: "compromised", rateLimit: 0 });
  try {
    const state = sim.dumpState();
    const now = Date.now();
    // N SMS records over the last 48 hours, fraud in the last 24; no other product, no live attacker past the end.
    state.meta.attackerSecretIds = [];
    state.meta.attackerSubaccountKeys = [];
    state.traffic = {
      seed: 7,
      start: iso(now - 48 * HOUR),
      end: iso(now - 60_000),
      fraudFrom: iso(now - 24 * HOUR),
      counts: { SMS: N, "VOICE-CALL": 0, MESSAGES: 0 },
      attackPerMinute: 0,
      subaccounts: {},
    };
    const put = await fetch(`${sim.url}/_sim/state`, {
      method: "PUT",
      headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(state),
    });
    if (put.status !== 200) throw new Error(`PUT /_sim/state: ${put.status}`);
    const job = {
      url: sim.url,
      credentials: sim.primary,
      window: { since: state.traffic.fraudFrom, from: state.traffic.start, until: iso(now) },
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [new URL(import.meta.url).pathname, "--reader"],
      {
        env: { ...process.env, TRAFFIC_BENCH: JSON.stringify(job) },
        maxBuffer: 1024 * 1024,
      },
    );
    const result = JSON.parse(stdout);
    if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `traffic records: ${result.records} read and written in ${result.seconds} s (${result.recordsPerSecond} records/s), reader's peak RSS ${result.peakRssMb} MB\n`,
      );
  } finally {
    await sim.close();
  }
}

/** The child: reads the window into a temporary evidence/traffic/ and prints its figures as JSON. */
async function reader(job) {
  const { createSdkGateway, RequestScheduler } = await import("../dist/vonage/index.js");
  const { readTraffic } = await import("../dist/actions/traffic-read.js");
  const { TrafficEvidenceWriter } = await import("../dist/actions/traffic-evidence.js");
  const gateway = createSdkGateway({
    credentials: job.credentials,
    apiHost: job.url,
    restHost: job.url,
    scheduler: new RequestScheduler({ ratePerSecond: 10_000, burst: 1000, followAccountRate: false }),
  });
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-traffic-bench-"));
  try {
    const writer = await TrafficEvidenceWriter.create(dir);
    const ctx = { progress: () => undefined, clock: { now: () => new Date(), sleep: async () => undefined } };
    const started = performance.now();
    const summary = await readTraffic(ctx, gateway, [job.credentials.apiKey], job.window, writer);
    const ms = performance.now() - started;
    const records = summary.products.SMS.before.records + summary.products.SMS.after.records;
    const result = {
      records,
      written: Object.values(writer.manifest).reduce((n, f) => n + f.records, 0),
      seconds: Math.round(ms) / 1000,
      recordsPerSecond: Math.round((records * 1000) / ms),
      // maxRSS is in kilobytes.
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
