// `vonage-ir restore`: after a run against the simulator, the reversal is planned from the run's journal; a dry run
// sends no write; the real one unsuspends what the run suspended (the simulator's state shows it), re-enables no
// credential, lists what stays, and resumes like any run after a kill.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests } from "./helpers/e2e-simulator.js";
import { printedLine, runPrinted } from "./helpers/run-printed.js";

const start = e2eRunStarter();

/** One edited byte on line 3 of a run's journal: its hash chain breaks there. */
async function editLine3(journal: string): Promise<void> {
  const lines = (await readFile(journal, "utf8")).split("\n");
  lines[2] = (lines[2] ?? "").replace('"ts":"2', '"ts":"1');
  await writeFile(journal, lines.join("\n"));
}

/** A finished compromise run; the env that authenticates with the secret it left (the old one is revoked). */
async function finishedRun(
  e: E2eRun,
): Promise<{ runId: string; env: Record<string, string>; suspended: string[] }> {
  await e.sim.setAutoReload(false);
  const first = await e.run();
  expect(first.code, first.stderr).toBe(0);
  const [runId = ""] = await e.runIds();
  const key = e.sim.primary.apiKey;
  const secret = (await readFile(join(e.runDir(runId), "secrets", `api-secret-${key}`), "utf8")).trim();
  const suspended = (await e.sim.fetchState()).subaccounts.filter((s) => s.suspended).map((s) => s.apiKey);
  expect(suspended.length).toBeGreaterThan(0);
  return { runId, env: { VONAGE_API_SECRET: secret }, suspended };
}

describe.concurrent("restore", () => {
  it("dry run plans the unsuspends and lists what stays, sending no write; the run unsuspends them", async () => {
    const e = await start({ scenario: "compromised" });
    const { runId, env, suspended } = await finishedRun(e);

    const writesBefore = writeRequests(e.sim).length;
    const dry = await e.cli(["restore", runId, "--out", e.out, "--dry-run"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(writeRequests(e.sim).length - writesBefore).toBe(0);
    for (const key of suspended) expect(dry.stderr).toContain(`unsuspend subaccount ${key}`);
    expect(dry.stderr).toMatch(/Not reversible: these stay as they are/);
    expect(dry.stderr).toMatch(/was revoked: Vonage cannot restore a revoked secret/);
    const json = await e.cli(["restore", runId, "--out", e.out, "--dry-run", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const events = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; steps?: { id: string }[] });
    expect(events.find((ev) => ev.kind === "plan.ready")?.steps?.map((st) => st.id)).toEqual([
      "undo.subaccounts.suspend",
      "restore.irreversible",
    ]);
    expect(writeRequests(e.sim).length - writesBefore).toBe(0);
    expect(await e.runIds()).toEqual([runId]);

    const restored = await e.cli(["restore", runId, "--out", e.out, "--yes"], { env });
    expect(restored.code, restored.stderr).toBe(0);
    const state = await e.sim.fetchState();
    for (const key of suspended)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(false);
    // no credential came back: one secret, the run's own
    expect(state.primary.secrets).toHaveLength(1);

    const [, restoreId = ""] = await e.runIds();
    const report = await readFile(join(e.runDir(restoreId), "report.md"), "utf8");
    expect(report).toContain(`## Restore of run \`${runId}\``);
    for (const key of suspended) expect(report).toMatch(new RegExp(`✔ done: unsuspend subaccount ${key}`));
    expect(report).toMatch(/### Irreversible, or kept on purpose[\s\S]*revoked/);
    expect(report).toContain("### Not reversed: a person may do it (no API)");
    expect(await e.scan()).toEqual([]);
  });

  it("a killed restore resumes as printed and finishes; a second restore of a restore is refused", async () => {
    const e = await start({ scenario: "compromised" });
    const { runId, env, suspended } = await finishedRun(e);
    const patches = (info: { method: string; path: string }) =>
      info.method === "PATCH" && info.path.includes("/subaccounts/");
    const killed = await e.cli(["restore", "latest", "--out", e.out, "--yes"], {
      env,
      kill: { sim: e.sim, when: (_n, info) => patches(info) },
    });
    expect(killed.killed, killed.stderr).toBe(true);
    const [, restoreId = ""] = await e.runIds();
    // `run --resume` continues a restore run from its journaled plan (no runbook, no config)
    const resumed = await e.cli(["run", "--resume", restoreId, "--out", e.out], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const state = await e.sim.fetchState();
    for (const key of suspended)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(false);

    const again = await e.cli(["restore", restoreId, "--out", e.out, "--yes"], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`run ${restoreId} is itself a restore (of run ${runId})`);
    expect(await e.scan()).toEqual([]);
  });

  it("a restore whose step fails prints a resume command that runs as printed and finishes", async () => {
    const e = await start({ scenario: "compromised" });
    const { env, suspended } = await finishedRun(e);
    const patch = "PATCH /accounts/{api_key}/subaccounts/{subaccount_key}";
    await e.sim.setFaults({ errorRate: { [patch]: 1 } });
    const failed = await e.cli(["restore", "latest", "--out", e.out, "--yes"], { env });
    expect(failed.code, failed.stderr).toBe(1);
    await e.sim.setFaults({ errorRate: {} });
    const line = printedLine(failed.stderr, "Resume with:");
    expect(line).toMatch(/ run --resume \d{8}-\d{6}-[0-9a-f]{6} --out /);
    const resumed = await runPrinted(line, { cwd: e.dir, env: { DEBUG: "*", ...e.sim.env(), ...env } });
    e.results.push(resumed);
    expect(resumed.code, resumed.stderr).toBe(0);
    const state = await e.sim.fetchState();
    for (const key of suspended)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(false);
    expect(await e.scan()).toEqual([]);
  });

  it("refuses to restore from a journal whose hash chain is broken (exit 2, the line) unless accepted, then journals it", async () => {
    const e = await start({ scenario: "compromised" });
    const { runId, env, suspended } = await finishedRun(e);
    const journal = join(e.runDir(runId), "journal.jsonl");
    await editLine3(journal);
    const writesBefore = writeRequests(e.sim).length;
    const refused = await e.cli(["restore", runId, "--out", e.out, "--yes"], { env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`${journal}:3:1`);
    expect(refused.stderr).toContain("--accept-broken-journal");
    expect(writeRequests(e.sim).length - writesBefore).toBe(0);
    expect(await e.runIds()).toEqual([runId]);

    const accepted = await e.cli(["restore", runId, "--out", e.out, "--yes", "--accept-broken-journal"], {
      env,
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toContain("broken at line 3 (--accept-broken-journal)");
    const state = await e.sim.fetchState();
    for (const key of suspended)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(false);
    const [, restoreId = ""] = await e.runIds();
    const restoreJournal = await readFile(join(e.runDir(restoreId), "journal.jsonl"), "utf8");
    expect(restoreJournal).toMatch(/"restoreOf":\{[^\n]*"acceptedBrokenJournal":\{"line":3/);
    expect(await e.scan()).toEqual([]);
  });

  it("a resumed restore refuses its own broken journal unless accepted, and journals it in the resume record", async () => {
    const e = await start({ scenario: "compromised" });
    const { env } = await finishedRun(e);
    const killed = await e.cli(["restore", "latest", "--out", e.out, "--yes"], {
      env,
      kill: {
        sim: e.sim,
        when: (_n, info) => info.method === "PATCH" && info.path.includes("/subaccounts/"),
      },
    });
    expect(killed.killed, killed.stderr).toBe(true);
    const [, restoreId = ""] = await e.runIds();
    const journal = join(e.runDir(restoreId), "journal.jsonl");
    await editLine3(journal);
    const argv = ["run", "--resume", restoreId, "--out", e.out];
    const refused = await e.cli(argv, { env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`${journal}:3:1`);
    const resumed = await e.cli([...argv, "--accept-broken-journal"], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const records = (await readFile(journal, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { t: string });
    expect(records.find((r) => r.t === "resume")).toMatchObject({ acceptedBrokenJournal: { line: 3 } });
    expect(await e.scan()).toEqual([]);
  });
});
