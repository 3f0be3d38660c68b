// The header of each run journaled in an out directory, newest first: what `--resume latest` and a second
// `apply` of the same plan look for. Tolerant like read-prior-runs: a torn or foreign journal is passed over.
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { RUN_ID_PATTERN } from "./run-directory.js";

export interface RunHeader {
  runId: string;
  account: string;
  /** The id of the runbook it ran (`restore` for a restore run). */
  runbookId?: string | undefined;
  /** The config file the run started with (journals of older versions do not say). */
  configFile?: string | undefined;
  /** The sha256 of the saved plan an `apply` run applied. */
  savedPlanSha256?: string | undefined;
}

/** The header is the journal's first line: far below this. */
const HEADER_MAX_BYTES = 64 * 1024;

async function firstLine(path: string): Promise<string | undefined> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return undefined;
  try {
    const buffer = Buffer.alloc(HEADER_MAX_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEADER_MAX_BYTES, 0);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const end = text.indexOf("\n");
    return end < 0 ? undefined : text.slice(0, end);
  } finally {
    await file.close();
  }
}

export async function readRunHeaders(outDir: string): Promise<RunHeader[]> {
  const entries = await readdir(outDir).catch(() => [] as string[]);
  const headers: RunHeader[] = [];
  // Run ids start with their UTC start time, so the name order is the start order.
  for (const runId of entries
    .filter((e) => RUN_ID_PATTERN.test(e))
    .sort()
    .reverse()) {
    const line = await firstLine(join(outDir, runId, "journal.jsonl"));
    if (line === undefined) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (record["t"] !== "run" || record["runId"] !== runId || typeof record["account"] !== "string") continue;
    const config = record["config"] as { file?: unknown } | undefined;
    const saved = record["savedPlan"] as { sha256?: unknown } | undefined;
    const runbook = record["runbook"] as { id?: unknown } | undefined;
    headers.push({
      runId,
      account: record["account"],
      runbookId: typeof runbook?.id === "string" ? runbook.id : undefined,
      configFile: typeof config?.file === "string" ? config.file : undefined,
      savedPlanSha256: typeof saved?.sha256 === "string" ? saved.sha256 : undefined,
    });
  }
  return headers;
}
