// One run per Vonage account at a time: `<dir>/.lock-<apiKey>` holds the holder's run id, pid and host. The
// record is written to a temporary file and hard-linked into place, so the lock is never seen half-written
// and link()'s EEXIST decides between racing runs. A lock whose pid is gone (same host) is stale and taken
// over with a warning; `--break-lock` forces it. Removing someone else's lock happens under a short-lived
// `.break` lock, so two runs taking over the same stale lock cannot both win.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, rm, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockError } from "../core/errors.js";

export interface LockHolder {
  runId: string;
  pid: number;
  host: string;
  startedAt: string;
  /** The holder's out directory: with the per-user account lock, it may be another one than ours. */
  out?: string | undefined;
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  breakLock?: boolean;
  warn?: (message: string) => void;
  /** Recorded in the lock for the message another run shows. */
  out?: string | undefined;
}

/** A lock file that cannot be parsed is a crashed writer of an older version only once it is this old. */
const UNREADABLE_GRACE_MS = 5_000;
/** The `.break` lock is held for a few file operations; older than this, its holder died. */
const BREAK_LOCK_STALE_MS = 5_000;
const ATTEMPTS = 50;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export async function acquireLock(
  dir: string,
  account: string,
  runId: string,
  options: LockOptions = {},
): Promise<HeldLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `.lock-${account}`);
  const me: LockHolder = {
    runId,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...(options.out === undefined ? {} : { out: options.out }),
  };
  const held: HeldLock = {
    path,
    release: async () => {
      const holder = await readHolder(path).catch(() => undefined);
      if (holder?.kind === "holder" && holder.holder.runId === runId && holder.holder.pid === process.pid)
        await rm(path, { force: true });
    },
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await tryLink(path, `${JSON.stringify(me)}\n`)) return held;
    const found = await readHolder(path);
    if (found === undefined) continue; // released in between: try again
    if (found.kind === "not-a-file") {
      throw new LockError(
        `the lock path ${path} is ${found.what}, not a lock file`,
        `vonage-ir keeps its lock there as a plain file: remove it (rm -ri ${path}) if you did not put it there, then run again`,
      );
    }
    const holder = found.kind === "holder" ? found.holder : undefined;
    const stale = holder !== undefined && holder.host === me.host && !alive(holder.pid);
    const unreadableAndOld = found.kind === "unreadable" && found.ageMs > UNREADABLE_GRACE_MS;
    if (found.kind === "unreadable" && !unreadableAndOld && !options.breakLock) {
      // Written by an older version between its open and its write: give that run a moment.
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    if (!(options.breakLock || stale || unreadableAndOld)) {
      throw new LockError(
        `account ${account} is locked by run ${holder?.runId ?? "?"} (pid ${holder?.pid ?? "?"} on ${holder?.host ?? "?"}, since ${holder?.startedAt ?? "?"}${holder?.out ? `, out directory ${holder.out}` : ""})`,
        `wait for that run to finish; if it is gone (another machine, a crashed session), rerun with --break-lock or delete ${path}`,
      );
    }
    const removed = await removeUnderBreakLock(path, found.identity);
    if (removed) {
      options.warn?.(
        holder
          ? `taking over the ${stale ? "stale " : ""}lock of run ${holder.runId} (pid ${holder.pid} on ${holder.host}${stale ? ", not running" : ""})`
          : `removing an unreadable lock file ${path}`,
      );
    }
  }
  throw new LockError(`could not acquire the lock ${path}`, `delete ${path} if no run is active`);
}

/**
 * The run holding `account`'s lock in `dir`, if one is running (or may be: on another host); read-only, for a dry
 * run to say that the state it reads is being changed. A stale or unreadable lock gives undefined.
 */
export async function lockHolder(dir: string, account: string): Promise<LockHolder | undefined> {
  const found = await readHolder(join(dir, `.lock-${account}`)).catch(() => undefined);
  if (found?.kind !== "holder") return undefined;
  const { holder } = found;
  return holder.host === hostname() && !alive(holder.pid) ? undefined : holder;
}

/** Writes `content` to a private temporary file and links it to `path`; false if `path` exists. */
async function tryLink(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

type Found =
  | { kind: "holder"; holder: LockHolder; identity: string }
  | { kind: "unreadable"; ageMs: number; identity: string }
  | { kind: "not-a-file"; what: string };

/** What is at the lock path (undefined: nothing); never blocks on a FIFO and never follows a symlink. */
async function readHolder(path: string): Promise<Found | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    if (codeOf(error) === "ELOOP") return { kind: "not-a-file", what: "a symbolic link" };
    if (codeOf(error) === "ENXIO") return { kind: "not-a-file", what: "a socket or FIFO" };
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      return {
        kind: "not-a-file",
        what: stats.isDirectory() ? "a directory" : stats.isFIFO() ? "a FIFO" : "not a regular file",
      };
    }
    const text = (await handle.readFile({ encoding: "utf8" })).slice(0, 4096);
    // the inode alone may be reused by the next lock file: the content (run id, pid, start) tells them apart
    const identity = `${stats.dev}:${stats.ino}:${text}`;
    try {
      const holder = JSON.parse(text) as Partial<LockHolder> | null;
      if (holder && typeof holder.pid === "number" && typeof holder.runId === "string")
        return { kind: "holder", holder: holder as LockHolder, identity };
    } catch {
      // unreadable: below
    }
    return { kind: "unreadable", ageMs: Date.now() - stats.mtimeMs, identity };
  } finally {
    await handle.close();
  }
}

/**
 * Removes the lock file at `path` if it is still the one judged removable (`identity`: inode and content),
 * holding `<path>.break` meanwhile so that no other run removes the lock this one takes next.
 */
async function removeUnderBreakLock(path: string, identity: string): Promise<boolean> {
  const breakPath = `${path}.break`;
  if (!(await tryLink(breakPath, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`))) {
    // another run is taking over: let it finish, or clear its leftover if it died doing so
    const age = await stat(breakPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > BREAK_LOCK_STALE_MS) await rm(breakPath, { force: true });
    else await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    return false;
  }
  try {
    const now = await readHolder(path);
    if (now === undefined || now.kind === "not-a-file" || now.identity !== identity) return false;
    await rm(path, { force: true });
    return true;
  } finally {
    await rm(breakPath, { force: true });
  }
}
