// On a shared machine: an out directory someone else owns or can write is refused before anything is written,
// and `plan --save` never reuses a file someone else owns (or follows a symlink) at the path it is given.
import {
  chmod,
  chown,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

afterEach(removeTempDirs);

const FIXTURE = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");

async function setup() {
  const dir = await tempDir();
  const runbook = join(dir, "manual-only.yaml");
  await copyFile(FIXTURE, runbook);
  const env = { ...offlineEnv, VONAGE_IR_STATE_DIR: join(dir, "state") };
  return { dir, runbook, env };
}

describe("the out directory", () => {
  it("refuses one that others can write (exit 2, what to do), writing nothing in it", async () => {
    const { dir, runbook, env } = await setup();
    const out = join(dir, "shared");
    await mkdir(out);
    await chmod(out, 0o777);
    const result = await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(
      `refusing the out directory ${out}: it is writable by others (mode 777)`,
    );
    expect(result.stderr()).toContain(`chmod 700 ${out}`);
    expect(await readdir(out)).toEqual([]);
  });

  it("refuses one owned by another user", async () => {
    const { dir, runbook, env } = await setup();
    const out = join(dir, "theirs");
    await mkdir(out, { mode: 0o755 });
    // the tests run as root here; as anyone else a root-owned directory is someone else's
    const foreign = process.getuid?.() === 0 ? out : "/";
    if (foreign === out) await chown(out, 65534, 65534);
    const result = await runMain(["run", runbook, "--yes", "--out", foreign], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr()).toMatch(/refusing the out directory .*: it is owned by uid \d+, not by you/);
    if (foreign === out) expect(await readdir(out)).toEqual([]);
  });

  it("accepts a new one, created 0700", async () => {
    const { dir, runbook, env } = await setup();
    const out = join(dir, "new", "runs");
    const result = await runMain(["run", runbook, "--yes", "--out", out], { cwd: dir, env });
    expect(result.code).toBe(3);
    expect((await stat(out)).mode & 0o777).toBe(0o700);
  });
});

describe("plan --save", () => {
  it("replaces a file already at the path with a new 0600 file of its own", async () => {
    const { dir, runbook, env } = await setup();
    const path = join(dir, "plan.json");
    await writeFile(path, "someone's\n", { mode: 0o666 });
    await chmod(path, 0o666);
    if (process.getuid?.() === 0) await chown(path, 65534, 65534);
    const before = await stat(path);
    const result = await runMain(["plan", runbook, "--save", path], { cwd: dir, env });
    expect(result.code, result.stderr()).toBe(0);
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.uid).toBe(process.getuid?.());
    expect(after.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8"))).toHaveProperty("sha256");
  });

  it("does not follow a symlink at the path", async () => {
    const { dir, runbook, env } = await setup();
    const victim = join(dir, "victim");
    await writeFile(victim, "untouched\n");
    await symlink(victim, join(dir, "plan.json"));
    const result = await runMain(["plan", runbook, "--save", join(dir, "plan.json")], { cwd: dir, env });
    expect(result.code, result.stderr()).toBe(0);
    expect(await readFile(victim, "utf8")).toBe("untouched\n");
    expect((await lstat(join(dir, "plan.json"))).isFile()).toBe(true);
  });
});
