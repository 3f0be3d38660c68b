// Every command the CLI prints for the operator to paste is run here exactly as printed (helpers/run-printed.ts):
// resume after Ctrl-C, after a failure and after exit 3; apply after plan; report; loading the new secret.
// The config and out directory sit in a directory with a space, so an unquoted or incomplete hint fails.
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import type { RequestInfo } from "./helpers/e2e-simulator.js";
import { PACKAGE_ROOT, onlyRunId, runIds } from "./helpers/run-cli.js";
import { printedLine, runPrinted } from "./helpers/run-printed.js";

const startE2eRun = e2eRunStarter();
const MANUAL_ONLY = join(PACKAGE_ROOT, "test", "fixtures", "runbooks", "manual-only.yaml");

/** A workspace whose config and out directory are below `ops files/` (relative to the CLI's cwd). */
async function spacedRun(): Promise<E2eRun & { rel: { config: string; out: string } }> {
  const e = await startE2eRun({ scenario: "compromised" });
  await e.sim.setAutoReload(false);
  await mkdir(join(e.dir, "ops files"));
  await copyFile(e.config, join(e.dir, "ops files", "incident.yaml"));
  return Object.assign(e, { rel: { config: "ops files/incident.yaml", out: "ops files/runs" } });
}

const secretCreate = (_n: number, r: RequestInfo) =>
  r.method === "POST" && /^\/accounts\/[^/]+\/secrets$/.test(r.path);

describe("printed commands work when pasted", () => {
  it("the resume hint after Ctrl-C carries --config and --out (quoted) and finishes the run", async () => {
    const e = await spacedRun();
    const stopped = await e.cli(["run", "compromise", "--config", e.rel.config, "--out", e.rel.out], {
      kill: { sim: e.sim, when: secretCreate, signal: "SIGINT" },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    const hint = printedLine(stopped.stderr, "Resume with:");
    expect(hint).toContain("--config 'ops files/incident.yaml' --out 'ops files/runs'");
    expect(hint).not.toMatch(/npx/);
    const resumed = await runPrinted(hint, { cwd: e.dir, env: e.sim.env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("Resuming compromise");
  });

  it("the resume hint after a failed step (exit 1) finishes the run", async () => {
    const e = await spacedRun();
    // The default strategy (rekey) replaces each key with a PUT: failing every one fails that step after the secrets.
    e.sim.setFaults({ errorRate: { "PUT /v2/applications/{id}": 1 } });
    const first = await e.cli(["run", "compromise", "--config", e.rel.config, "--out", e.rel.out]);
    expect(first.code, first.stderr).toBe(1);
    e.sim.setFaults({ errorRate: {} });
    const resumed = await runPrinted(printedLine(first.stderr, "Resume with:"), {
      cwd: e.dir,
      env: e.sim.env(),
    });
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});

describe("resume and apply find what the run used", () => {
  it("--resume latest without --config names the run's config file and a complete command that works", async () => {
    const e = await spacedRun();
    const stopped = await e.cli(["run", "compromise", "--config", e.rel.config, "--out", e.rel.out], {
      kill: { sim: e.sim, when: secretCreate, signal: "SIGINT" },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    const runId = await onlyRunId(join(e.dir, e.rel.out));
    const bare = await e.cli(["run", "--resume", "latest", "--out", e.rel.out]);
    expect(bare.code, bare.stderr).toBe(2);
    expect(bare.stderr).toContain(
      `--resume latest: run ${runId}, the newest of account ${e.sim.primary.apiKey}`,
    );
    expect(bare.stderr).toContain(`was started with the config ${join(e.dir, e.rel.config)}`);
    const hint = printedLine(bare.stderr, "resume with:");
    expect(hint).toContain(`run --resume ${runId} --config 'ops files/incident.yaml'`);
    const resumed = await runPrinted(hint, { cwd: e.dir, env: e.sim.env() });
    expect(resumed.code, resumed.stderr).toBe(0);
  });

  it("a run without --config resumes without one (exit 3 → the printed resume runs)", async () => {
    const e = await startE2eRun({ scenario: "clean" });
    const first = await e.cli(["run", MANUAL_ONLY, "--yes", "--out", "runs"]);
    expect(first.code, first.stderr).toBe(3);
    const hint = printedLine(first.stderr, "Resume with:");
    expect(hint).not.toContain("--config");
    const resumed = await runPrinted(hint, { cwd: e.dir, env: e.sim.env() });
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toContain("Resuming manual-only");
    expect(await runIds(join(e.dir, "runs"))).toHaveLength(1);
  });

  it("a plan made without --config applies without one; applied again, it names the run to continue (exit 4)", async () => {
    const e = await startE2eRun({ scenario: "clean" });
    const planned = await e.cli(["plan", MANUAL_ONLY, "--save", "plan.json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const apply = printedLine(planned.stderr, "apply exactly this plan with:");
    expect(apply).not.toContain("--config");
    const applied = await runPrinted(`${apply} --yes`, { cwd: e.dir, env: e.sim.env() });
    expect(applied.code, applied.stderr).toBe(3);
    const [runId] = await runIds(join(e.dir, "vonage-ir-runs"));
    const again = await runPrinted(`${apply} --yes`, { cwd: e.dir, env: e.sim.env() });
    expect(again.code, again.stderr).toBe(4);
    expect(again.stderr).toContain(
      `this plan was already applied by run ${runId ?? ""}, which ended pending (exit 3)`,
    );
    expect(again.stderr).not.toMatch(/resumable/);
    const resumed = await runPrinted(printedLine(again.stderr, "continue that run:"), {
      cwd: e.dir,
      env: e.sim.env(),
    });
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toContain("Resuming manual-only");
  });
});

describe("after the rotation", () => {
  it("apply after plan, applied again (exit 0, already applied), the report and the new secret's load commands all work as printed", async () => {
    const e = await spacedRun();
    const planned = await e.cli([
      "plan",
      "compromise",
      "--config",
      e.rel.config,
      "--save",
      "ops files/plan.json",
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    const apply = printedLine(planned.stderr, "apply exactly this plan with:");
    expect(apply).toContain("apply 'ops files/plan.json' --config 'ops files/incident.yaml'");
    const applied = await runPrinted(`${apply} --yes`, { cwd: e.dir, env: e.sim.env() });
    expect(applied.code, applied.stderr).toBe(0);

    // The end screen: the new secret's file, how to load it, the id map (rekey, the default, writes one too: each id
    // to its new key file), and what is failing now (the old secrets and the replaced application keys).
    const out = join(e.dir, "vonage-ir-runs");
    const runId = await onlyRunId(out);
    const secretFile = join(out, runId, "secrets", `api-secret-${e.sim.primary.apiKey}`);
    expect(printedLine(applied.stderr, "New API secret of")).toContain(secretFile);
    expect(printedLine(applied.stderr, "Application id map")).toContain(
      join(out, runId, "application-id-map.json"),
    );
    expect(applied.stderr).toContain(
      "Services still using the old secret or the old application keys are failing now (2 old API secret(s) revoked, 5 application key(s) replaced)",
    );
    const report = await readFile(join(out, runId, "report.md"), "utf8");
    expect(report).toContain("## After the rotation: what to do now");
    expect(report).toContain(`export VONAGE_API_SECRET="$(cat ${secretFile})"`);

    // The old secret no longer authenticates; the printed load commands give the next command the new one.
    const oldSecret = { ...e.sim.env() };
    const noSecret = { ...e.sim.env(), VONAGE_API_SECRET: undefined };
    const audit = (env: Record<string, string | undefined>, line = "") =>
      runPrinted(
        `${line}${printedLine(applied.stderr, "or for one command:").replace(/ audit .*/, " audit")}`,
        {
          cwd: e.dir,
          env,
        },
      );
    const rejected = await audit(oldSecret);
    expect(rejected.code, rejected.stderr).toBe(2);
    expect(rejected.stderr).toMatch(/rejected|401|credentials/i);
    const exported = await audit(
      noSecret,
      `${printedLine(applied.stderr, "load it without printing it:")}; `,
    );
    expect(exported.code, exported.stderr).toBe(0);
    const piped = await runPrinted(printedLine(applied.stderr, "or for one command:"), {
      cwd: e.dir,
      env: noSecret,
    });
    expect(piped.code, piped.stderr).toBe(0);

    // The same plan again: already applied, nothing done, and the printed report command prints the report.
    const again = await runPrinted(`${apply} --yes`, { cwd: e.dir, env: noSecret });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`already applied: run ${runId}, report ${join(out, runId, "report.md")}`);
    const printed = await runPrinted(printedLine(again.stderr, "print the report:"), {
      cwd: e.dir,
      env: noSecret,
    });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`- Run: \`${runId}\``);
  });
});
