// A journal written by hand, for tests of what is built from one (the report, the attacker window): a header at
// `start`, the given plan, then each record at its own time; read back as the engine reads a run's journal.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Actor, JournalRecord, JournalState } from "../../src/core/journal-records.js";
import type { Change, Plan, PlanStep } from "../../src/core/plan.js";
import { readJournal } from "../../src/engine/journal.js";

/** A plan of the compromise runbook for account abcd1234 with these steps' changes. */
export function planOf(steps: { id: string; changes: Change[] }[]): Plan {
  return {
    version: 1,
    runbook: { id: "compromise", title: "t", version: 1, file: "x.yaml", hash: "h" },
    configHash: "c",
    account: "abcd1234",
    createdAt: "2026-12-01T10:00:00.000Z",
    inputs: {},
    steps: steps.map(({ id, changes }): PlanStep => ({
      id,
      title: id,
      action: "test",
      confirm: false,
      continueOnError: false,
      notes: [],
      changes,
    })),
  };
}

/** Writes `dir`/journal.jsonl: the run header and `plan` at `start`, then `records` (time, record). */
export async function writeJournal(
  dir: string,
  plan: Plan,
  start: string,
  records: [string, JournalRecord][],
  actor?: Actor,
): Promise<JournalState> {
  const all: [string, JournalRecord][] = [
    [
      start,
      {
        t: "run",
        v: 1,
        runId: "20261201-100000-abcdef",
        runbook: { id: "compromise", version: 1, file: "x.yaml", hash: "h" },
        configHash: "c",
        account: "abcd1234",
        startedAt: start,
      },
    ],
    [start, { t: "plan", plan }],
    ...records,
  ];
  const text = all
    .map(([ts, record], i) => JSON.stringify({ ...record, seq: i + 1, ts, ...(actor ? { actor } : {}) }))
    .join("\n");
  const path = join(dir, "journal.jsonl");
  await writeFile(path, `${text}\n`);
  return readJournal(path);
}
