// Evidence and report writes in a run directory do not follow a symlink someone swapped in during the run.
import { lstat, mkdtemp, readdir, readFile, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readJournal } from "../../../src/engine/journal.js";
import { afterEach, describe, expect, it } from "vitest";
import { evidenceSnapshot } from "../../../src/actions/evidence-snapshot.js";
import { writeReport } from "../../../src/actions/report.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

const harnesses: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  await removeTempDirs();
});

async function outside(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-outside-"));
  dirs.push(dir);
  return dir;
}

describe("evidence.snapshot", () => {
  it("refuses an evidence/ swapped for a symlink and writes nothing where it points", async () => {
    const h = await createHarness({ scenario: "compromised" });
    harnesses.push(h);
    const elsewhere = await outside();
    await symlink(elsewhere, join(h.dir, "evidence"));
    const ctx = h.context({ stepId: "evidence" });
    const [draft] = (await evidenceSnapshot.plan(h.context({ planning: true }), {})).changes;
    const change = changeOf(evidenceSnapshot, "evidence", draft!);
    await expect(evidenceSnapshot.apply(ctx, change, {})).rejects.toThrow(/its directory is a symbolic link/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it("replaces an evidence file swapped for a symlink instead of writing through it", async () => {
    const h = await createHarness({ scenario: "compromised" });
    harnesses.push(h);
    const victim = join(await outside(), "victim");
    await writeFile(victim, "untouched\n", { mode: 0o644 });
    const ctx = h.context({ stepId: "evidence" });
    const [draft] = (await evidenceSnapshot.plan(h.context({ planning: true }), {})).changes;
    const change = changeOf(evidenceSnapshot, "evidence", draft!);
    await evidenceSnapshot.apply(ctx, change, {});
    await unlink(join(h.dir, "evidence", "applications.json"));
    await symlink(victim, join(h.dir, "evidence", "applications.json"));
    await evidenceSnapshot.apply(ctx, change, {});
    expect(await readFile(victim, "utf8")).toBe("untouched\n");
    expect((await stat(victim)).mode & 0o777).toBe(0o644);
    expect((await lstat(join(h.dir, "evidence", "applications.json"))).isFile()).toBe(true);
  });
});

describe("the report", () => {
  it("replaces a report.md swapped for a symlink instead of writing through it", async () => {
    const dir = await tempDir();
    const runbook = join(dir, "manual-only.yaml");
    await copyFile(resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml"), runbook);
    const out = join(dir, "runs");
    expect((await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env: offlineEnv })).code).toBe(
      3,
    );
    const runDir = join(
      out,
      (await readdir(out)).find((n) => /^\d{8}-/.test(n))!,
    );
    const victim = join(await outside(), "victim");
    await writeFile(victim, "untouched\n", { mode: 0o644 });
    await unlink(join(runDir, "report.md"));
    await symlink(victim, join(runDir, "report.md"));
    await writeReport(runDir, await readJournal(join(runDir, "journal.jsonl")));
    expect(await readFile(victim, "utf8")).toBe("untouched\n");
    expect((await stat(victim)).mode & 0o777).toBe(0o644);
    expect((await lstat(join(runDir, "report.md"))).isFile()).toBe(true);
    expect(await readFile(join(runDir, "report.md"), "utf8")).toContain("manual");
  });
});
