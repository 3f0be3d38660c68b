// Files and directories of a run that only the operator may touch: a directory is refused unless it is a real
// directory owned by the current user and writable by nobody else, and files are written without following
// a symlink (a temporary file opened O_EXCL|O_NOFOLLOW in the checked directory, then renamed into place).
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { access, lstat, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "../core/errors.js";

const FILE_MODE = 0o600;
const WRITABLE_BY_OTHERS = 0o022;

function currentUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** Why `stats` (of `dir`) is not a directory only the current user can change, or undefined if it is. */
function unsafeDirectoryReason(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return "is a symbolic link";
  if (!stats.isDirectory()) return "is not a directory";
  const uid = currentUid();
  if (uid !== undefined && stats.uid !== uid) return `is owned by uid ${stats.uid}, not by you (uid ${uid})`;
  if (uid !== undefined && (stats.mode & WRITABLE_BY_OTHERS) !== 0)
    return `is writable by ${(stats.mode & 0o002) !== 0 ? "others" : "its group"} (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Refuses `dir` unless it is a directory owned by the current user that neither its group nor others can
 * write: anyone who can write it can move a run directory away or swap a symlink in. `dir` itself may be a
 * symlink to such a directory (an out directory on another disk) unless `noSymlink` is set.
 */
export async function assertPrivateDirectory(
  dir: string,
  what: string,
  options: { noSymlink?: boolean } = {},
): Promise<void> {
  const stats = options.noSymlink ? await lstat(dir) : await stat(dir);
  const reason = unsafeDirectoryReason(stats);
  if (reason === undefined) return;
  throw new UsageError(
    `refusing the ${what} ${dir}: it ${reason}; anyone who can write it can move the run's files away or swap a symlink in`,
    stats.isDirectory() && !stats.isSymbolicLink()
      ? `use a directory of your own (chmod 700 ${dir}, or --out elsewhere); nothing was changed`
      : `use a directory of your own (--out elsewhere); nothing was changed`,
  );
}

/**
 * Writes `data` to `path` (mode 0600) without following a symlink at `path` or a swapped-in parent: the
 * parent must be a real directory (with `privateParent`, one only the current user can write), the data goes
 * to a new temporary file beside it, and that file is renamed over `path` (replacing, never following, what
 * is there) only if the parent is still the directory it was checked as.
 */
export async function writePrivateFile(
  path: string,
  data: string,
  options: { privateParent?: boolean; sync?: boolean; checkpoint?: (point: string) => void } = {},
): Promise<void> {
  const parent = dirname(path);
  const before = await lstat(parent);
  const reason = before.isSymbolicLink()
    ? "is a symbolic link"
    : !before.isDirectory()
      ? "is not a directory"
      : options.privateParent === false
        ? undefined
        : unsafeDirectoryReason(before);
  if (reason !== undefined) throw unsafeWrite(path, `its directory ${reason}`);
  const tmp = join(parent, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    FILE_MODE,
  );
  try {
    try {
      const opened = await handle.stat();
      const [entry, after] = await Promise.all([lstat(tmp), lstat(parent)]);
      if (!sameFile(opened, entry) || !sameFile(before, after))
        throw unsafeWrite(path, "its directory was replaced while writing");
      await handle.chmod(FILE_MODE);
      await handle.writeFile(data, "utf8");
      if (options.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    if (!sameFile(before, await lstat(parent)))
      throw unsafeWrite(path, "its directory was replaced while writing");
    options.checkpoint?.("before-rename");
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function unsafeWrite(path: string, reason: string): UsageError {
  return new UsageError(
    `refusing to write ${path}: ${reason}`,
    "someone else may be tampering with the run directory: check its owner and permissions (ls -la), then resume",
  );
}

/** fsync a directory, so that a rename or a new entry in it survives a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, a few network filesystems) cannot fsync a directory.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR") throw error;
  } finally {
    await handle.close();
  }
}

/** The git work tree that contains `dir`, if any. */
export async function enclosingGitTree(dir: string): Promise<string | undefined> {
  let current = resolve(dir);
  for (;;) {
    try {
      await access(join(current, ".git"));
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }
}
