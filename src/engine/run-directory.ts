// A run's directory `<out>/<run-id>/`: journal.jsonl, evidence/, secrets/ (the sink), report.md/json. It is
// 0700 and carries a .gitignore that ignores everything: secrets in repositories are what attackers scan for.
import { randomBytes } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

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

export async function createRunDirectory(outDir: string, runId: string): Promise<RunPaths> {
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const paths = runPaths(outDir, runId);
  await mkdir(paths.dir, { recursive: false, mode: 0o700 });
  await writeFile(join(paths.dir, ".gitignore"), "# vonage-ir run: evidence and secrets, never commit\n*\n", {
    mode: 0o600,
  });
  return paths;
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
