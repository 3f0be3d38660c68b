// The shipped compromise runbook through main(), against a `compromised` simulator: dry run sends no write,
// plan --save → apply round trip, tampered plan refused, drift refused, resume after a crash between intent
// and done repeats no completed change.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StampedRecord } from "../../../src/core/journal-records.js";
import type { Plan } from "../../../src/core/plan.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import {
  compromiseConfig,
  fakeIo,
  removeTempDirs,
  runMain,
  simEnv,
  tempDir,
  writeConfig,
} from "../../helpers/cli-io.js";
import { main } from "../../../src/cli/main.js";

const sims: RunningSimulator[] = [];

afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
  await removeTempDirs();
});

interface Setup {
  sim: RunningSimulator;
  dir: string;
  out: string;
  config: string;
  main(argv: string[]): ReturnType<typeof runMain>;
}

async function setup(): Promise<Setup> {
  const sim = await startSimulator({ scenario: "compromised", port: 0 });
  sims.push(sim);
  const dir = await tempDir();
  const config = await writeConfig(dir, compromiseConfig(sim));
  const out = join(dir, "runs");
  return {
    sim,
    dir,
    out,
    config,
    main: (argv) => runMain(argv, { env: simEnv(sim), cwd: dir }),
  };
}

/** Requests that may change state: everything but GETs and the settings read (an empty POST). */
function writes(sim: RunningSimulator, from = 0): string[] {
  return sim
    .requests()
    .slice(from)
    .filter((r) => r.method !== "GET" && !(r.method === "POST" && r.path === "/account/settings"))
    .map((r) => `${r.method} ${r.path}`);
}

async function putState(sim: RunningSimulator, state: unknown): Promise<void> {
  const response = await fetch(`${sim.url}/_sim/state`, {
    method: "PUT",
    headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(state),
  });
  expect(response.status).toBeLessThan(300);
}

async function onlyRun(out: string): Promise<string> {
  const runs = (await readdir(out)).filter((name) => !name.startsWith("."));
  expect(runs).toHaveLength(1);
  return runs[0] ?? "";
}

describe("run compromise --dry-run", () => {
  it("sends only reads and leaves the simulator's state unchanged", async () => {
    const s = await setup();
    const before = s.sim.dumpState();
    const result = await s.main(["run", "compromise", "--dry-run", "--config", s.config, "--out", s.out]);
    expect(result.stderr()).toContain("Dry run: nothing was changed");
    expect(result.code).toBe(0);
    expect(s.sim.requests().length).toBeGreaterThan(0);
    expect(writes(s.sim)).toEqual([]);
    expect(s.sim.dumpState()).toEqual(before);
    expect(result.stderr()).toContain(`- revoke secret ${s.sim.meta.attackerSecretIds[0]?.slice(0, 8)}`);
  });
});

describe("plan --save, then apply", () => {
  it("applies exactly the saved plan", async () => {
    const s = await setup();
    const planned = await s.main(["plan", "compromise", "--config", s.config, "--save", "plan.json"]);
    expect(planned.stderr()).toContain("Plan saved to plan.json");
    expect(planned.code).toBe(0);
    expect(writes(s.sim)).toEqual([]);
    const saved = JSON.parse(await readFile(join(s.dir, "plan.json"), "utf8")) as Plan & { sha256: string };
    expect(saved.sha256).toMatch(/^[0-9a-f]{64}$/);

    const applied = await s.main(["apply", "plan.json", "--yes", "--config", s.config, "--out", s.out]);
    expect(applied.code).toBe(3);
    const state = s.sim.dumpState();
    expect(state.primary.secrets.map((x) => x.id)).not.toContain(s.sim.meta.attackerSecretIds[0]);
    for (const key of s.sim.meta.attackerSubaccountKeys) {
      expect(state.subaccounts.find((sub) => sub.apiKey === key)?.suspended).toBe(true);
    }
    for (const key of s.sim.meta.legitimateSubaccountKeys) {
      expect(state.subaccounts.find((sub) => sub.apiKey === key)?.suspended).toBe(false);
    }

    const runId = await onlyRun(s.out);
    const records = (await readFile(join(s.out, runId, "journal.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StampedRecord);
    const planRecord = records.find((r) => r.t === "plan");
    const ids = (plan: Plan) => plan.steps.flatMap((step) => step.changes.map((c) => c.id));
    expect(planRecord?.t === "plan" && ids(planRecord.plan)).toEqual(ids(saved));
    const intents = new Set(records.flatMap((r) => (r.t === "intent" ? [r.changeId] : [])));
    expect([...intents].every((id) => ids(saved).includes(id))).toBe(true);

    // No secret value (the operator's, or one generated into the sink) reaches any output but the sink.
    const runDir = join(s.out, runId);
    const sinkFiles = await readdir(join(runDir, "secrets"), { recursive: true, withFileTypes: true });
    const secrets = [s.sim.primary.apiSecret];
    for (const entry of sinkFiles) {
      if (!entry.isFile() || entry.name.endsWith(".txt")) continue;
      const text = (await readFile(join(entry.parentPath, entry.name), "utf8")).trim();
      if (!text.includes("PUBLIC KEY"))
        secrets.push(text.split("\n").find((l) => !l.startsWith("-----")) ?? text);
    }
    expect(secrets.length).toBeGreaterThan(3); // the API secret, the new one, the application keys
    const outputs = [planned.stdout(), planned.stderr(), applied.stdout(), applied.stderr()];
    for (const entry of await readdir(runDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.parentPath.includes(join(runDir, "secrets"))) continue;
      outputs.push(await readFile(join(entry.parentPath, entry.name), "utf8"));
    }
    for (const secret of secrets) {
      for (const output of outputs) expect(output.includes(secret)).toBe(false);
    }
  });

  it("refuses a plan file edited after it was saved (exit 2) and sends nothing", async () => {
    const s = await setup();
    expect((await s.main(["plan", "compromise", "--config", s.config, "--save", "plan.json"])).code).toBe(0);
    const path = join(s.dir, "plan.json");
    const saved = JSON.parse(await readFile(path, "utf8")) as Plan & { sha256: string };
    const secrets = saved.steps.find((step) => step.id === "secrets");
    expect(secrets?.changes.length).toBeGreaterThan(0);
    secrets?.changes.splice(0, 1);
    await writeFile(path, JSON.stringify(saved, null, 2));
    const before = s.sim.requests().length;

    const result = await s.main(["apply", "plan.json", "--yes", "--config", s.config, "--out", s.out]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`${path} sha256: the plan's content does not match its sha256`);
    expect(s.sim.requests().length).toBe(before);
  });

  it("refuses with exit 4 when live state drifted after the plan, and changes nothing after the refusal", async () => {
    const s = await setup();
    expect((await s.main(["plan", "compromise", "--config", s.config, "--save", "plan.json"])).code).toBe(0);
    // Someone else (the attacker?) revokes the secret the plan revokes first.
    const attacker = s.sim.meta.attackerSecretIds[0];
    const state = s.sim.dumpState();
    state.primary.secrets = state.primary.secrets.filter((secret) => secret.id !== attacker);
    await putState(s.sim, state);
    const before = s.sim.requests().length;
    const drifted = s.sim.dumpState();

    const result = await s.main(["apply", "plan.json", "--yes", "--config", s.config, "--out", s.out]);
    expect(result.code).toBe(4);
    // Refused while `apply` re-plans the saved plan against live state, before the run directory exists.
    expect(result.stderr()).toContain(
      "refused: the saved plan is not what the runbook plans against live state now",
    );
    expect(result.stderr()).toContain(`secrets.revokeFirst ${attacker} is not a secret of any account`);
    const runs = await readdir(s.out).catch(() => [] as string[]);
    expect(runs.filter((name) => !name.startsWith("."))).toEqual([]);
    expect(writes(s.sim, before)).toEqual([]);
    expect(s.sim.dumpState()).toEqual(drifted);
  });
});

describe("run --resume after a crash between intent and done", () => {
  it("does not repeat completed changes and reconciles the open one", async () => {
    const s = await setup();
    const first = await s.main(["run", "compromise", "--yes", "--config", s.config, "--out", s.out]);
    expect(first.code).toBe(3);
    const runId = await onlyRun(s.out);
    const path = join(s.out, runId, "journal.jsonl");
    const lines = (await readFile(path, "utf8")).split("\n").filter(Boolean);
    const suspend = lines.findIndex((line) => {
      const record = JSON.parse(line) as StampedRecord;
      return record.t === "intent" && record.changeId.startsWith("subaccounts:suspend/");
    });
    expect(suspend).toBeGreaterThan(0);
    const doneBefore = lines
      .slice(0, suspend)
      .map((line) => JSON.parse(line) as StampedRecord)
      .flatMap((r) => (r.t === "done" ? [r.changeId] : []));
    expect(doneBefore.some((id) => id.startsWith("secrets:"))).toBe(true);
    await writeFile(path, `${lines.slice(0, suspend + 1).join("\n")}\n`);
    // A crash there leaves no report of the records after it (the report pins the journal's last record: a
    // report.json that names records no longer there is a cut journal, which a resume refuses).
    await rm(join(s.out, runId, "report.json"));
    const before = s.sim.requests().length;

    const resumed = await s.main(["run", "--resume", runId, "--yes", "--config", s.config, "--out", s.out]);
    expect(resumed.stderr()).toContain(`Resuming compromise`);
    expect(resumed.code).toBe(3);
    // Only the open suspension is sent again (it is idempotent); no secret, application or number write.
    expect(writes(s.sim, before)).toEqual([
      `PATCH /accounts/${s.sim.primary.apiKey}/subaccounts/${s.sim.meta.attackerSubaccountKeys[0]}`,
    ]);
    const after = (await readFile(path, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StampedRecord)
      .slice(suspend + 1);
    const redone = after.flatMap((r) => (r.t === "intent" || r.t === "done" ? [r.changeId] : []));
    for (const id of doneBefore) expect(redone).not.toContain(id);
  });
});

describe("decisions missing from the config", () => {
  it("a non-interactive run without compromisedSince fails before planning, naming the config key (exit 2)", async () => {
    const s = await setup();
    const config = await writeConfig(s.dir, { secrets: { revokeFirst: "x" } }, "partial.yaml");
    const result = await s.main(["run", "compromise", "--yes", "--config", config, "--out", s.out]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`${config} compromisedSince: required input is not set`);
    expect(s.sim.requests()).toEqual([]);
  });

  it("without secrets.revokeFirst on a key with two suspect secrets, the plan fails naming the key, and nothing is written", async () => {
    const s = await setup();
    // Both secrets were created after this date: which one to revoke first is the operator's decision.
    const { secrets: _omitted, ...rest } = compromiseConfig(s.sim);
    const config = await writeConfig(
      s.dir,
      { ...rest, compromisedSince: "2020-01-01T00:00:00Z" },
      "partial.yaml",
    );
    const result = await s.main(["run", "compromise", "--yes", "--config", config, "--out", s.out]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("secrets.revokeFirst");
    expect(writes(s.sim)).toEqual([]);
  });
});

describe("--json --dry-run", () => {
  it("prints only JSON event lines on stdout", async () => {
    const s = await setup();
    const result = await s.main(["run", "compromise", "--dry-run", "--json", "--config", s.config]);
    expect(result.code).toBe(0);
    const lines = result.stdout().trimEnd().split("\n");
    const kinds = lines.map((line) => (JSON.parse(line) as { v: number; kind: string }).kind);
    expect(kinds[0]).toBe("run.started");
    expect(kinds).toContain("plan.ready");
    expect(result.stdout()).not.toContain(s.sim.primary.apiSecret);
    expect(writes(s.sim)).toEqual([]);
  });
});

describe("SIGINT during a run of the compromise runbook", () => {
  it("finishes the change in flight, exits 130 with a consistent journal, and a resume completes the run", async () => {
    let abort: (() => void) | undefined;
    const sim = await startSimulator({
      scenario: "compromised",
      port: 0,
      // The operator presses Ctrl-C while the first application is being created.
      onRequest: (_count, info) => {
        if (info.method === "POST" && info.path === "/v2/applications") abort?.();
      },
    });
    sims.push(sim);
    const applications = sim.dumpState().applications.length;
    const dir = await tempDir();
    // The Ctrl-C lands on a create of applications.recreate (rekey is the default).
    const config = await writeConfig(dir, {
      ...compromiseConfig(sim),
      applications: { strategy: "recreate" },
    });
    const out = join(dir, "runs");
    const io = fakeIo({ env: simEnv(sim), cwd: dir });
    abort = () => io.controller.abort("SIGINT");
    const code = await main(["run", "compromise", "--yes", "--config", config, "--out", out], io.io);
    abort = undefined;
    expect(code).toBe(130);
    expect(io.stderr()).toContain("aborted by the operator");

    const runId = await onlyRun(out);
    const records = (await readFile(join(out, runId, "journal.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StampedRecord);
    const intents = records.flatMap((r) => (r.t === "intent" ? [r.changeId] : []));
    const closed = records.flatMap((r) =>
      r.t === "done" || r.t === "failed" || r.t === "pending" || r.t === "skipped" ? [r.changeId] : [],
    );
    expect(intents.filter((id) => !closed.includes(id))).toEqual([]);
    expect(intents.some((id) => id.endsWith("/create") && id.startsWith("applications:"))).toBe(true);
    expect(records.at(-1)).toMatchObject({ t: "end", status: "aborted", exitCode: 130 });
    const suspendedBefore = writes(sim).filter((w) => w.startsWith("PATCH"));
    expect(suspendedBefore).toEqual([]);

    const before = sim.requests().length;
    const resumed = await runMain(["run", "--resume", runId, "--yes", "--config", config, "--out", out], {
      env: simEnv(sim),
      cwd: dir,
    });
    expect(resumed.code).toBe(3);
    const resumedWrites = writes(sim, before);
    expect(resumedWrites.filter((w) => w.startsWith("DELETE /accounts/"))).toEqual([]);
    expect(resumedWrites.filter((w) => w.startsWith("PATCH"))).toHaveLength(1);
    // Every application was replaced exactly once across the interrupted run and its resume.
    expect(writes(sim).filter((w) => w === "POST /v2/applications")).toHaveLength(applications);
    const state = sim.dumpState();
    expect(state.applications).toHaveLength(applications);
    for (const key of sim.meta.attackerSubaccountKeys) {
      expect(state.subaccounts.find((sub) => sub.apiKey === key)?.suspended).toBe(true);
    }
  });
});
