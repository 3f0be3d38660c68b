import {
  open,
  mkdtemp,
  mkdir,
  readFile,
  readdir,
  rm,
  stat,
  chmod,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SecretSink, SecretSinkError, fingerprint } from "../../../src/security/index.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "vonage-ir-sink-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe("SecretSink", () => {
  it("creates a 0700 directory with 0600 files, whatever the umask", async () => {
    const previous = process.umask(0o000);
    try {
      const sink = new SecretSink(join(root, "run", "secrets"));
      const { path } = await sink.write("api-secret", "Value1-abcdefgh");
      expect(await modeOf(sink.dir)).toBe(0o700);
      expect(await modeOf(path)).toBe(0o600);
      expect(await modeOf(join(sink.dir, "README.txt"))).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it("refuses a README.txt planted as a symlink, without changing the mode of what it points at", async () => {
    const victim = join(root, "victim");
    await writeFile(victim, "someone's file\n", { mode: 0o644 });
    await chmod(victim, 0o644);
    const dir = join(root, "secrets");
    await mkdir(dir, { mode: 0o700 });
    await symlink(victim, join(dir, "README.txt"));
    await expect(new SecretSink(dir).write("k", "v")).rejects.toThrow(/README\.txt is not a regular file/);
    expect(await modeOf(victim)).toBe(0o644);
  });

  it("tightens an existing directory with wider permissions", async () => {
    const dir = join(root, "secrets");
    await mkdir(dir);
    await chmod(dir, 0o755);
    await new SecretSink(dir).write("k", "v");
    expect(await modeOf(dir)).toBe(0o700);
  });

  it("has the value on disk, and no temp file, by the time write resolves", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    const result = await sink.write("app-private-key", "-----BEGIN PRIVATE KEY-----\nabc\n");
    expect(result.path).toBe(join(sink.dir, "app-private-key"));
    expect(result.fingerprint).toBe(fingerprint("-----BEGIN PRIVATE KEY-----\nabc\n"));
    expect(await readFile(result.path, "utf8")).toBe("-----BEGIN PRIVATE KEY-----\nabc\n");
    expect((await readdir(sink.dir)).sort()).toEqual(["README.txt", "app-private-key"]);
    expect(await sink.read("app-private-key")).toBe("-----BEGIN PRIVATE KEY-----\nabc\n");
  });

  it("fsyncs the file and the directory before write resolves", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    await sink.write("warm-up", "x"); // creates the directory and README
    const probe = await open(join(root, "probe"), "w");
    const fileHandleProto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = vi.spyOn(fileHandleProto, "sync");
    try {
      await sink.write("api-secret", "Value1-abcdefgh");
      expect(sync).toHaveBeenCalledTimes(2); // the temp file's data, then the directory entry
    } finally {
      sync.mockRestore();
    }
  });

  it("is idempotent for the same value and refuses a different one", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    const first = await sink.write("api-secret", "Value1-abcdefgh");
    await expect(sink.write("api-secret", "Value1-abcdefgh")).resolves.toEqual(first);
    await expect(sink.write("api-secret", "Value2-abcdefgh")).rejects.toThrow(SecretSinkError);
    await expect(sink.write("api-secret", "Value2-abcdefgh")).rejects.not.toThrow(/Value/);
    expect(await sink.read("api-secret")).toBe("Value1-abcdefgh");
  });

  it("keeps the first value when two writers race with different values", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    const results = await Promise.allSettled([sink.write("race", "AAAA"), sink.write("race", "BBBB")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(["AAAA", "BBBB"]).toContain(await sink.read("race"));
    expect(await sink.list()).toEqual(["race"]);
  });

  it("validates names", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    for (const bad of [
      "",
      "../escape",
      "a/b",
      "a\\b",
      ".hidden",
      "..",
      "README.txt",
      "x.tmp",
      "sp ace",
      "é",
    ]) {
      await expect(sink.write(bad, "v"), bad).rejects.toThrow(SecretSinkError);
    }
    await expect(sink.read("../etc/passwd")).rejects.toThrow(SecretSinkError);
    await expect(sink.exists("a/b")).rejects.toThrow(SecretSinkError);
    await expect(sink.write("app_shop.private-key.pem", "v")).resolves.toBeDefined();
  });

  it("lists stored names only, and reports existence", async () => {
    const sink = new SecretSink(join(root, "secrets"));
    expect(await sink.list()).toEqual([]);
    await sink.write("b", "2");
    await sink.write("a", "1");
    await writeFile(join(sink.dir, ".a.123.tmp"), "partial");
    expect(await sink.list()).toEqual(["a", "b"]);
    expect(await sink.exists("a")).toBe(true);
    expect(await sink.exists("c")).toBe(false);
  });

  it("writes a README once that warns against committing the files", async () => {
    const dir = join(root, "secrets");
    await new SecretSink(dir).write("a", "1");
    const readme = await readFile(join(dir, "README.txt"), "utf8");
    expect(readme).toMatch(/not commit/i);
    await writeFile(join(dir, "README.txt"), "edited");
    await new SecretSink(dir).write("b", "2");
    expect(await readFile(join(dir, "README.txt"), "utf8")).toBe("edited");
  });

  it("refuses a path that is a file, not a directory", async () => {
    const path = join(root, "file");
    await writeFile(path, "x");
    await expect(new SecretSink(path).write("a", "1")).rejects.toThrow();
  });

  describe("rename", () => {
    it("moves a value to its new name (0600), the old name gone, the same fingerprint", async () => {
      const sink = new SecretSink(join(root, "secrets"));
      const written = await sink.write("pending-replacement-of-a.key", "PEM-value-1");
      const moved = await sink.rename("pending-replacement-of-a.key", "app-b.key");
      expect(moved).toEqual({ path: join(sink.dir, "app-b.key"), fingerprint: written.fingerprint });
      expect(await sink.list()).toEqual(["app-b.key"]);
      expect(await modeOf(moved.path)).toBe(0o600);
    });

    it("finishes after a crash left both names, and is a no-op once done", async () => {
      const sink = new SecretSink(join(root, "secrets"));
      await sink.write("pending-replacement-of-a.key", "PEM-value-1");
      await sink.write("app-b.key", "PEM-value-1");
      await sink.rename("pending-replacement-of-a.key", "app-b.key");
      expect(await sink.list()).toEqual(["app-b.key"]);
      const again = await sink.rename("pending-replacement-of-a.key", "app-b.key");
      expect(again.path).toBe(join(sink.dir, "app-b.key"));
      expect(await sink.read("app-b.key")).toBe("PEM-value-1");
    });

    it("never overwrites a different value under the new name, and keeps the old one", async () => {
      const sink = new SecretSink(join(root, "secrets"));
      await sink.write("pending-replacement-of-a.key", "PEM-value-1");
      await sink.write("app-b.key", "PEM-value-2");
      await expect(sink.rename("pending-replacement-of-a.key", "app-b.key")).rejects.toThrow(SecretSinkError);
      expect(await sink.read("pending-replacement-of-a.key")).toBe("PEM-value-1");
      expect(await sink.read("app-b.key")).toBe("PEM-value-2");
    });
  });
});
