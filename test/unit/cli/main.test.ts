// main(argv, io) in-process: help, usage errors with hints, mode detection, credentials, list, --json.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reportError } from "../../../src/cli/main.js";
import { fakeIo, offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

const MANUAL_ONLY = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");

afterEach(removeTempDirs);

describe("--help", () => {
  it("exits 0 and lists the commands and the exit codes", async () => {
    const result = await runMain(["--help"]);
    expect(result.code).toBe(0);
    const help = result.stdout();
    for (const command of ["run", "plan", "apply", "list", "validate", "report", "simulate", "drill"]) {
      expect(help).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
    }
    for (const code of ["0", "1", "2", "3", "4", "130"])
      expect(help).toMatch(new RegExp(`^  ${code} +\\S`, "m"));
    expect(result.stderr()).toBe("");
  });

  it("a command's --help shows its usage and options and exits 0", async () => {
    const result = await runMain(["run", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout()).toContain("Usage: vonage-ir run <runbook id or file>");
    expect(result.stdout()).toContain("--dry-run");
    expect(result.stdout()).toContain("--resume RUN-ID");
  });

  it("--version prints the package version and exits 0", async () => {
    const result = await runMain(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("no command prints the help and exits 2", async () => {
    const result = await runMain([]);
    expect(result.code).toBe(2);
    expect(result.stdout()).toContain("Commands:");
  });
});

describe("usage errors", () => {
  it("an unknown command exits 2 with a hint", async () => {
    const result = await runMain(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('error: unknown command "frobnicate"');
    expect(result.stderr()).toContain("vonage-ir --help");
    expect(result.stdout()).toBe("");
  });

  it("an unknown flag exits 2 naming the flag and showing the usage", async () => {
    const result = await runMain(["run", "compromise", "--frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("--frobnicate");
    expect(result.stderr()).toContain("usage: vonage-ir run");
  });

  it("no flag takes a secret on argv: --api-secret is an unknown flag (exit 2)", async () => {
    const result = await runMain(["run", "compromise", "--api-secret", "Sup3rSecretValue"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("--api-secret");
  });

  it("an out-of-range --concurrency exits 2 naming the allowed range", async () => {
    const dir = await tempDir();
    const result = await runMain(
      ["run", MANUAL_ONLY, "--yes", "--concurrency", "0", "--out", join(dir, "runs")],
      { cwd: dir, env: offlineEnv },
    );
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('--concurrency must be an integer from 1 to 64, not "0"');
  });

  it("an unknown runbook id exits 2 pointing at list", async () => {
    const result = await runMain(["run", "no-such-runbook", "--yes"], { env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('no runbook "no-such-runbook"');
    expect(result.stderr()).toContain("vonage-ir list");
  });
});

describe("mode detection", () => {
  it("a mutating run without a terminal and without --yes exits 2 saying what to do", async () => {
    const dir = await tempDir();
    const out = join(dir, "runs");
    const result = await runMain(["run", MANUAL_ONLY, "--out", out], { cwd: dir, env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("no terminal to ask questions on");
    expect(result.stderr()).toContain("pass --yes with a --config");
    expect(existsSync(out)).toBe(false);
  });

  it("--json without --yes exits 2: JSON runs are not interactive", async () => {
    const dir = await tempDir();
    const result = await runMain(["run", MANUAL_ONLY, "--json", "--out", join(dir, "runs")], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("pass --yes");
  });

  it("CI set means non-interactive without --yes", async () => {
    const dir = await tempDir();
    const result = await runMain(["run", MANUAL_ONLY, "--out", join(dir, "runs")], {
      cwd: dir,
      env: { ...offlineEnv, CI: "true" },
    });
    expect(result.code).toBe(3);
    expect(result.stderr()).toContain("(non-interactive)");
  });

  it("a dry run needs no terminal and no --yes", async () => {
    const dir = await tempDir();
    const result = await runMain(["run", MANUAL_ONLY, "--dry-run", "--out", join(dir, "runs")], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(0);
    expect(result.stderr()).toContain("* manual: Remove unknown dashboard users");
  });
});

describe("credentials", () => {
  it("a missing VONAGE_API_KEY exits 2 naming it, and nothing is run", async () => {
    const dir = await tempDir();
    const out = join(dir, "runs");
    const { VONAGE_API_KEY: _omitted, ...env } = offlineEnv;
    const result = await runMain(["run", MANUAL_ONLY, "--yes", "--out", out], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("missing credentials: VONAGE_API_KEY is not set");
    expect(existsSync(out)).toBe(false);
  });

  it("a missing VONAGE_API_SECRET exits 2 naming it", async () => {
    const dir = await tempDir();
    const { VONAGE_API_SECRET: _omitted, ...env } = offlineEnv;
    const result = await runMain(["run", MANUAL_ONLY, "--yes", "--out", join(dir, "runs")], {
      cwd: dir,
      env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("VONAGE_API_SECRET is not set");
  });

  it("--secret-stdin reads the secret from the first line of stdin", async () => {
    const dir = await tempDir();
    const { VONAGE_API_SECRET: _omitted, ...env } = offlineEnv;
    const result = await runMain(
      ["run", MANUAL_ONLY, "--yes", "--secret-stdin", "--out", join(dir, "runs")],
      { cwd: dir, env, stdin: "From-Stdin-Secret-9\n" },
    );
    expect(result.code).toBe(3);
    expect(`${result.stdout()}${result.stderr()}`).not.toContain("From-Stdin-Secret-9");
  });
});

describe("list", () => {
  it("names the shipped runbook, its steps with their actions, and the actions with their params", async () => {
    const result = await runMain(["list"]);
    expect(result.code).toBe(0);
    const text = result.stdout();
    expect(text).toMatch(/^ {2}compromise {2}Contain a compromised Vonage API account/m);
    expect(text).toMatch(/^ +\d+\. secrets +\[secrets\.rotate\] Rotate the API secret/m);
    expect(text).toMatch(/^ +\d+\. users\.review +\[manual\] Remove unknown dashboard users/m);
    expect(text).toMatch(/^ {2}secrets\.rotate {2}/m);
    expect(text).toContain('revoke: "immediately" | "after-confirmation" = "immediately"');
    expect(text).not.toMatch(/^ {2}test\./m);
  });

  it("--json emits one document with runbooks and actions", async () => {
    const result = await runMain(["list", "--json"]);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout()) as {
      runbooks: { id: string; steps: { id: string; kind: string }[] }[];
      actions: { id: string }[];
    };
    const compromise = data.runbooks.find((r) => r.id === "compromise");
    expect(compromise?.steps).toContainEqual({
      id: "secrets",
      title: "Rotate the API secret(s)",
      kind: "secrets.rotate",
    });
    expect(data.actions.map((a) => a.id)).toContain("subaccounts.suspend");
  });
});

describe("--json runs", () => {
  it("emit one JSON object per line with v and kind, and nothing else on stdout", async () => {
    const dir = await tempDir();
    const result = await runMain(["run", MANUAL_ONLY, "--yes", "--json", "--out", join(dir, "runs")], {
      cwd: dir,
      env: offlineEnv,
    });
    expect(result.code).toBe(3);
    const lines = result.stdout().split("\n");
    expect(lines.at(-1)).toBe("");
    const events = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.length).toBeGreaterThan(3);
    for (const event of events) {
      expect(event.v).toBe(1);
      expect(typeof event.kind).toBe("string");
      expect(typeof event.ts).toBe("string");
    }
    expect(events[0]?.kind).toBe("run.started");
    expect(events.at(-1)?.kind).toBe("run.finished");
    expect(result.stdout()).not.toContain(offlineEnv.VONAGE_API_SECRET);
    expect(result.stderr()).not.toContain(offlineEnv.VONAGE_API_SECRET);
  });

  it("an error under --json is an error event on stdout, and the message is on stderr too", async () => {
    const result = await runMain(["run", "no-such-runbook", "--yes", "--json"], { env: offlineEnv });
    expect(result.code).toBe(2);
    const events = result.jsonLines();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ v: 1, kind: "error", exitCode: 2 });
    expect(result.stderr()).toContain('no runbook "no-such-runbook"');
  });
});

describe("disk errors", () => {
  it("a full disk outside a run says so and what to do, exit 1, not a bug", async () => {
    const fake = fakeIo();
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    expect(reportError(enospc, fake.io, false)).toBe(1);
    expect(fake.stderr()).toMatch(/^error: the disk is full \(ENOSPC\): ENOSPC: no space left on device/);
    expect(fake.stderr()).toMatch(/free space on the disk, then run the command again .*--resume <run-id>/);
    expect(fake.stderr()).not.toMatch(/unexpected error|a bug in vonage-ir/);
  });
});
