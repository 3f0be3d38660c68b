// Where the new secrets live: sink files 0600 in a 0700 directory, a run directory that ignores itself in git,
// a warning when the out directory is inside a git work tree, and no secret in any output (--json included).
import { execFileSync } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { finalChecks } from "../chaos/helpers/chaos.js";
import { primaryApplications } from "./helpers/end-state.js";
import { startE2eRun, type E2eRun } from "./helpers/e2e-run.js";

let current: E2eRun | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("secrets at rest", () => {
  it("a --json run inside a git work tree: warns, ignores itself, 0600 sink files in a 0700 sink, no leak", async () => {
    const e = (current = await startE2eRun({ scenario: "compromised" }));
    await e.sim.setAutoReload(false);
    execFileSync("git", ["init", "-q", e.dir]);
    const result = await e.run(["--json"]);
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as { kind: string; message?: string });
    const warning = events.find((ev) => ev.kind === "warning" && /git work tree/.test(ev.message ?? ""));
    expect(warning?.message).toContain(e.dir);

    const runId = (await e.runIds()).at(-1) ?? "";
    const runDir = e.runDir(runId);
    // the warning explains itself: what is at stake, where, and how to choose another directory
    expect(warning?.message).toContain(
      `holds this run's new API secret and private keys (${join(runDir, "secrets")})`,
    );
    expect(warning?.message).toContain("pass --out DIR (or out: in the config)");
    expect(await finalChecks(e, runId, primaryApplications(e))).toEqual([]);
    expect(await mode(runDir)).toBe(0o700);
    expect((await readFile(join(runDir, ".gitignore"), "utf8")).split("\n")).toContain("*");
    const sink = join(runDir, "secrets");
    expect(await mode(sink)).toBe(0o700);
    const files = await readdir(sink);
    expect(files.filter((f) => f.startsWith("api-secret-") || f.startsWith("app-")).length).toBe(
      1 + primaryApplications(e),
    );
    for (const f of files) expect([f, await mode(join(sink, f))]).toEqual([f, 0o600]);
    // git sees nothing of the run: the run directory's .gitignore ignores everything in it
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: e.dir,
      encoding: "utf8",
    });
    expect(status).not.toContain(runId);
    expect(status).not.toMatch(/secrets\//);
    expect(await e.scan()).toEqual([]);
  });

  it("does not warn about git outside a work tree", async () => {
    const e = (current = await startE2eRun({ scenario: "clean" }));
    const result = await e.run();
    expect([0, 3], result.stderr).toContain(result.code);
    expect(await e.runIds()).toHaveLength(1);
    expect(result.stderr + result.stdout).not.toMatch(/git work tree/);
  });
});
