// The secret sink: the only code that writes secret values or private keys to disk. A value is durable
// here (fsynced file and directory) before the caller sends it anywhere, so a crash never loses the only copy.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import {
  chmod,
  link,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  unlink,
  type FileHandle,
} from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../core/errors.js";
import { fingerprint } from "./fingerprint.js";

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const README_NAME = "README.txt";
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_NAME_LENGTH = 200;

const README_TEXT = `This directory was written by vonage-ir. It holds SECRET VALUES and PRIVATE KEYS
(new API secrets, application private keys) generated during an incident-response run.

- Each file holds exactly one value; the run's journal and report refer to it by name and
  sha256 fingerprint only, never by value.
- Files are mode 0600 and this directory is 0700. Keep it that way.
- Do NOT commit these files, paste them into tickets or chat, or copy them to shared storage.
  Move the values into your secret manager, then delete this directory securely.
`;

/** Refusals from the sink: an invalid name, a conflicting overwrite, a directory that is not a directory. */
export class SecretSinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretSinkError";
  }
}

export function isValidSecretName(name: string): boolean {
  return (
    name.length <= MAX_NAME_LENGTH &&
    NAME_PATTERN.test(name) &&
    name !== README_NAME &&
    !name.endsWith(".tmp")
  );
}

export class SecretSink {
  readonly dir: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Durably stores `value` under `name` and resolves only once file and directory entry are fsynced.
   * Writing the same value again is a no-op; a different value for an existing name is refused.
   */
  async write(name: string, value: string): Promise<{ path: string; fingerprint: string }> {
    const path = this.#pathOf(name);
    await this.#ensureDir();
    const result = { path, fingerprint: fingerprint(value) };
    if (await this.#sameValueAlreadyThere(name, path, value)) return result;

    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await writeDurably(tmp, value);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    try {
      // link() fails if the target exists, so a concurrent writer can never be silently overwritten.
      await link(tmp, path);
      await unlink(tmp);
    } catch (error) {
      if (errorCode(error) === "EEXIST") {
        await unlink(tmp).catch(() => undefined);
        if (await this.#sameValueAlreadyThere(name, path, value)) return result;
        throw new SecretSinkError(`secret sink: "${name}" was written concurrently with a different value`);
      }
      if (errorCode(error) === "EPERM" || errorCode(error) === "ENOTSUP" || errorCode(error) === "EXDEV") {
        // Filesystems without hard links: fall back to rename after a fresh existence check.
        if (await this.exists(name)) {
          await unlink(tmp).catch(() => undefined);
          throw new SecretSinkError(`secret sink: "${name}" appeared while writing; refusing to overwrite`);
        }
        await rename(tmp, path);
      } else {
        await unlink(tmp).catch(() => undefined);
        throw error;
      }
    }
    await chmod(path, FILE_MODE);
    await fsyncDir(this.dir);
    return result;
  }

  /**
   * Gives a stored value a new name (e.g. once the application its key belongs to has an id). A copy under `to`
   * is durable before `from` goes, so a crash leaves the value under one name or both; renaming again after such
   * a crash, or after it completed, finishes it.
   */
  async rename(from: string, to: string): Promise<{ path: string; fingerprint: string }> {
    const source = this.#pathOf(from);
    this.#pathOf(to);
    if (!(await this.exists(from))) {
      const moved = await this.read(to);
      return { path: this.#pathOf(to), fingerprint: fingerprint(moved) };
    }
    const handle = await openRegularFile(source);
    let value: string;
    try {
      value = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
    const result = await this.write(to, value);
    await unlink(source);
    await fsyncDir(this.dir);
    return result;
  }

  /** A stored value; a missing one (the sink deleted once its values were deployed) says how to go on. */
  async read(name: string): Promise<string> {
    const path = this.#pathOf(name);
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      throw new UsageError(
        `the run needs "${name}" from its secret sink, but ${path} is missing (was the sink deleted after its values were deployed?)`,
        `put the value back into ${path} (copied from where you deployed it: the value alone, mode 0600), then resume again; if it is lost, start a new run instead`,
      );
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await lstat(this.#pathOf(name));
      return true;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw error;
    }
  }

  /** Names of stored values, sorted; the README and in-flight temp files are not listed. */
  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw error;
    }
    return entries.filter(isValidSecretName).sort();
  }

  #pathOf(name: string): string {
    if (!isValidSecretName(name)) {
      throw new SecretSinkError(
        `secret sink: invalid name ${JSON.stringify(name)} (use letters, digits, ".", "_", "-"; no path separators)`,
      );
    }
    return join(this.dir, name);
  }

  async #sameValueAlreadyThere(name: string, path: string, value: string): Promise<boolean> {
    let handle;
    try {
      handle = await openRegularFile(path);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw error;
    }
    try {
      const existing = await handle.readFile();
      const wanted = Buffer.from(value, "utf8");
      if (existing.length === wanted.length && timingSafeEqual(existing, wanted)) {
        await handle.chmod(FILE_MODE);
        return true;
      }
    } finally {
      await handle.close();
    }
    throw new SecretSinkError(
      `secret sink: "${name}" already holds a different value; refusing to overwrite ${path}`,
    );
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= this.#prepareDir().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #prepareDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    const stat = await lstat(this.dir);
    if (!stat.isDirectory()) throw new SecretSinkError(`secret sink: ${this.dir} is not a directory`);
    // mkdir's mode is filtered by the umask and ignored for an existing directory: set it explicitly, on the
    // directory itself (a symlink swapped in since the check is not followed).
    const dir = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await dir.chmod(DIR_MODE);
    } finally {
      await dir.close();
    }
    const readme = join(this.dir, README_NAME);
    try {
      await lstat(readme);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      await writeDurably(readme, README_TEXT, true);
    }
    // chmod() would follow a symlink planted as README.txt and change the mode of whatever it points at
    const handle = await openRegularFile(readme);
    try {
      await handle.chmod(FILE_MODE);
    } finally {
      await handle.close();
    }
    await fsyncDir(this.dir);
  }
}

/** Opens `path` for reading without following a symlink or blocking on a FIFO; refuses anything but a file. */
async function openRegularFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === "ELOOP" || errorCode(error) === "ENXIO")
      throw new SecretSinkError(`secret sink: ${path} is not a regular file; refusing to use it`);
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new SecretSinkError(`secret sink: ${path} is not a regular file; refusing to use it`);
  }
  return handle;
}

async function writeDurably(path: string, value: string, exclusiveOk = false): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  } catch (error) {
    if (exclusiveOk && errorCode(error) === "EEXIST") return;
    throw error;
  }
  try {
    await handle.chmod(FILE_MODE);
    await handle.writeFile(value, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, a few network filesystems) cannot fsync a directory.
    if (errorCode(error) !== "EINVAL" && errorCode(error) !== "EPERM" && errorCode(error) !== "EISDIR")
      throw error;
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}
