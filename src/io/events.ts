// Events are data: one union keyed by `kind`, redacted where they are built, rendered by exactly one
// formatter per kind (human text for stderr, JSON lines for `--json`). The JSON schema is versioned.
import { terminalText } from "../core/foreign-text.js";
import {
  LIST_LIMIT,
  PLAIN,
  WARNING_MARK,
  markOf,
  paintLine,
  planLegend,
  type PlanStyle,
} from "./plan-marks.js";
import { redact } from "../core/redact.js";

export const EVENT_SCHEMA_VERSION = 1;

export interface AttestableStep {
  stepId: string;
  evidence: { id: string; label: string; required: boolean }[];
}

export type StepStatus = "done" | "skipped" | "pending" | "failed";
export type ChangeStatus = "done" | "pending" | "skipped" | "failed" | "reconciled" | "already-done";
export type RunStatus = "done" | "pending" | "failed" | "aborted" | "refused" | "planned";

export interface PlannedChangeSummary {
  id: string;
  kind: string;
  summary: string;
  warnings?: string[] | undefined;
}

export interface PlannedStepSummary {
  id: string;
  title: string;
  why?: string | undefined;
  skipped?: string | undefined;
  changes: PlannedChangeSummary[];
  notes?: string[] | undefined;
  attention?: string[] | undefined;
}

export type Event =
  | {
      kind: "run.started";
      runId: string;
      runbook: string;
      account: string;
      mode: "interactive" | "non-interactive";
      dryRun: boolean;
      resumed: boolean;
      runDir?: string | undefined;
    }
  | { kind: "plan.ready"; runId?: string | undefined; steps: PlannedStepSummary[] }
  | { kind: "step.started"; stepId: string; title: string; why?: string | undefined }
  | {
      kind: "step.finished";
      stepId: string;
      status: StepStatus;
      durationMs: number;
      reason?: string | undefined;
    }
  | { kind: "change.started"; changeId: string; summary: string }
  | {
      kind: "change.finished";
      changeId: string;
      summary: string;
      status: ChangeStatus;
      detail?: string | undefined;
    }
  | {
      kind: "progress";
      stepId: string;
      done: number;
      total?: number | undefined;
      ratePerSecond?: number | undefined;
      etaSeconds?: number | undefined;
      label?: string | undefined;
    }
  | { kind: "info"; message: string }
  | { kind: "warning"; message: string }
  | {
      kind: "run.finished";
      runId: string;
      status: RunStatus;
      exitCode: number;
      pending: { stepId: string; changeId: string; summary: string }[];
      /** Every step of the run, in order, for the summary table; `earlier`: finished by an earlier attempt. */
      steps?: { stepId: string; status: StepStatus; durationMs: number; earlier?: boolean }[] | undefined;
      /** Changes done over the whole run, and how many of them by earlier attempts (after a resume). */
      changesDone?: { total: number; earlier: number } | undefined;
      reportPath?: string | undefined;
      sinkDir?: string | undefined;
      /** After a rotation: the new secret's file, how to load it, the id map, what is failing now. */
      nextSteps?: string[] | undefined;
      resumeCommand?: string | undefined;
      /** From the report: how long the old credentials stayed alive in this run, or which still are. */
      attackerWindow?: AttackerWindowSummary | undefined;
      /** Pending manual steps a config can attest (exit 3), with the evidence each needs. */
      attestable?: AttestableStep[] | undefined;
      /** The config file to add the attestations to (none: the run had no --config). */
      configFile?: string | undefined;
      /** When the run finished: the example attestation's `at`. */
      finishedAt?: string | undefined;
    }
  | { kind: "error"; message: string; hint?: string | undefined; exitCode: number };

export interface AttackerWindowSummary {
  /** From the run's start (its first attempt) to the last compromised credential made useless. */
  seconds?: number | undefined;
  /** The credential killed last. */
  last?: string | undefined;
  /** Credentials whose killing change is not done. */
  alive: string[];
  /** The report's line. */
  line: string;
}

export type EventKind = Event["kind"];
export type EventInput = Event;

export interface EventSink {
  emit(event: Event): void;
}

/** Builds the redacted, timestamped record of an event. */
export function stamp(event: Event, now: Date = new Date()): Event & { v: number; ts: string } {
  return { v: EVENT_SCHEMA_VERSION, ts: now.toISOString(), ...redact(event) };
}

type Formatters = { [K in EventKind]: (event: Extract<Event, { kind: K }>) => string | undefined };

const STATUS_MARK: Record<ChangeStatus | StepStatus, string> = {
  done: "✔",
  pending: "…",
  skipped: "↷",
  failed: "✖",
  reconciled: "✔",
  "already-done": "✔",
};

/** One formatter per event kind: the human text (undefined = nothing to print). */
export const humanFormatters: Formatters = {
  "run.started": (e) =>
    `${e.dryRun ? "Planning (dry run, nothing will change)" : e.resumed ? "Resuming" : "Starting"} ${e.runbook} for account ${e.account} (${e.mode})${e.runDir ? `\n  run directory: ${e.runDir}` : ""}`,
  "plan.ready": (e) => formatPlan(e.steps),
  "step.started": (e) => `\n▸ ${e.title} [${e.stepId}]${e.why ? `\n  why: ${e.why}` : ""}`,
  "step.finished": (e) =>
    `${STATUS_MARK[e.status]} ${e.stepId}: ${e.status}${e.reason ? ` (${e.reason})` : ""} in ${formatDuration(e.durationMs)}`,
  "change.started": () => undefined,
  "change.finished": (e) =>
    `  ${STATUS_MARK[e.status]} ${e.summary}${e.status === "done" ? "" : ` (${e.status})`}${e.detail ? `: ${e.detail}` : ""}`,
  progress: (e) =>
    `  ${e.label ?? "progress"}: ${e.done}${e.total === undefined ? "" : `/${e.total}`}${e.ratePerSecond ? `, ${e.ratePerSecond.toFixed(1)}/s` : ""}${e.etaSeconds !== undefined ? `, ETA ${Math.ceil(e.etaSeconds)}s` : ""}`,
  info: (e) => e.message,
  warning: (e) => `${WARNING_MARK} ${e.message}`,
  "run.finished": (e) => formatFinish(e),
  error: (e) => `error: ${e.message}${e.hint ? `\n  ${e.hint}` : ""}`,
};

export function formatHuman(event: Event): string | undefined {
  const format = humanFormatters[event.kind] as (e: Event) => string | undefined;
  const text = format(redact(event));
  // Names from the account reach these lines: no escape sequence of theirs may reach the terminal.
  return text === undefined ? undefined : terminalText(text);
}

export function formatJsonLine(event: Event, now?: Date): string {
  return JSON.stringify(stamp(event, now));
}

/** The changes of one list, each with its warnings under it; a long list is cut at LIST_LIMIT unless `full`. */
export function formatChangeList(
  changes: readonly PlannedChangeSummary[],
  style: PlanStyle = PLAIN,
  indent = "    ",
): string[] {
  const shown = style.full || changes.length <= LIST_LIMIT ? changes : changes.slice(0, LIST_LIMIT);
  const lines: string[] = [];
  for (const change of shown) {
    // Cleaned before it is painted: the colour is ours, any escape sequence in the account's names is not.
    lines.push(
      paintLine(terminalText(`${indent}${markOf(change.kind)} ${change.summary}`), change.kind, style),
    );
    for (const warning of change.warnings ?? [])
      lines.push(terminalText(`${indent}    ${WARNING_MARK} ${warning}`));
  }
  if (shown.length < changes.length) {
    lines.push(
      terminalText(
        `${indent}… and ${changes.length - shown.length} more${style.seeAll ? `: ${style.seeAll}` : ""}`,
      ),
    );
  }
  return lines;
}

/** Every step's attention lines, once each, under a heading: printed before the plan's steps. */
export function formatAttention(steps: readonly PlannedStepSummary[]): string[] {
  const seen = [...new Set(steps.flatMap((step) => (step.skipped ? [] : (step.attention ?? []))))];
  return seen.length === 0 ? [] : ["Read this first:", ...seen.map((line) => `  !! ${line}`), ""];
}

function legendOf(steps: readonly PlannedStepSummary[]): string | undefined {
  const changes = steps.flatMap((s) => (s.skipped ? [] : s.changes));
  return planLegend(
    changes.map((c) => c.kind),
    changes.some((c) => (c.warnings?.length ?? 0) > 0),
  );
}

/** The dry-run diff: a legend of the marks it uses, then each step with its notes and changes. */
export function formatPlan(steps: PlannedStepSummary[], style: PlanStyle = PLAIN): string {
  const lines: string[] = [...formatAttention(steps), "Plan:"];
  const legend = legendOf(steps);
  if (legend) lines.push(legend);
  for (const step of steps) {
    if (step.skipped) {
      lines.push(terminalText(`  ${step.id}: skipped (${step.skipped})`));
      continue;
    }
    lines.push(
      terminalText(`  ${step.title} [${step.id}]${step.changes.length === 0 ? ": nothing to change" : ""}`),
    );
    for (const note of step.notes ?? []) lines.push(terminalText(`      note: ${note}`));
    lines.push(...formatChangeList(step.changes, style));
  }
  const count = steps.reduce((n, s) => n + s.changes.length, 0);
  lines.push(`${count} change(s) in ${steps.filter((s) => !s.skipped).length} step(s).`);
  return lines.join("\n");
}

/**
 * The start screen of an interactive run: what will change, counted per step, destructive counts in colour, each
 * warning under the change it concerns, and once the legend of the marks the confirm screens use.
 */
export function formatStartScreen(steps: PlannedStepSummary[], style: PlanStyle = PLAIN): string {
  const lines: string[] = [...formatAttention(steps), "What will change:"];
  const width = Math.max(...steps.map((s) => s.id.length));
  for (const step of steps) {
    const id = terminalText(step.id.padEnd(width));
    if (step.skipped) {
      lines.push(terminalText(`  ${id}  skipped (${step.skipped})`));
      continue;
    }
    const counts = new Map<string, number>();
    for (const change of step.changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
    const text =
      [...counts].map(([kind, n]) => paintLine(`${n} ${terminalText(kind)}`, kind, style)).join(", ") ||
      "nothing left to do";
    lines.push(`  ${id}  ${text}`);
    const warned = step.changes.filter((c) => (c.warnings?.length ?? 0) > 0);
    lines.push(...formatChangeList(warned, style, "    "));
  }
  const legend = legendOf(steps);
  if (legend) lines.push(legend);
  return lines.join("\n");
}

function formatFinish(e: Extract<Event, { kind: "run.finished" }>): string {
  const lines = [`\nRun ${e.runId}: ${e.status} (exit ${e.exitCode})`];
  if (e.steps && e.steps.length > 0) {
    const width = Math.max(...e.steps.map((s) => s.stepId.length));
    const tally = new Map<StepStatus, number>();
    for (const step of e.steps) {
      tally.set(step.status, (tally.get(step.status) ?? 0) + 1);
      lines.push(
        `  ${STATUS_MARK[step.status]} ${step.stepId.padEnd(width)}  ${step.status.padEnd(7)}  ${formatDuration(step.durationMs)}${step.earlier ? "  (earlier attempt)" : ""}`,
      );
    }
    const earlier = e.steps.filter((s) => s.earlier).length;
    lines.push(
      `  ${(["done", "skipped", "pending", "failed"] as const).map((s) => `${tally.get(s) ?? 0} ${s}`).join(" · ")}${earlier ? ` (${earlier} step(s) finished by earlier attempts)` : ""}`,
    );
  }
  if (e.changesDone && e.changesDone.earlier > 0) {
    lines.push(
      `  ${e.changesDone.total} change(s) done in this run, ${e.changesDone.earlier} of them by earlier attempts`,
    );
  }
  if (e.pending.length > 0) {
    lines.push("Pending (needs a person):");
    for (const p of e.pending) lines.push(`  ${STATUS_MARK.pending} ${p.stepId}: ${p.summary}`);
  }
  if (e.attackerWindow) lines.push(`Attacker window: ${e.attackerWindow.line}`);
  if (e.reportPath) lines.push(`Report: ${e.reportPath}`);
  if (e.sinkDir) lines.push(`New secrets and keys (0600, never printed): ${e.sinkDir}`);
  if (e.attestable && e.attestable.length > 0 && e.resumeCommand) {
    lines.push(...formatAttestHowTo(e.attestable, e.configFile, e.finishedAt));
  }
  if (e.nextSteps && e.nextSteps.length > 0) lines.push("Now:", ...e.nextSteps.map((line) => `  ${line}`));
  if (e.resumeCommand) lines.push(`Resume with: ${e.resumeCommand}`);
  return lines.join("\n");
}

/**
 * Exit 3's "how to close the manual steps": once a person has done each step, the `attest:` entries to add to
 * the config (every key the step needs), then the resume command printed below it. A run in a terminal asks.
 */
export function formatAttestHowTo(
  steps: AttestableStep[],
  configFile: string | undefined,
  finishedAt: string | undefined,
): string[] {
  const at = finishedAt ?? "2026-01-01T00:00:00Z";
  const lines = [
    `To close the manual steps unattended: once a person has done each one, add to ${configFile ?? "the config file (then pass it with --config)"}:`,
    "attest:",
  ];
  for (const step of steps) {
    // `by` is left empty: a snippet pasted unedited attests nothing (the config refuses an empty `by`).
    lines.push(
      `  ${step.stepId}:`,
      `    by: ""                        # who did it (name or email)`,
      `    at: "${at}"    # when it was done (ISO-8601 with a zone; after the run started)`,
    );
    if (step.evidence.length > 0) lines.push("    evidence:");
    for (const field of step.evidence)
      lines.push(`      ${field.id}: ""    # ${field.label}${field.required ? " (required)" : ""}`);
  }
  lines.push("then resume with the command below (a resume in a terminal asks instead):");
  return lines;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
