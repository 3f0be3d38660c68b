// Writes in a run directory never follow a symlink, at the file or in its place as the directory, and only
// directories the operator alone can write are accepted.
import { execFileSync } from "node:child_process";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.js";
import { assertPrivateDirectory, writePrivateFile } from "../../../src/security/private-file.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-private-"));
  dirs.push(dir);
  return dir;
}

/** A directory owned by another user: chown as root, else one root owns. */
async function foreignDirectory(): Promise<string> {
  if (process.getuid?.() !== 0) return "/";
  const dir = join(await temp(), "theirs");
  await mkdir(dir, { mode: 0o700 });
  await chown(dir, 65534, 65534);
  return dir;
}

describe("writePrivateFile", () => {
  it("replaces a symlink at the path instead of writing through it", async () => {
    const dir = await temp();
    const outside = join(await temp(), "victim.txt");
    await writeFile(outside, "untouched\n", { mode: 0o644 });
    await symlink(outside, join(dir, "report.md"));
    await writePrivateFile(join(dir, "report.md"), "the report\n");
    expect(await readFile(outside, "utf8")).toBe("untouched\n");
    expect((await stat(outside)).mode & 0o777).toBe(0o644);
    const written = await lstat(join(dir, "report.md"));
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "report.md"), "utf8")).toBe("the report\n");
  });

  it("refuses a directory swapped for a symlink, and writes nothing where it points", async () => {
    const run = await temp();
    const elsewhere = await temp();
    await symlink(elsewhere, join(run, "evidence"));
    await expect(writePrivateFile(join(run, "evidence", "secrets.json"), "{}\n")).rejects.toThrow(
      /refusing to write .*evidence\/secrets\.json: its directory is a symbolic link/,
    );
    expect(execFileSync("ls", ["-A", elsewhere], { encoding: "utf8" })).toBe("");
  });

  it("refuses a directory others can write, or one owned by someone else, unless told the parent is shared", async () => {
    const dir = await temp();
    await chmod(dir, 0o777);
    await expect(writePrivateFile(join(dir, "a.json"), "{}")).rejects.toThrow(/writable by others/);
    await writePrivateFile(join(dir, "a.json"), "{}", { privateParent: false });
    expect(await readFile(join(dir, "a.json"), "utf8")).toBe("{}");
    const theirs = await foreignDirectory();
    await expect(writePrivateFile(join(theirs, "a.json"), "{}")).rejects.toThrow(/not by you/);
  });

  it("leaves no temporary file behind when it refuses", async () => {
    const dir = await temp();
    await chmod(dir, 0o770);
    await expect(writePrivateFile(join(dir, "a.json"), "{}")).rejects.toBeInstanceOf(UsageError);
    await chmod(dir, 0o700);
    expect(execFileSync("ls", ["-A", dir], { encoding: "utf8" })).toBe("");
  });
});

describe("assertPrivateDirectory", () => {
  it("accepts a directory of the operator's that only they can write", async () => {
    const dir = await temp();
    await chmod(dir, 0o755);
    await expect(assertPrivateDirectory(dir, "out directory")).resolves.toBeUndefined();
  });

  it("refuses a group- or world-writable directory, with what to do", async () => {
    const dir = await temp();
    await chmod(dir, 0o775);
    await expect(assertPrivateDirectory(dir, "out directory")).rejects.toThrow(
      /refusing the out directory .*: it is writable by its group \(mode 775\)/,
    );
    await chmod(dir, 0o1777);
    const error = await assertPrivateDirectory(dir, "out directory").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toContain(`chmod 700 ${dir}`);
  });

  it("refuses a directory owned by another user", async () => {
    const theirs = await foreignDirectory();
    await expect(assertPrivateDirectory(theirs, "out directory")).rejects.toThrow(
      /is owned by uid \d+, not by you/,
    );
  });

  it("follows a symlinked out directory to check its target, but refuses a symlink where none may be", async () => {
    const target = await temp();
    const link = join(await temp(), "runs");
    await symlink(target, link);
    await expect(assertPrivateDirectory(link, "out directory")).resolves.toBeUndefined();
    await expect(assertPrivateDirectory(link, "run directory", { noSymlink: true })).rejects.toThrow(
      /is a symbolic link/,
    );
  });
});
