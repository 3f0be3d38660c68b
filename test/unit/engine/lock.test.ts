// The run lock: a lock path that is not a plain file is refused (no hang on a FIFO), a half-written lock is
// never taken for an abandoned one, and the account lock lives in the per-user state directory, so runs with
// different --out directories see each other. The race itself is in test/e2e/lock-race.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LockError } from "../../../src/core/errors.js";
import { acquireLock } from "../../../src/engine/lock.js";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

afterEach(removeTempDirs);

const FIXTURE = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");
const HOLDER = { runId: "20261122-100000-abcdef", host: hostname(), startedAt: "2026-11-22T10:00:00.000Z" };

describe("the lock path", () => {
  it("refuses a FIFO there at once with a clear message (no hang)", async () => {
    const dir = await tempDir();
    execFileSync("mkfifo", [join(dir, ".lock-abcd1234")]);
    const error = await acquireLock(dir, "abcd1234", "r1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect((error as LockError).message).toBe(
      `the lock path ${join(dir, ".lock-abcd1234")} is a FIFO, not a lock file`,
    );
    expect((error as LockError).hint).toContain(`rm -ri ${join(dir, ".lock-abcd1234")}`);
  });

  it("refuses a directory or a symlink there, even with --break-lock, and leaves it in place", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, ".lock-abcd1234"));
    await expect(acquireLock(dir, "abcd1234", "r1", { breakLock: true })).rejects.toThrow(
      /is a directory, not a lock file/,
    );
    expect(existsSync(join(dir, ".lock-abcd1234"))).toBe(true);
    await symlink("/etc/hostname", join(dir, ".lock-other"));
    await expect(acquireLock(dir, "other", "r1")).rejects.toThrow(/is a symbolic link, not a lock file/);
  });

  it("does not take a lock being written (empty, fresh) for an abandoned one", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, ".lock-abcd1234"), "");
    const warnings: string[] = [];
    await expect(acquireLock(dir, "abcd1234", "r1", { warn: (w) => warnings.push(w) })).rejects.toThrow(
      LockError,
    );
    expect(await readFile(join(dir, ".lock-abcd1234"), "utf8")).toBe("");
    expect(warnings).toEqual([]);
  });

  it("removes an unreadable lock once it is old, with a warning, and takes the lock", async () => {
    const dir = await tempDir();
    const path = join(dir, ".lock-abcd1234");
    await writeFile(path, "");
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const warnings: string[] = [];
    const lock = await acquireLock(dir, "abcd1234", "r1", { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([`removing an unreadable lock file ${path}`]);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ runId: "r1", pid: process.pid });
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });
});

describe("the account lock across out directories", () => {
  async function setup() {
    const dir = await tempDir();
    const runbook = join(dir, "manual-only.yaml");
    await copyFile(FIXTURE, runbook);
    const state = join(dir, "state");
    const env = { ...offlineEnv, VONAGE_IR_STATE_DIR: state };
    const run = (out: string, extra: string[] = []) =>
      runMain(["run", runbook, "--yes", "--out", join(dir, out), ...extra], { cwd: dir, env });
    return { dir, state, run };
  }

  it("refuses a run with another --out while a run holds the account, naming its out directory", async () => {
    const { dir, state, run } = await setup();
    const held = await acquireLock(state, offlineEnv.VONAGE_API_KEY!, HOLDER.runId, { out: join(dir, "a") });
    try {
      const refused = await run("b");
      expect(refused.code).toBe(4);
      expect(refused.stderr()).toContain(
        `account abcd1234 is locked by run ${HOLDER.runId} (pid ${process.pid} on ${hostname()}`,
      );
      expect(refused.stderr()).toContain(`out directory ${join(dir, "a")})`);
      expect(existsSync(join(dir, "b"))).toBe(true);
      expect(execFileSync("ls", [join(dir, "b")], { encoding: "utf8" })).toBe("");
    } finally {
      await held.release();
    }
  });

  it("takes over a stale account lock, and --break-lock takes over a live one", async () => {
    const { state, run } = await setup();
    await mkdir(state, { recursive: true, mode: 0o700 });
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(join(state, ".lock-abcd1234"), JSON.stringify({ ...HOLDER, pid: dead }));
    const stale = await run("a");
    expect(stale.code).toBe(3);
    expect(stale.stderr()).toContain(`taking over the stale lock of run ${HOLDER.runId}`);
    expect(existsSync(join(state, ".lock-abcd1234"))).toBe(false);

    await writeFile(join(state, ".lock-abcd1234"), JSON.stringify({ ...HOLDER, pid: process.pid }));
    expect((await run("b")).code).toBe(4);
    const broken = await run("b", ["--break-lock"]);
    expect(broken.code).toBe(3);
    expect(broken.stderr()).toContain(`taking over the lock of run ${HOLDER.runId}`);
    expect(existsSync(join(state, ".lock-abcd1234"))).toBe(false);
  });

  it("warns once when it takes over both locks a killed run left behind", async () => {
    const { dir, state, run } = await setup();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const stale = JSON.stringify({ ...HOLDER, pid: dead, out: join(dir, "a") });
    for (const where of [state, join(dir, "a")]) {
      await mkdir(where, { recursive: true, mode: 0o700 });
      await writeFile(join(where, ".lock-abcd1234"), stale);
    }
    const result = await run("a");
    expect(result.code).toBe(3);
    expect(result.stderr().split(`taking over the stale lock of run ${HOLDER.runId}`)).toHaveLength(2);
    expect(existsSync(join(state, ".lock-abcd1234"))).toBe(false);
    expect(existsSync(join(dir, "a", ".lock-abcd1234"))).toBe(false);
  });

  it("says which state directory it cannot create and how to choose another (exit 2)", async () => {
    const { dir, run } = await setup();
    await writeFile(join(dir, "state"), "a file where the state directory should be\n");
    const result = await run("a");
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(
      `cannot create the state directory ${join(dir, "state")} for the account locks`,
    );
    expect(result.stderr()).toContain("set VONAGE_IR_STATE_DIR");
  });
});
