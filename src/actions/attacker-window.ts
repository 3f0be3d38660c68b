// The attacker window of a run, from its journal: wall-clock time from the run's start (its first attempt) to
// the done record of the last change that made a compromised credential useless, or which credentials still work.
import type { JournalState } from "../core/journal-records.js";

export interface LiveCredential {
  credential: string;
  changeId: string;
  /** Why its killing change has not taken effect: pending, failed, declined or skipped, not applied, … */
  status: string;
}

export interface AttackerWindow {
  /** The run's start: the header of its first attempt (a resume appends to the same journal). */
  from: string;
  /** The done record of the last killing change; absent when none is done. */
  to?: string | undefined;
  /** `to - from` in seconds, interruptions and time between attempts included (the attacker's clock). */
  seconds?: number | undefined;
  /** The credential whose killing change was done last. */
  last?: string | undefined;
  /** Credentials made useless by a done change. */
  killed: number;
  /** Credentials whose killing change is not done: they still work for whoever holds them. */
  alive: LiveCredential[];
  /** 1 + the number of resumes. */
  attempts: number;
}

/** Undefined when the run plans no change that kills a credential (nothing to measure). */
export function attackerWindow(state: JournalState): AttackerWindow | undefined {
  const killing = state.plan.steps.flatMap((step) =>
    step.changes.flatMap((change) =>
      change.killsCredential === undefined ? [] : [{ id: change.id, credential: change.killsCredential }],
    ),
  );
  if (killing.length === 0) return undefined;
  // The first done record counts: revokes and deletes cannot be undone, so a later "re-verified" done is not
  // when the credential died.
  const doneAt = new Map<string, string>();
  const started = new Set<string>();
  for (const record of state.records) {
    if (record.t === "done" && !doneAt.has(record.changeId)) doneAt.set(record.changeId, record.ts);
    if (record.t === "intent") started.add(record.changeId);
  }
  const from = state.header.startedAt;
  let last: { credential: string; at: string } | undefined;
  const alive: LiveCredential[] = [];
  let killed = 0;
  for (const { id, credential } of killing) {
    const at = doneAt.get(id);
    if (at === undefined) {
      alive.push({ credential, changeId: id, status: statusOf(state, id, started) });
      continue;
    }
    killed++;
    if (last === undefined || Date.parse(at) >= Date.parse(last.at)) last = { credential, at };
  }
  const attempts = 1 + state.records.filter((r) => r.t === "resume").length;
  return {
    from,
    ...(last
      ? {
          to: last.at,
          seconds: Math.max(0, (Date.parse(last.at) - Date.parse(from)) / 1000),
          last: last.credential,
        }
      : {}),
    killed,
    alive,
    attempts,
  };
}

function statusOf(state: JournalState, id: string, started: ReadonlySet<string>): string {
  const skipped = state.skipped.get(id);
  if (skipped !== undefined) return /declined/.test(skipped) ? "declined" : `skipped: ${skipped}`;
  const failed = state.failed.get(id);
  if (failed !== undefined) return `failed: ${failed}`;
  const pending = state.pending.get(id);
  if (pending !== undefined) return `pending: ${pending}`;
  if (started.has(id)) return "started, outcome unknown";
  return "not applied";
}

/** The report's and the end screen's line; `shown` bounds how many live credentials it names. */
export function describeAttackerWindow(window: AttackerWindow, shown = 5): string {
  const over = window.attempts > 1 ? `, over ${window.attempts} attempts` : "";
  const seconds = window.seconds === undefined ? undefined : formatSeconds(window.seconds);
  if (window.alive.length === 0) {
    return seconds === undefined
      ? "no old credential to kill"
      : `old credentials dead after ${seconds} s (from the run's start to the last one killed: ${window.last ?? "?"}${over})`;
  }
  const named = window.alive.slice(0, shown).map((a) => `${a.credential} (${a.status})`);
  if (window.alive.length > shown) named.push(`and ${window.alive.length - shown} more (see the report)`);
  const others =
    seconds === undefined
      ? ""
      : `; the ${window.killed} other(s) were dead after ${seconds} s (last: ${window.last ?? "?"}${over})`;
  return `old credentials STILL ALIVE: ${window.alive.length} of ${window.alive.length + window.killed}: ${named.join("; ")}${others}`;
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1);
}
