// readUserFile: a user-named file is read only when it is a regular file within the size limit; a FIFO, a
// device or a directory is refused at once (nothing blocks), and a missing file reports its errno code.
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MiB, readUserFile } from "../../../src/io/read-user-file.js";
import { removeTempDirs, tempDir } from "../../helpers/cli-io.js";

afterEach(removeTempDirs);

describe("readUserFile", () => {
  it("reads a regular file up to its limit, and refuses one byte more", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "at-limit"), "x".repeat(100));
    await writeFile(join(dir, "over-limit"), "x".repeat(101));
    const read = await readUserFile(join(dir, "at-limit"), 100);
    expect("bytes" in read && read.bytes.toString()).toBe("x".repeat(100));
    expect(await readUserFile(join(dir, "over-limit"), 100)).toEqual({
      problem: "larger than 100 bytes, the limit for this file",
      code: undefined,
    });
  });

  it("refuses a FIFO nobody writes to at once instead of blocking", async () => {
    const dir = await tempDir();
    const fifo = join(dir, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const started = Date.now();
    expect(await readUserFile(fifo, MiB)).toEqual({
      problem: "not a regular file (a FIFO)",
      code: undefined,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses a device (/dev/zero never ends) and a directory", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "sub"));
    expect(await readUserFile("/dev/zero", MiB)).toMatchObject({
      problem: "not a regular file (a character device)",
    });
    expect(await readUserFile(join(dir, "sub"), MiB)).toMatchObject({
      problem: "not a regular file (a directory)",
    });
  });

  it("reports a missing file by its errno code", async () => {
    const dir = await tempDir();
    expect(await readUserFile(join(dir, "nope"), MiB)).toEqual({ problem: "ENOENT", code: "ENOENT" });
  });
});
