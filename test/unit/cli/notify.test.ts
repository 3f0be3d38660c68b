// Notifications (issue 18, item 3) against a local HTTP server: a run POSTs its events as they happen (JSON or
// Slack text), the URL is never printed, and the run ends as it would without them when the server is down or
// slower than the timeout (a warning and a journal record, never a failure).
import { copyFile, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJournal } from "../../../src/engine/journal.js";
import { offlineEnv, removeTempDirs, runMain, tempDir, writeConfig } from "../../helpers/cli-io.js";
import { deadUrl, webhookReceiver, type Receiver } from "../../helpers/webhook-receiver.js";

const FIXTURE = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");
/** The part of the URL that is a credential (as in a Slack webhook URL). */
const TOKEN = "T0KEN-b7c9e2f4a1d8";

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await removeTempDirs();
});

async function receiver(options: { delayMs?: number } = {}): Promise<Receiver> {
  const started = await webhookReceiver(`/hooks/${TOKEN}`, options);
  receivers.push(started);
  return started;
}

async function run(env: Record<string, string>, config?: Record<string, unknown>, argv: string[] = []) {
  const dir = await tempDir();
  const runbook = join(dir, "manual-only.yaml");
  await copyFile(FIXTURE, runbook);
  const out = join(dir, "runs");
  const configArgs = config ? ["--config", await writeConfig(dir, config)] : [];
  const started = Date.now();
  const result = await runMain(["run", runbook, "--yes", "--out", out, ...configArgs, ...argv], {
    cwd: dir,
    env: { ...offlineEnv, ...env },
  });
  const [runId = ""] = (await readdir(out)).filter((name) => /^\d{8}-/.test(name));
  const runDir = join(out, runId);
  const files = await Promise.all(
    ["journal.jsonl", "report.md", "report.json"].map((f) => readFile(join(runDir, f), "utf8")),
  );
  return { ...result, ms: Date.now() - started, runDir, runId, out, dir, files: files.join("\n") };
}

describe("notifications", () => {
  it("POST the run's events as JSON: started, each step, each change waiting for a person, finished with the report's summary", async () => {
    const hook = await receiver();
    const result = await run({ VONAGE_IR_NOTIFY_URL: hook.url });
    expect(result.code, result.stderr()).toBe(3);
    expect(hook.bodies.map((b) => b.event)).toEqual([
      "run.started",
      "change.pending",
      "step.finished",
      "change.pending",
      "step.finished",
      "run.finished",
    ]);
    for (const body of hook.bodies) expect(body).toMatchObject({ source: "vonage-ir", runId: result.runId });
    const finished = hook.bodies.at(-1);
    const report = JSON.parse(await readFile(join(result.runDir, "report.json"), "utf8")) as {
      journal: { finalHash: string };
    };
    expect(finished?.data).toEqual({
      status: "pending",
      exitCode: 3,
      changesDone: 0,
      pending: 2,
      failed: 0,
      journalSha256: report.journal.finalHash,
    });
    // The URL is a credential: shown as scheme, host and fingerprint, never whole, anywhere.
    expect(result.stderr()).toMatch(
      /Notifications go to http:\/\/127\.0\.0\.1:\d+\/… \(url sha256:[0-9a-f]{8}\)/,
    );
    for (const text of [result.stdout(), result.stderr(), result.files]) expect(text).not.toContain(TOKEN);
  });

  it("post Slack incoming-webhook text with notify.format: slack in the config", async () => {
    const hook = await receiver();
    const result = await run({}, { notify: { url: hook.url, format: "slack" } });
    expect(result.code).toBe(3);
    expect(hook.bodies).toHaveLength(6);
    for (const body of hook.bodies) expect(Object.keys(body)).toEqual(["text"]);
    expect(hook.bodies[0]?.text).toMatch(/^vonage-ir \S+: started runbook manual-only on account abcd1234/);
    expect(hook.bodies.at(-1)?.text).toMatch(/finished: pending \(exit 3\); 0 change\(s\) done, 2 pending/);
  });

  it("to a server that is down: the run exits as before, with a warning and a journal record, still chained", async () => {
    const url = await deadUrl(`/hooks/${TOKEN}`);
    const result = await run({ VONAGE_IR_NOTIFY_URL: url });
    expect(result.code).toBe(3);
    expect(result.stderr()).toMatch(
      /! notification "run\.started" to http:\/\/127\.0\.0\.1:\d+\/… \(url sha256:[0-9a-f]{8}\) failed: unreachable \(ECONNREFUSED\) \(after 3 tries\); the run goes on/,
    );
    const records = (await readJournal(join(result.runDir, "journal.jsonl"))).records;
    expect(records.filter((r) => r.t === "notify").length).toBeGreaterThan(0);
    expect(records.find((r) => r.t === "notify")).toMatchObject({ event: "run.started", attempts: 3 });
    for (const text of [result.stdout(), result.stderr(), result.files]) expect(text).not.toContain(TOKEN);
    const verified = await runMain(["verify-journal", result.runId, "--out", result.out], {
      cwd: result.dir,
    });
    expect(verified.code, verified.stdout()).toBe(0);
    expect(result.ms).toBeLessThan(10_000);
  });

  it("to a server slower than the timeout: the run exits as before, without waiting for it", async () => {
    const hook = await receiver({ delayMs: 3_000 });
    const result = await run(
      { VONAGE_IR_NOTIFY_URL: hook.url },
      { notify: { url: "https://unused.example/x", timeoutSeconds: 0.2 } },
    );
    expect(result.code).toBe(3);
    expect(result.stderr()).toContain("failed: no answer within 200 ms");
    expect(result.ms).toBeLessThan(3_000);
  });

  it("refuse a URL that is not http(s) before anything runs, without echoing it (exit 2)", async () => {
    const dir = await tempDir();
    const result = await runMain(
      ["run", FIXTURE, "--yes", "--out", join(dir, "runs"), "--notify-url", `ftp://example.com/${TOKEN}`],
      { cwd: dir, env: offlineEnv },
    );
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("--notify-url is not an http:// or https:// URL");
    expect(result.stderr()).toContain("prefer VONAGE_IR_NOTIFY_URL or notify.url in the config");
    expect(`${result.stdout()}${result.stderr()}`).not.toContain(TOKEN);
    expect(await readdir(join(dir, "runs")).catch(() => [])).toEqual([]);
  });
});
