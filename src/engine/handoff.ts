// Hand-off of a run to another responder: the run directory (journal, evidence, report, sink) packed into one
// archive (a JSON manifest of relative paths, modes and base64 contents, gzipped: no dependency, easy to audit),
// which the CLI encrypts; unpacked only into a new run directory, with owner-only modes. A run handed off is
// refused here from then on: its journal says to whom, when and which file.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { InternalError, LockError, UsageError } from "../core/errors.js";
import type { JournalState, StampedRecord } from "../core/journal-records.js";
import { RUN_ID_PATTERN } from "./run-directory.js";

export const HANDOFF_FORMAT = "vonage-ir-handoff";
export const HANDOFF_VERSION = 1;
/** The run's config file, carried in the archive and written beside the journal on import. */
export const HANDOFF_CONFIG = "handoff-config.yaml";
/** The run's runbook file: a resume elsewhere reads it when the path the journal names is not there. */
export const HANDOFF_RUNBOOK = "handoff-runbook.yaml";

const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

const entrySchema = z.strictObject({
  path: z.string().min(1).max(1024),
  type: z.enum(["dir", "file"]),
  mode: z.number().int().min(0).max(0o7777),
  data: z.string().optional(),
});
const archiveSchema = z.strictObject({
  format: z.literal(HANDOFF_FORMAT),
  version: z.literal(HANDOFF_VERSION),
  runId: z.string().regex(RUN_ID_PATTERN),
  account: z.string(),
  exportedAt: z.string(),
  entries: z.array(entrySchema),
});
export type HandoffArchive = z.infer<typeof archiveSchema>;
type Entry = z.infer<typeof entrySchema>;

/** Every file and directory under the run directory, parents first; anything else (a symlink) is refused. */
async function walk(root: string, relative = ""): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const name of (await readdir(join(root, relative))).sort()) {
    const path = relative ? `${relative}/${name}` : name;
    const info = await lstat(join(root, path));
    if (info.isDirectory()) {
      entries.push({ path, type: "dir", mode: info.mode & 0o777 }, ...(await walk(root, path)));
    } else if (info.isFile()) {
      const data = (await readFile(join(root, path))).toString("base64");
      entries.push({ path, type: "file", mode: info.mode & 0o777, data });
    } else {
      throw new UsageError(
        `the run directory holds ${join(root, path)}, which is neither a file nor a directory: refusing to export it`,
        "a run directory never holds links: remove it (it is not the run's), then export again",
      );
    }
  }
  return entries;
}

/**
 * The archive of a run directory, with `extras` (the run's config and runbook, by the names HANDOFF_CONFIG and
 * HANDOFF_RUNBOOK) beside the journal unless an earlier import already put them there.
 */
export async function packRun(
  runDir: string,
  meta: { runId: string; account: string; now: Date; extras: Record<string, string | undefined> },
): Promise<Buffer> {
  const entries = await walk(runDir);
  for (const [path, text] of Object.entries(meta.extras)) {
    if (text === undefined || entries.some((e) => e.path === path)) continue;
    entries.push({ path, type: "file", mode: 0o600, data: Buffer.from(text, "utf8").toString("base64") });
  }
  const archive: HandoffArchive = {
    format: HANDOFF_FORMAT,
    version: HANDOFF_VERSION,
    runId: meta.runId,
    account: meta.account,
    exportedAt: meta.now.toISOString(),
    entries,
  };
  return gzipSync(Buffer.from(JSON.stringify(archive), "utf8"));
}

/** A relative path of plain names: nothing absolute, no `.`/`..`, no backslash or NUL, so it stays inside. */
function isConfined(path: string): boolean {
  if (path.startsWith("/") || /[\\\0]/.test(path)) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** Parses and checks a decrypted archive: its format, run id, and that every path stays in the run directory. */
export function unpackArchive(bytes: Uint8Array, file: string): HandoffArchive {
  let data: unknown;
  try {
    // Bounded: a hand-off holds one run directory, far below this once unpacked.
    data = JSON.parse(gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED_BYTES }).toString("utf8"));
  } catch {
    data = undefined;
  }
  const parsed = archiveSchema.safeParse(data);
  const bad = (why: string) =>
    new UsageError(`${file} is not a vonage-ir hand-off (${why}): nothing was imported`);
  if (!parsed.success) throw bad(parsed.error.issues[0]?.message ?? "invalid");
  const archive = parsed.data;
  const outside = archive.entries.find((e) => !isConfined(e.path));
  if (outside) throw bad(`the path ${JSON.stringify(outside.path.slice(0, 200))} leaves the run directory`);
  if (!archive.entries.some((e) => e.path === "journal.jsonl" && e.type === "file"))
    throw bad("it holds no journal");
  return archive;
}

/** Writes one entry with owner-only permissions (0700 directories, 0600 files), never over anything. */
async function writeEntry(root: string, entry: Entry): Promise<void> {
  const path = join(root, entry.path);
  if (entry.type === "dir") {
    await mkdir(path, { mode: 0o700 });
    await chmod(path, entry.mode & 0o700);
    return;
  }
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path, flags, 0o600);
  try {
    await handle.chmod(entry.mode & 0o600);
    await handle.writeFile(Buffer.from(entry.data ?? "", "base64"));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Restores an archive as `<outDir>/<run-id>`: written under a temporary name, then `finish` (the journal's import
 * record), then renamed into place; an existing run of that id is never overwritten.
 */
export async function writeRunFrom(
  archive: HandoffArchive,
  outDir: string,
  finish: (stagingDir: string) => Promise<void>,
): Promise<string> {
  const target = join(outDir, archive.runId);
  const exists = () =>
    lstat(target).then(
      () => true,
      () => false,
    );
  if (await exists()) {
    throw new UsageError(
      `run ${archive.runId} already exists in ${outDir}: refusing to overwrite it (nothing was imported)`,
      "import into another --out directory, or move that run directory away first",
    );
  }
  const staging = join(outDir, `.importing-${archive.runId}-${randomBytes(4).toString("hex")}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    for (const entry of archive.entries) await writeEntry(staging, entry);
    await finish(staging);
    if (await exists()) throw new InternalError(`run directory ${target} appeared while importing`);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}

type HandoffRecord = Extract<StampedRecord, { t: "handoff" }>;

/** The hand-off that moved this copy of the run away, if its journal's last hand-off word is one. */
export function handoffOf(state: JournalState): HandoffRecord | undefined {
  const last = state.records.filter((r) => r.t === "handoff" || r.t === "imported").at(-1);
  return last?.t === "handoff" ? last : undefined;
}

/** A run handed off continues where it was imported: refused here (exit 4), naming the hand-off. */
export function refuseHandedOff(runId: string, state: JournalState): void {
  const handoff = handoffOf(state);
  if (!handoff) return;
  throw new LockError(
    `run ${runId} was handed off at ${handoff.ts} to ${handoff.to} (file ${handoff.file}, sha256 ${handoff.sha256}): it continues on the machine that imported it, not here`,
    "the responder holding that age identity continues it (vonage-ir import FILE, then the resume command it prints); this copy stays as the record of what was done here (vonage-ir report works)",
  );
}
