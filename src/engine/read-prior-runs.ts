// What earlier vonage-ir runs in an out directory did that later runs must know (the secrets they created, and for
// `audit` every change they made), read from their journals. Tolerant by design: a torn, corrupt or foreign journal
// only hides what it cannot tell.
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { PriorChange, PriorRun, PriorRuns, PriorSecret } from "../actions/action.js";
import { RUN_ID_PATTERN } from "./run-directory.js";

/** Larger journals are skipped rather than read whole into memory (a real one stays far below). */
const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ids of the secrets.rotate create changes in a plan (or a re-planned step). */
function createChangeIds(steps: unknown, into: Set<string>): void {
  if (!Array.isArray(steps)) return;
  for (const step of steps) {
    if (!isObject(step) || !Array.isArray(step["changes"])) continue;
    for (const change of step["changes"]) {
      if (
        isObject(change) &&
        change["action"] === "secrets.rotate" &&
        change["kind"] === "create" &&
        typeof change["id"] === "string"
      )
        into.add(change["id"]);
    }
  }
}

export interface PriorRunsRead extends PriorRuns {
  runs: PriorRun[];
}

function parseRecords(text: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record: unknown = JSON.parse(line);
      if (isObject(record)) records.push(record);
    } catch {
      // a torn or corrupt line tells nothing; the rest of the journal still does
    }
  }
  return records;
}

/** The planned changes of a journal by id, a re-planned step replacing its planned one. */
function plannedChanges(records: readonly Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const changes = new Map<string, Record<string, unknown>>();
  const add = (steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    for (const step of steps) {
      if (!isObject(step) || !Array.isArray(step["changes"])) continue;
      for (const change of step["changes"])
        if (isObject(change) && typeof change["id"] === "string") changes.set(change["id"], change);
    }
  };
  for (const record of records) {
    if (record["t"] === "plan" && isObject(record["plan"])) add(record["plan"]["steps"]);
    if (record["t"] === "replan") add([record["plan"]]);
  }
  return changes;
}

const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The run one journal records: its header and every change it completed. */
export function runIn(journalText: string, fallbackRunId: string): PriorRun {
  const records = parseRecords(journalText);
  const header = records.find((r) => r["t"] === "run");
  const planned = plannedChanges(records);
  const intents = new Map<string, string>();
  const changes: PriorChange[] = [];
  for (const record of records) {
    const changeId = asString(record["changeId"]);
    if (changeId === undefined) continue;
    if (record["t"] === "intent") {
      const ts = asString(record["ts"]);
      if (ts !== undefined) intents.set(changeId, ts);
      continue;
    }
    const change = planned.get(changeId);
    if (record["t"] !== "done" || change === undefined) continue;
    changes.push({
      changeId,
      action: asString(change["action"]) ?? "",
      kind: asString(change["kind"]) ?? "",
      summary: asString(change["summary"]) ?? changeId,
      target: asString(change["target"]) ?? "",
      params: change["params"],
      before: change["before"],
      output: record["output"],
      intentAt: intents.get(changeId),
      doneAt: asString(record["ts"]),
    });
  }
  return {
    runId: asString(header?.["runId"]) ?? fallbackRunId,
    account: asString(header?.["account"]),
    startedAt: asString(header?.["startedAt"]),
    changes,
  };
}

/** The secrets one journal says its run created (a create change recorded as done with its secret id). */
export function secretsCreatedIn(text: string, fallbackRunId: string): PriorSecret[] {
  const records = parseRecords(text);
  const header = records.find((r) => r["t"] === "run");
  const runId = typeof header?.["runId"] === "string" ? header["runId"] : fallbackRunId;
  const creates = new Set<string>();
  for (const record of records) {
    if (record["t"] === "plan" && isObject(record["plan"])) createChangeIds(record["plan"]["steps"], creates);
    if (record["t"] === "replan") createChangeIds([record["plan"]], creates);
  }
  const found: PriorSecret[] = [];
  for (const record of records) {
    if (record["t"] !== "done" || typeof record["changeId"] !== "string") continue;
    if (!creates.has(record["changeId"]) || !isObject(record["output"])) continue;
    const { apiKey, secretId, createdAt } = record["output"];
    if (typeof apiKey !== "string" || typeof secretId !== "string") continue;
    const at =
      typeof createdAt === "string" ? createdAt : typeof record["ts"] === "string" ? record["ts"] : "";
    found.push({ apiKey, secretId, runId, createdAt: at });
  }
  return found;
}

/**
 * Every secret created by a run whose directory is in `outDir`, and (with `changes`) every run with the changes it
 * completed; an absent or unreadable directory gives none.
 */
export async function readPriorRuns(
  outDir: string,
  options: { changes?: boolean } = {},
): Promise<PriorRunsRead> {
  const entries = await readdir(outDir).catch(() => [] as string[]);
  const secretsCreated: PriorSecret[] = [];
  const runs: PriorRun[] = [];
  for (const name of entries.filter((e) => RUN_ID_PATTERN.test(e)).sort()) {
    const path = join(outDir, name, "journal.jsonl");
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_JOURNAL_BYTES) continue;
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    secretsCreated.push(...secretsCreatedIn(text, name));
    // Every change of every run is for `audit` only: a run's start needs just the secrets.
    if (options.changes) runs.push(runIn(text, name));
  }
  return { secretsCreated, runs };
}
