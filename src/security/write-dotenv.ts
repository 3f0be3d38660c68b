// Sets one `KEY=value` in a .env file without ever leaving a broken one: the new content goes to a 0600 file in
// the same directory, is fsynced, renamed over the old one, and the directory is fsynced. Every other line and
// comment stays as it was; a value that needs it is double-quoted (newlines as \n, as dotenv readers expect).
import { lstat, readFile, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsyncDirectory } from "./private-file.js";
import { writePrivateFile } from "./private-file.js";

/** Unquoted only when no dotenv reader can misread it. */
const BARE = /^[A-Za-z0-9_\-.+/=:@,]*$/;

export function dotenvValue(value: string): string {
  if (BARE.test(value)) return value;
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r?\n/g, "\\n")
    .replace(/\$/g, "\\$");
  return `"${escaped}"`;
}

function assignsKey(line: string, key: string): boolean {
  return new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`).test(line);
}

/** A double-quoted value opened on this line and not closed on it continues on the next lines. */
function opensMultiline(line: string): boolean {
  const value = line.slice(line.indexOf("=") + 1).trimStart();
  if (!value.startsWith('"')) return false;
  return !/(?:^|[^\\])(?:\\\\)*"\s*(?:#.*)?$/.test(value.slice(1));
}

function closesMultiline(line: string): boolean {
  return /(?:^|[^\\])(?:\\\\)*"\s*(?:#.*)?$/.test(line);
}

/** The file's text with every assignment of `key` replaced by `key=value` (appended when there is none). */
export function setDotenvKey(text: string, key: string, value: string): string {
  const lines = text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let set = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!assignsKey(line, key)) {
      out.push(line);
      continue;
    }
    const exported = /^\s*export\s+/.test(line) ? "export " : "";
    if (opensMultiline(line)) while (i + 1 < lines.length && !closesMultiline(lines[++i] ?? "")) continue;
    out.push(`${exported}${key}=${dotenvValue(value)}`);
    set = true;
  }
  if (!set) out.push(`${key}=${dotenvValue(value)}`);
  return `${out.join("\n")}\n`;
}

/** The file's text; a missing file is refused unless `create` (a typo or another machine would get a fresh .env). */
async function currentText(file: string, create: boolean): Promise<string> {
  try {
    const info = await lstat(file);
    if (info.isSymbolicLink()) {
      throw new Error(
        `${file} is a symbolic link: point the target at the real file (a rename would replace the link)`,
      );
    }
    if (!info.isFile()) throw new Error(`${file} is not a regular file`);
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    if (create) return "";
    throw new Error(`file ${file} does not exist: create it or set \`create: true\` on the target`);
  }
}

/** One promise chain per real path: writes to one file run one after the other (each reads the previous one's). */
const queues = new Map<string, Promise<void>>();

/** The path writes to `file` are serialised on: its real path, or its real directory's when it does not exist yet. */
async function lockKey(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    try {
      return join(await realpath(dirname(file)), basename(file));
    } catch {
      return file;
    }
  }
}

async function serialised(file: string, write: () => Promise<void>): Promise<void> {
  const key = await lockKey(file);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(write, write);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  try {
    await run;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}

/**
 * Sets `key` in `file` atomically (a 0600 temporary file beside it, fsynced, renamed over it, the directory
 * fsynced); the result is 0600 whatever the old file's mode. Writes to one file are serialised, so two keys set
 * at once both land. A missing file is refused unless `create`. `checkpoint` is called between the file
 * operations (a test kills the process there).
 */
export async function writeDotenv(
  file: string,
  key: string,
  value: string,
  options: { create?: boolean; checkpoint?: (point: string) => void } = {},
): Promise<void> {
  const { checkpoint } = options;
  await serialised(file, async () => {
    const text = setDotenvKey(await currentText(file, options.create === true), key, value);
    await writePrivateFile(file, text, {
      privateParent: false,
      sync: true,
      ...(checkpoint ? { checkpoint } : {}),
    });
    await fsyncDirectory(dirname(file));
  });
}
