// Delivery and service checks (issue 17), end to end: the built CLI against the simulator over loopback, with
// real target processes. The new secret reaches an exec target on stdin and nowhere else, a .env file is
// replaced atomically, a failing service check keeps the old secret alive (exit 3) until a resume passes it,
// and at the end the old secret answers 401. Files holding the delivered secret live outside the scanned
// workspace: they are meant to hold it.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/security/fingerprint.js";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { PACKAGE_ROOT } from "./helpers/run-cli.js";
import { writeConfig } from "./helpers/write-config.js";

const start = e2eRunStarter();
/** Directories outside the workspaces (they hold delivered values): removed after the file's tests. */
const outside: string[] = [];
afterAll(() => Promise.all(outside.map((d) => rm(d, { recursive: true, force: true }))));

async function outsideDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  outside.push(dir);
  return dir;
}
const RECORDER = join(PACKAGE_ROOT, "test", "fixtures", "deliver", "record-target.mjs");
const CHECK = join(PACKAGE_ROOT, "test", "fixtures", "deliver", "service-check.mjs");
const FAILING = join(PACKAGE_ROOT, "test", "fixtures", "deliver", "failing-target.mjs");
/** Replaced by the simulator's URL once the workspace exists (the config is written before). */
const e2eUrlPlaceholder = "http://simulator.invalid";

/** The HTTP status of a secrets listing with `secret` (200: it authenticates, 401: it is rejected). */
async function statusWith(e: E2eRun, secret: string): Promise<number> {
  const key = e.sim.primary.apiKey;
  const response = await fetch(`${e.sim.url}/accounts/${key}/secrets`, {
    headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` },
  });
  return response.status;
}

async function newSecretOf(e: E2eRun, runId: string): Promise<string> {
  const path = join(e.runDir(runId), "secrets", `api-secret-${e.sim.primary.apiKey}`);
  return (await readFile(path, "utf8")).trim();
}

/** Reads /proc/<pid>/cmdline and environ of every target process while it runs (it waits for us). */
function watchTargets(dir: string, until: Promise<unknown>): Promise<{ cmdline: string; environ: string }[]> {
  const seen = new Map<string, { cmdline: string; environ: string }>();
  let finished = false;
  void until.finally(() => (finished = true));
  const poll = async (): Promise<void> => {
    while (!finished) {
      for (const name of await readdir(dir)) {
        if (!name.startsWith("pid-") || seen.has(name)) continue;
        const pid = name.split("-").at(-1) ?? "";
        const [cmdline, environ] = await Promise.all([
          readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""),
          readFile(`/proc/${pid}/environ`, "utf8").catch(() => ""),
        ]);
        seen.set(name, { cmdline, environ });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return poll().then(() => [...seen.values()]);
}

interface Recorded {
  stdin: string;
  argv: string[];
  env: Record<string, string>;
  cmdline: string;
  environ: string;
}

async function records(dir: string): Promise<Recorded[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith("record-"));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), "utf8")) as Recorded));
}

describe.concurrent("deliver: an exec target", () => {
  it("gets the new secret on stdin and nowhere else (argv, environment, /proc/<pid>/cmdline), with its metadata", async () => {
    const dir = await outsideDir("vonage-ir-target-");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [{ name: "recorder", exec: [process.execPath, RECORDER, dir], for: ["api-secret"] }],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const running = e.run();
    const [result, watched] = await Promise.all([running, watchTargets(dir, running)]);
    expect(result.code, result.stderr).toBe(0);
    const [runId] = await e.runIds();
    const value = await newSecretOf(e, runId ?? "");
    const operator = e.sim.primary.apiSecret;

    const [record, ...more] = await records(dir);
    expect(more).toEqual([]);
    if (!record) throw new Error("the target did not run");
    expect(record.stdin).toBe(value);
    for (const text of [
      JSON.stringify(record.argv),
      JSON.stringify(record.env),
      record.cmdline,
      record.environ,
      ...watched.flatMap((w) => [w.cmdline, w.environ]),
    ]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(operator);
    }
    expect(watched).toHaveLength(1);
    expect(watched[0]?.cmdline).toContain("record-target.mjs");
    expect(record.env.VONAGE_API_SECRET).toBeUndefined();
    expect(record.env.DEBUG).toBeUndefined();
    expect(record.env).toMatchObject({
      VONAGE_IR_ITEM: "api-secret",
      VONAGE_IR_API_KEY: e.sim.primary.apiKey,
      VONAGE_IR_APPLICATION_ID: "",
      VONAGE_IR_FINGERPRINT: fingerprint(value),
      VONAGE_IR_RUN_ID: runId,
    });

    const key = e.sim.primary.apiKey;
    expect(result.stderr + result.stdout).toContain(`deliver api-secret of ${key} to exec:recorder`);
    // The target echoed the value on stderr: shown redacted, never as it is.
    expect(result.stderr + result.stdout).toContain("debug: received value [redacted]");
    const journal = await readFile(join(e.runDir(runId ?? ""), "journal.jsonl"), "utf8");
    const deliverId = `secrets:deliver/exec:recorder/${key}`;
    expect(journal).toContain(`"t":"intent","changeId":"${deliverId}"`);
    expect(journal).toContain(`"t":"done","changeId":"${deliverId}"`);
    expect(await readFile(join(e.runDir(runId ?? ""), "report.md"), "utf8")).toMatch(
      /deliver api-secret of \w+ to exec:recorder/,
    );
    expect(await statusWith(e, operator)).toBe(401);
    expect(await statusWith(e, value)).toBe(200);
    expect(await e.scan()).toEqual([]);
  });

  it("is a change of the dry run, which runs no target", async () => {
    const dir = await outsideDir("vonage-ir-target-");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [{ name: "vault-prod", exec: [process.execPath, RECORDER, dir], for: ["api-secret"] }],
          verify: [{ name: "health", run: [process.execPath, CHECK, join(dir, "missing")] }],
        },
      },
    );
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const shown = result.stdout + result.stderr;
    expect(shown).toContain(`> deliver api-secret of ${e.sim.primary.apiKey} to exec:vault-prod`);
    expect(shown).toContain("= check the services: health");
    expect(shown).toContain("= prove the secret this run started with is rejected (401)");
    expect(await readdir(dir)).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("deliver: a crash while a target runs", () => {
  it("delivers again on resume (intent without done), and the run ends with the old secret rejected", async () => {
    const dir = await outsideDir("vonage-ir-target-");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [
            {
              name: "recorder",
              exec: [process.execPath, RECORDER, dir, `${e2eUrlPlaceholder}/_marker/deliver`],
              for: ["api-secret"],
            },
          ],
        },
      },
    );
    await writeFile(e.config, (await readFile(e.config, "utf8")).replace(e2eUrlPlaceholder, e.sim.url));
    await e.sim.setAutoReload(false);
    // The target's own request marks "delivery under way": vonage-ir is SIGKILLed there.
    const first = await e.run([], {
      kill: { sim: e.sim, when: (_n, info) => info.path.startsWith("/_marker/") },
    });
    expect(first.killed).toBe(true);
    const [runId] = await e.runIds();
    const journal = await readFile(join(e.runDir(runId ?? ""), "journal.jsonl"), "utf8");
    const deliverId = `secrets:deliver/exec:recorder/${e.sim.primary.apiKey}`;
    expect(journal).toContain(`"t":"intent","changeId":"${deliverId}"`);
    expect(journal).not.toContain(`"t":"done","changeId":"${deliverId}"`);
    const resumed = await e.resume(runId ?? "");
    expect(resumed.code, resumed.stderr).toBe(0);
    const value = await newSecretOf(e, runId ?? "");
    // Both attempts got the same value (the orphaned first target finishes on its own).
    for (let i = 0; i < 50 && (await records(dir)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await records(dir)).toHaveLength(2);
    for (const record of await records(dir)) expect(record.stdin).toBe(value);
    expect(await statusWith(e, e.sim.primary.apiSecret)).toBe(401);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("deliver: a dotenv target", () => {
  it("sets the key, keeps every other line and comment, leaves the file 0600, and warns inside a git work tree", async () => {
    const dir = await outsideDir("vonage-ir-dotenv-");
    const file = join(dir, ".env");
    const before = [
      "# production settings",
      "VONAGE_API_KEY=abcd1234",
      "VONAGE_API_SECRET=old-value-0",
      "",
      'export GREETING="hello world" # a comment',
      "PORT=8080",
    ];
    await writeFile(file, `${before.join("\n")}\n`, { mode: 0o644 });
    await mkdir(join(dir, ".git"));
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [{ name: "app", dotenv: { file, key: "VONAGE_API_SECRET" }, for: ["api-secret"] }],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const [runId] = await e.runIds();
    const value = await newSecretOf(e, runId ?? "");
    const after = (await readFile(file, "utf8")).split("\n");
    expect(after).toEqual([...before.slice(0, 2), `VONAGE_API_SECRET=${value}`, ...before.slice(3), ""]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual([".env", ".git"]);
    expect(result.stderr).toContain(`${file} is inside the git work tree ${dir}: make sure it is ignored`);
    expect(await e.scan()).toEqual([]);
  });

  it("several targets on one file, each its own key: every key lands (writes to one file are serialised)", async () => {
    const dir = await outsideDir("vonage-ir-dotenv-");
    const file = join(dir, ".env");
    await writeFile(file, "# shared by the services\nPORT=8080\n", { mode: 0o600 });
    const e = await start({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    // The primary's secret and every rotated subaccount's, each into its own key of the one file.
    const rotated = e.sim.initialState.subaccounts.filter((s) => !s.suspended).map((s) => s.apiKey);
    expect(rotated.length).toBeGreaterThan(1);
    const keyOf = (apiKey: string) => `VONAGE_API_SECRET_${apiKey.toUpperCase()}`;
    await writeConfig(e.dir, e.sim, {
      values: { "secrets.rotateSubaccounts": true },
      settings: {
        deliver: [
          { name: "primary", dotenv: { file, key: "VONAGE_API_SECRET" }, for: ["api-secret"] },
          ...rotated.map((apiKey) => ({
            name: `sub-${apiKey}`,
            dotenv: { file, key: keyOf(apiKey) },
            for: [`subaccount:${apiKey}`],
          })),
        ],
      },
    });
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const [runId] = await e.runIds();
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.slice(0, 2)).toEqual(["# shared by the services", "PORT=8080"]);
    expect(lines).toContain(`VONAGE_API_SECRET=${await newSecretOf(e, runId ?? "")}`);
    for (const apiKey of rotated) {
      const sink = await readFile(join(e.runDir(runId ?? ""), "secrets", `api-secret-${apiKey}`), "utf8");
      expect(lines).toContain(`${keyOf(apiKey)}=${sink.trim()}`);
    }
    expect(await e.scan()).toEqual([]);
  });

  it("is replaced atomically: a process killed between write and rename leaves the old file whole", async () => {
    const dir = await outsideDir("vonage-ir-dotenv-");
    const file = join(dir, ".env");
    const old = "# keep me\nVONAGE_API_SECRET=old-value-0\nPORT=8080\n";
    await writeFile(file, old, { mode: 0o600 });
    const module = join(PACKAGE_ROOT, "dist", "security", "write-dotenv.js");
    // The checkpoint blocks the writer right before the rename; the test kills it there with SIGKILL.
    const script = `
      const { writeDotenv } = await import(${JSON.stringify(module)});
      await writeDotenv(${JSON.stringify(file)}, "VONAGE_API_SECRET", "new-value-1", { checkpoint: (point) => {
        process.stdout.write(point + "\\n");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
      } });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("before-rename")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`the writer exited (${String(code)}) before the rename`)));
    });
    const temp = (await readdir(dir)).filter((n) => n !== ".env");
    expect(temp).toHaveLength(1);
    expect(await readFile(join(dir, temp[0] ?? ""), "utf8")).toContain("VONAGE_API_SECRET=new-value-1");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
    expect(await readFile(file, "utf8")).toBe(old);
  });
});

describe.concurrent("deliver: a target that still fails after its retries", () => {
  it("is pending: the old secret keeps working, the later steps run, exit 3 naming the target and the resume; a resume with the target fixed revokes", async () => {
    const dir = await outsideDir("vonage-ir-failing-");
    const flag = join(dir, "reachable");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [
            {
              name: "store",
              exec: [process.execPath, FAILING, flag],
              for: ["api-secret"],
              retries: 1,
              backoffSeconds: 0.1,
            },
          ],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const operator = e.sim.primary.apiSecret;
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const [runId] = await e.runIds();
    expect(first.stderr).toContain(
      `deliver api-secret of ${e.sim.primary.apiKey} to exec:store failed after 2 attempt(s): exit 1: store unreachable: ${flag} is missing (got [redacted])`,
    );
    expect(first.stderr).toContain("the old API secret was not revoked");
    expect(first.stderr).toMatch(/fix the target exec:store, then resume: \S.* run --resume \S+ --config/);
    expect(await statusWith(e, operator)).toBe(200);
    // The steps after secrets, which stop the spend, still ran: the attacker's subaccounts are suspended.
    const state = e.sim.dumpState();
    expect(e.sim.meta.attackerSubaccountKeys.length).toBeGreaterThan(0);
    for (const key of e.sim.meta.attackerSubaccountKeys)
      expect(state.subaccounts.find((s) => s.apiKey === key)?.suspended).toBe(true);

    await writeFile(flag, "");
    const resumed = await e.resume(runId ?? "");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await statusWith(e, operator)).toBe(401);
    const value = await newSecretOf(e, runId ?? "");
    expect(e.sim.dumpState().primary.secrets.map((s) => s.value)).toEqual([value]);
    expect(await e.scan()).toEqual([]);
  });

  it("a dotenv file that does not exist is not created: pending, the old secret kept; with `create: true` it is", async () => {
    const dir = await outsideDir("vonage-ir-dotenv-");
    const file = join(dir, "typo", "..", ".env");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [
            { name: "app", dotenv: { file, key: "VONAGE_API_SECRET" }, for: ["api-secret"], retries: 0 },
          ],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const operator = e.sim.primary.apiSecret;
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toContain(
      `file ${join(dir, ".env")} does not exist: create it or set \`create: true\` on the target`,
    );
    expect(await readdir(dir)).toEqual([]);
    expect(await statusWith(e, operator)).toBe(200);
    expect(await e.scan()).toEqual([]);

    const created = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [
            { name: "app", dotenv: { file, key: "VONAGE_API_SECRET", create: true }, for: ["api-secret"] },
          ],
        },
      },
    );
    await created.sim.setAutoReload(false);
    const second = await created.run();
    expect(second.code, second.stderr).toBe(0);
    const [runId] = await created.runIds();
    const value = await newSecretOf(created, runId ?? "");
    expect(await readFile(join(dir, ".env"), "utf8")).toBe(`VONAGE_API_SECRET=${value}\n`);
    expect((await stat(join(dir, ".env"))).mode & 0o777).toBe(0o600);
    expect(await statusWith(created, created.sim.primary.apiSecret)).toBe(401);
    expect(await created.scan()).toEqual([]);
  });
});

describe.concurrent("verify: service checks before the old secret is revoked", () => {
  it("a failing check keeps the old secret working and exits 3 with its output; a passing one on resume revokes, and the old secret answers 401", async () => {
    const dir = await outsideDir("vonage-ir-check-");
    const flag = join(dir, "healthy");
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [{ name: "recorder", exec: [process.execPath, RECORDER, dir], for: ["api-secret"] }],
          verify: [
            {
              name: "health",
              run: [process.execPath, CHECK, flag],
              intervalSeconds: 0.2,
              deadlineSeconds: 0.6,
            },
          ],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const operator = e.sim.primary.apiSecret;
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toContain("service check health failed");
    expect(first.stderr).toContain(`service unhealthy: ${flag} is missing`);
    expect(await statusWith(e, operator)).toBe(200);
    const [runId] = await e.runIds();
    const value = await newSecretOf(e, runId ?? "");
    expect(await statusWith(e, value)).toBe(200);
    expect(e.sim.dumpState().primary.secrets).toHaveLength(2);

    // The checks are part of what the run was planned with: a resume with other ones is refused, naming them.
    const config = await readFile(e.config, "utf8");
    await writeFile(e.config, config.replace("deadlineSeconds: 0.6", "deadlineSeconds: 5"));
    const changed = await e.resume(runId ?? "");
    expect(changed.code, changed.stderr).toBe(2);
    expect(changed.stderr).toContain("input verify (changed)");
    await writeFile(e.config, config);

    await writeFile(flag, "");
    const resumed = await e.resume(runId ?? "");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await statusWith(e, operator)).toBe(401);
    expect(e.sim.dumpState().primary.secrets.map((s) => s.value)).toEqual([value]);
    const report = await readFile(join(e.runDir(runId ?? ""), "report.md"), "utf8");
    expect(report).toContain("check the services: health");
    expect(report).toMatch(/the old secret answers 401, [\d.]+ s after the new one was proven/);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("deliver: application keys (rekey)", () => {
  it("delivers each selected application's new private key right after its rekey, with the measured gap in the report", async () => {
    const dir = await outsideDir("vonage-ir-target-");
    const e = await start({ scenario: "compromised" });
    const app = e.sim.initialState.applications.find((a) => a.owner === e.sim.primary.apiKey);
    if (!app) throw new Error("the scenario has no application");
    await writeFile(
      e.config,
      (await readFile(e.config, "utf8")) +
        `deliver:\n  - name: keys\n    exec: [${JSON.stringify(process.execPath)}, ${JSON.stringify(RECORDER)}, ${JSON.stringify(dir)}]\n    for: [${JSON.stringify(`application:${app.id}`)}]\n`,
    );
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const [runId] = await e.runIds();
    const pem = await readFile(join(e.runDir(runId ?? ""), "secrets", `app-${app.id}.key`), "utf8");
    const [record, ...more] = await records(dir);
    expect(more).toEqual([]);
    if (!record) throw new Error("the target did not run");
    expect(record.stdin).toBe(pem);
    expect(record.env).toMatchObject({ VONAGE_IR_ITEM: "application-key", VONAGE_IR_APPLICATION_ID: app.id });
    expect(record.env.VONAGE_IR_FINGERPRINT).toMatch(/^sha256:/);
    for (const text of [
      JSON.stringify(record.argv),
      JSON.stringify(record.env),
      record.cmdline,
      record.environ,
    ])
      expect(text).not.toContain("PRIVATE KEY");
    const report = await readFile(join(e.runDir(runId ?? ""), "report.md"), "utf8");
    expect(report).toMatch(
      new RegExp(
        `deliver application-key of ${app.id} to exec:keys \\(delivered; [\\d.]+ s after the key was replaced\\)`,
      ),
    );
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("verify: service checks before old applications are deleted (recreate)", () => {
  it("delivers the replacement's key with its new id, and deletes no old application until the checks pass", async () => {
    const dir = await outsideDir("vonage-ir-check-");
    const flag = join(dir, "healthy");
    const e = await start({ scenario: "compromised" }, { values: { "applications.strategy": "recreate" } });
    const app = e.sim.initialState.applications.find((a) => a.owner === e.sim.primary.apiKey);
    if (!app) throw new Error("the scenario has no application");
    const settings = {
      deliver: [{ name: "keys", exec: [process.execPath, RECORDER, dir], for: [`application:${app.id}`] }],
      verify: [
        { name: "health", run: [process.execPath, CHECK, flag], intervalSeconds: 0.2, deadlineSeconds: 0.4 },
      ],
    };
    const { stringify } = await import("yaml");
    await writeFile(e.config, (await readFile(e.config, "utf8")) + stringify(settings));
    await e.sim.setAutoReload(false);
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const oldIds = e.sim.initialState.applications
      .filter((a) => a.owner === e.sim.primary.apiKey)
      .map((a) => a.id);
    const live = () => e.sim.dumpState().applications.map((a) => a.id);
    for (const id of oldIds) expect(live()).toContain(id);
    const [record] = await records(dir);
    if (!record) throw new Error("the target did not run");
    const newId = record.env.VONAGE_IR_APPLICATION_ID ?? "";
    expect(newId).not.toBe(app.id);
    expect(live()).toContain(newId);
    const [runId] = await e.runIds();
    expect(record.stdin).toBe(
      await readFile(join(e.runDir(runId ?? ""), "secrets", `app-${newId}.key`), "utf8"),
    );

    await writeFile(flag, "");
    const resumed = await e.resume(runId ?? "");
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const id of oldIds) expect(live()).not.toContain(id);
    expect(await records(dir)).toHaveLength(1);
    expect(await e.scan()).toEqual([]);
  });
});

describe("verify: in a terminal", () => {
  it("shows the failing check live and lets the operator revoke anyway, journaled as their decision", async () => {
    const { startE2eSimulator } = await import("./helpers/e2e-simulator.js");
    const { KEY, PtySession, REPO_ROOT } = await import("./helpers/pty-session.js");
    const sim = await startE2eSimulator({ scenario: "compromised" });
    const dir = await outsideDir("vonage-ir-check-pty-");
    try {
      const config = join(dir, "vonage-ir.yaml");
      await writeFile(
        config,
        [
          `compromisedSince: "${sim.meta.compromisedSince}"`,
          `secrets: { revokeFirst: ${sim.meta.attackerSecretIds[0]} }`,
          "verify:",
          `  - { name: health, run: [${JSON.stringify(process.execPath)}, ${JSON.stringify(CHECK)}, ${JSON.stringify(join(dir, "never"))}], intervalSeconds: 0.2, deadlineSeconds: 0.4 }`,
          "",
        ].join("\n"),
      );
      const runbook = join(REPO_ROOT, "test/fixtures/runbooks/rotate-secrets-confirmed.yaml");
      const pty = new PtySession(["run", runbook, "--config", config, "--out", join(dir, "runs")], {
        cwd: dir,
        env: sim.env(),
      });
      await pty.waitFor(/Proceed\? \(y\/N\)/);
      pty.line("y");
      await pty.waitFor("Your name or email");
      pty.line("Grace");
      await pty.waitFor(/Apply \d+ change\(s\) of "Rotate the API secret\(s\)"\? \(y\/N\)/);
      pty.line("y");
      const asked = await pty.waitFor(/Service check health still fails/);
      expect(asked).toContain("service check health, attempt 1: exit 1");
      expect(pty.screen).toContain("service unhealthy:");
      // The cursor starts on "wait": one down is "revoke anyway".
      await pty.waitFor(/revoke anyway/);
      pty.type(KEY.down);
      pty.type(KEY.enter);
      await pty.waitFor(/Run \S+: \w+ \(exit \d+\)/);
      expect(await pty.exited).toBe(0);
      expect(await statusWithSim(sim, sim.primary.apiSecret)).toBe(401);
      const [runId] = (await readdir(join(dir, "runs"))).filter((n) => /^\d{8}-/.test(n));
      const journal = await readFile(join(dir, "runs", runId ?? "", "journal.jsonl"), "utf8");
      expect(journal).toContain('"decision":"revoke anyway"');
      // The operator's decision says who made it.
      const decision = journal.split("\n").find((line) => line.includes('"decision":"revoke anyway"'));
      expect(JSON.parse(decision ?? "{}").actor?.operator).toBe("Grace");
    } finally {
      await sim.close();
    }
  });
});

async function statusWithSim(
  sim: { url: string; primary: { apiKey: string } },
  secret: string,
): Promise<number> {
  const key = sim.primary.apiKey;
  const response = await fetch(`${sim.url}/accounts/${key}/secrets`, {
    headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` },
  });
  return response.status;
}
