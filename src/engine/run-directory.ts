// A run's directory `<out>/<run-id>/`: journal.jsonl, evidence/, secrets/ (the sink), report.md/json. It is
// 0700 and carries a .gitignore that ignores everything: secrets in repositories are what attackers scan for.
// It appears under its run id only once its journal holds the run header and the plan, so a crash while
// creating it never leaves a run that cannot be resumed.
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fsyncDirectory, writePrivateFile } from "../security/private-file.js";
import { InternalError } from "../core/errors.js";

export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

export interface RunPaths {
  dir: string;
  journal: string;
  sink: string;
  evidence: string;
}

export function runPaths(outDir: string, runId: string): RunPaths {
  const dir = resolve(outDir, runId);
  return {
    dir,
    journal: join(dir, "journal.jsonl"),
    sink: join(dir, "secrets"),
    evidence: join(dir, "evidence"),
  };
}

const CREATING_PREFIX = ".creating-";

/**
 * Creates the run directory under a temporary name, lets `initialize` write its journal header and plan there
 * (durably), then renames it to `<out>/<run-id>`. Leftovers of an earlier crash for this account are removed
 * first: the caller holds the account's lock in `outDir`, so no other run is creating one for it.
 * `checkpoint` is called between the file operations (the chaos suite kills the process there).
 */
export async function createRunDirectory(
  outDir: string,
  runId: string,
  account: string,
  initialize: (paths: RunPaths) => Promise<void>,
  checkpoint: (point: string) => void = () => undefined,
): Promise<RunPaths> {
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const prefix = `${CREATING_PREFIX}${account}-`;
  for (const entry of await readdir(outDir)) {
    if (entry.startsWith(prefix)) await rm(join(outDir, entry), { recursive: true, force: true });
  }
  const paths = runPaths(outDir, runId);
  const staging = runPaths(outDir, `${prefix}${runId}`);
  await mkdir(staging.dir, { recursive: false, mode: 0o700 });
  checkpoint("run-directory-created");
  await writePrivateFile(
    join(staging.dir, ".gitignore"),
    "# vonage-ir run: evidence and secrets, never commit\n*\n",
  );
  await initialize(staging);
  await fsyncDirectory(staging.dir);
  checkpoint("run-directory-before-rename");
  // rename() would replace an empty directory of that name: a run id is never reused
  const existing = await lstat(paths.dir).catch(() => undefined);
  if (existing) throw new InternalError(`run directory ${paths.dir} already exists`);
  await rename(staging.dir, paths.dir);
  await fsyncDirectory(outDir);
  return paths;
}
