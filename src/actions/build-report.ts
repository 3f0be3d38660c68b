// The incident report as data, built from the run's journal alone (so `vonage-ir report <run-id>` can rebuild it):
// timeline, every change with before/after (redacted), suspects, the application id map, where the new secrets and
// keys are (paths and fingerprints only), what is pending, and the evidence manifest hash. render-report.ts turns
// it into markdown.
import { basename } from "node:path";
import type { JsonObject, JsonValue } from "../core/plan.js";
import { attackerWindow, type AttackerWindow } from "./attacker-window.js";
import type { Actor, JournalState } from "../core/journal-records.js";
import { foreignText } from "../core/foreign-text.js";
import { redact } from "../core/redact.js";
import { ID_MAP_FILE } from "./application-keys.js";
import { decisionLine, type RecordedWebhookDecision } from "./resolve-webhook-decisions.js";
import { trafficReport, type TrafficReport } from "./traffic-report.js";

export interface ReportChange {
  id: string;
  step: string;
  summary: string;
  kind: string;
  status: "done" | "pending" | "skipped" | "failed" | "started" | "not run";
  before?: JsonValue | undefined;
  after?: JsonValue | undefined;
  warnings?: string[] | undefined;
  note?: string | undefined;
  reason?: string | undefined;
  attestation?: JsonValue | undefined;
}

export interface Report {
  runId: string;
  runbook: string;
  account: string;
  startedAt: string;
  generatedAt: string;
  status: string;
  /** From the run's start to the last compromised credential made useless; absent when none was planned. */
  attackerWindow?: AttackerWindow | undefined;
  /** What the plan put above its steps (suspect webhooks): the first thing the report shows too. */
  attention: string[];
  /** Each suspect webhook's decision (keep / clear / replace), as planned, and who made it. */
  webhookDecisions: string[];
  /** Each journal record worth a line, with who did it (absent in journals written before actors). */
  timeline: { at: string; what: string; by?: string | undefined }[];
  changes: ReportChange[];
  suspects: JsonValue[];
  applicationIdMap: JsonValue[];
  credentials: { what: string; path: string; fingerprint: string }[];
  pending: { step: string; summary: string; reason: string }[];
  evidenceManifestSha256: string | undefined;
  reverse: string[];
  /** A `restore` run: the run it reverses, what it reversed, and what it left to a person or as it is. */
  restore?: RestoreSection | undefined;
  /** What the operator must do now that credentials were replaced (absent when none was). */
  afterRotation?: AfterRotation | undefined;
  /** The fraud's size, the BLOCK rules, spend before and after containment (absent without traffic steps). */
  traffic?: TrafficReport | undefined;
  /** The journal as this report read it: its records and the sha256 of its last line (the chain's head). */
  journal: { lines: number; finalHash: string };
}

export interface RestoreSection {
  of: string;
  reversed: { summary: string; status: ReportChange["status"] }[];
  manual: { summary: string; instructions: string }[];
  irreversible: { summary: string; reason: string }[];
}

export interface AfterRotation {
  /** The sink file of each new API secret. */
  secretFiles: { apiKey: string; path: string }[];
  idMapPath: string | undefined;
  /** Old secrets revoked and old applications deleted so far: whatever still uses them fails now. */
  revokedSecrets: number;
  deletedApplications: number;
  /** Applications whose key was replaced in place (rekey): their old private key fails now. */
  rekeyedApplications: number;
  /** Deliveries to the config's `deliver:` targets done, and whether the plan had any (issue 17). */
  delivered?: number | undefined;
  deliveryConfigured?: boolean | undefined;
}

/** A JSON object, or an empty one for anything else (an output or an entry read back from the journal). */
export function obj(value: JsonValue | undefined): JsonObject {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

export function buildReport(state: JournalState, now: Date = new Date()): Report {
  const records = readRecords(state);
  const { changes, pending } = changesOf(state, records);
  const outputs = readOutputs(state);
  const afterRotation = afterRotationOf(state);
  const traffic = trafficReport(state);
  const restore = restoreSection(state, changes);
  return shown({
    runId: state.header.runId,
    runbook: `${state.plan.runbook.title} (${state.plan.runbook.id} v${state.plan.runbook.version})`,
    account: state.header.account,
    startedAt: state.header.startedAt,
    generatedAt: now.toISOString(),
    status: state.ended?.status ?? (pending.length > 0 ? "in progress" : "done"),
    attackerWindow: attackerWindow(state),
    attention: attentionOf(state),
    webhookDecisions: webhookDecisionsOf(state),
    timeline: records.timeline,
    changes,
    suspects: outputs.suspects,
    applicationIdMap: outputs.idMap,
    credentials: outputs.credentials,
    pending,
    evidenceManifestSha256: outputs.manifest,
    reverse: reverseLines(state, changes, traffic),
    ...(restore ? { restore } : {}),
    ...(afterRotation ? { afterRotation } : {}),
    journal: { lines: state.records.length, finalHash: state.finalHash },
    ...(traffic ? { traffic } : {}),
  });
}

/** What one pass over the journal's records finds: notes and attestations of done changes, what started, the timeline. */
interface RecordsRead {
  notes: Map<string, string>;
  attestations: Map<string, JsonValue>;
  started: Set<string>;
  timeline: Report["timeline"];
}

function readRecords(state: JournalState): RecordsRead {
  const notes = new Map<string, string>();
  const attestations = new Map<string, JsonValue>();
  const timeline: Report["timeline"] = [];
  const started = new Set<string>();
  const summaries = new Map(
    state.plan.steps.flatMap((step) => step.changes.map((c) => [c.id, c.summary] as const)),
  );
  for (const record of state.records) {
    if (record.t === "done") {
      if (record.note) notes.set(record.changeId, record.note);
      const output = obj(record.output);
      if (output.attestation) attestations.set(record.changeId, output.attestation);
    }
    if (record.t === "intent") started.add(record.changeId);
    const line = timelineLine(record, summaries);
    if (line) timeline.push({ at: record.ts, what: line, by: describeActor(record.actor) });
  }
  return { notes, attestations, started, timeline };
}

/** Every planned change with its status, and the ones still to do (of steps not skipped). */
function changesOf(
  state: JournalState,
  records: RecordsRead,
): { changes: ReportChange[]; pending: Report["pending"] } {
  const changes: ReportChange[] = [];
  const pending: Report["pending"] = [];
  for (const step of state.plan.steps) {
    for (const change of step.changes) {
      const status = changeStatus(state, change.id, records.started);
      const reason =
        state.skipped.get(change.id) ?? state.pending.get(change.id) ?? state.failed.get(change.id);
      changes.push({
        id: change.id,
        step: step.id,
        summary: change.summary,
        kind: change.kind,
        status,
        before: change.before,
        after: change.after,
        warnings: change.warnings,
        note: records.notes.get(change.id),
        reason,
        attestation: records.attestations.get(change.id),
      });
      if (status === "pending" || status === "not run" || status === "started" || status === "failed") {
        if (!step.skipped) pending.push({ step: step.id, summary: change.summary, reason: reason ?? status });
      }
    }
  }
  return { changes, pending };
}

function changeStatus(
  state: JournalState,
  changeId: string,
  started: ReadonlySet<string>,
): ReportChange["status"] {
  // Done, then pending: a re-verification found its end state undone (see Action.reverify).
  return state.done.has(changeId)
    ? state.pending.has(changeId)
      ? "pending"
      : "done"
    : state.skipped.has(changeId)
      ? "skipped"
      : state.pending.has(changeId)
        ? "pending"
        : state.failed.has(changeId)
          ? "failed"
          : started.has(changeId)
            ? "started"
            : "not run";
}

/** What the done changes' outputs hold: suspects, the application id map, new credentials, the evidence manifest. */
function readOutputs(state: JournalState): {
  suspects: JsonValue[];
  idMap: JsonValue[];
  credentials: Report["credentials"];
  manifest: string | undefined;
} {
  const suspects: JsonValue[] = [];
  const idMap: JsonValue[] = [];
  const credentials: Report["credentials"] = [];
  let manifest: string | undefined;
  const replacements = replacementChanges(state);
  for (const [changeId, output] of state.done) {
    if (Array.isArray(output.suspects)) suspects.push(...output.suspects);
    if (typeof output.manifestSha256 === "string") manifest = output.manifestSha256;
    if (replacements.has(changeId) && typeof output.newId === "string" && typeof output.oldId === "string") {
      idMap.push({
        oldId: output.oldId,
        newId: output.newId,
        name: output.name ?? null,
        keyPath: output.keyPath ?? null,
      });
    }
    const path =
      typeof output.path === "string"
        ? output.path
        : typeof output.keyPath === "string"
          ? output.keyPath
          : undefined;
    const fp =
      typeof output.fingerprint === "string"
        ? output.fingerprint
        : typeof output.publicKeyFingerprint === "string"
          ? output.publicKeyFingerprint
          : undefined;
    if (path && fp) credentials.push({ what: changeId, path, fingerprint: fp });
  }
  return { suspects, idMap, credentials, manifest };
}

/**
 * The changes whose outputs feed the id map: applications.recreate's creates and applications.rekey's key
 * replacements (same id), found by plan, not by output shape.
 */
function replacementChanges(state: JournalState): Set<string> {
  return new Set(
    state.plan.steps
      .flatMap((step) => step.changes)
      .filter(
        (change) =>
          (change.action === "applications.recreate" && change.kind === "create") ||
          (change.action === "applications.rekey" && change.kind === "update"),
      )
      .map((change) => change.id),
  );
}

/** What the plan put above its steps (steps not skipped), each line once. */
function attentionOf(state: JournalState): string[] {
  return [...new Set(state.plan.steps.flatMap((step) => (step.skipped ? [] : (step.attention ?? []))))];
}

function webhookDecisionsOf(state: JournalState): string[] {
  return state.plan.steps
    .flatMap((step) => step.changes)
    .flatMap((change) =>
      Array.isArray(change.params.webhookDecisions) ? change.params.webhookDecisions : [],
    )
    .filter((d): d is RecordedWebhookDecision => typeof d === "object" && d !== null && !Array.isArray(d))
    .map(decisionLine);
}

/** How to undo what can be undone: each suspension done, then each Fraud Defender rule. */
function reverseLines(
  state: JournalState,
  changes: readonly ReportChange[],
  traffic: TrafficReport | undefined,
): string[] {
  const reverse = changes
    .filter((c) => c.status === "done" && c.kind === "suspend")
    .map(
      (c) =>
        `${c.summary}: reverse with PATCH /accounts/${state.header.account}/subaccounts/<key> {"suspended": false} or in the dashboard (Subaccounts)`,
    );
  // No documented API call removes a Fraud Defender rule: each says how to lift it by hand.
  for (const rule of traffic?.rules ?? [])
    reverse.push(`Fraud Defender BLOCK rule ${rule.product} +${rule.prefix}: ${rule.lift}`);
  return reverse;
}

function restoreSection(state: JournalState, changes: readonly ReportChange[]): RestoreSection | undefined {
  const restoreOf = state.plan.restoreOf;
  return (
    restoreOf && {
      of: restoreOf.runId,
      reversed: changes.map((c) => ({ summary: c.summary, status: c.status })),
      manual: restoreOf.manual.map(({ summary, instructions }) => ({ summary, instructions })),
      irreversible: restoreOf.irreversible.map(({ summary, reason }) => ({ summary, reason })),
    }
  );
}

/** `Alice (ops@laptop)`, or `ops@laptop` when no name was given: who did a thing, in the timeline. */
function describeActor(actor: Actor | undefined): string | undefined {
  if (!actor) return undefined;
  const where = `${actor.user}@${actor.host}`;
  return actor.operator ? `${actor.operator} (${where})` : where;
}

/** From the plan's actions and kinds (not output shapes): the new secrets' files, the id map, what was revoked. */
function afterRotationOf(state: JournalState): AfterRotation | undefined {
  const after: AfterRotation = {
    secretFiles: [],
    idMapPath: undefined,
    revokedSecrets: 0,
    deletedApplications: 0,
    rekeyedApplications: 0,
    delivered: 0,
    deliveryConfigured: false,
  };
  for (const change of state.plan.steps.flatMap((step) => step.changes)) {
    if (change.kind === "deliver") after.deliveryConfigured = true;
    const output = state.done.get(change.id);
    if (!output) continue;
    if (change.kind === "deliver") after.delivered = (after.delivered ?? 0) + 1;
    else if (change.action === "secrets.rotate" && change.kind === "create") {
      if (typeof output.apiKey === "string" && typeof output.path === "string")
        after.secretFiles.push({ apiKey: output.apiKey, path: output.path });
    } else if (change.action === "secrets.rotate" && change.kind === "delete") after.revokedSecrets++;
    else if (change.action === "applications.recreate" && change.kind === "delete")
      after.deletedApplications++;
    else if (change.action === "applications.rekey" && change.kind === "update") after.rekeyedApplications++;
    // Both strategies write the id map (rekey's maps each id to itself and its new key file).
    else if (
      (change.action === "applications.recreate" || change.action === "applications.rekey") &&
      change.kind === "write-file" &&
      typeof output.path === "string" &&
      basename(output.path) === ID_MAP_FILE
    )
      after.idMapPath = output.path;
  }
  return after.secretFiles.length > 0 || after.idMapPath !== undefined ? after : undefined;
}

/** Bound of one value in the report: any real name, URL, note or error fits; a megabyte error detail does not. */
const REPORT_VALUE_MAX = 2000;

/**
 * The report as it may be shown: redacted, and every string one line, bounded, without control characters
 * (names come from the account; `cat report.md` must not let one redraw the terminal).
 */
function shown<T>(value: T): T {
  const clean = (v: unknown): unknown => {
    if (typeof v === "string") return foreignText(v, REPORT_VALUE_MAX);
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, clean(inner)]));
    return v;
  };
  return clean(redact(value)) as T;
}

function timelineLine(
  record: JournalState["records"][number],
  summaries: ReadonlyMap<string, string>,
): string | undefined {
  const summary = (id: string) => summaries.get(id) ?? id;
  switch (record.t) {
    case "run":
      return `run started for account ${record.account}`;
    case "resume":
      return `run resumed (${record.mode})${record.acceptedBrokenJournal ? `, accepting the broken journal chain at line ${record.acceptedBrokenJournal.line}` : ""}`;
    case "confirm":
      return `confirmed: ${record.changes} change(s) of step ${record.stepId}`;
    case "step":
      return record.status === "started"
        ? undefined
        : `step ${record.stepId}: ${record.status}${record.reason ? ` (${record.reason})` : ""}`;
    case "done": {
      // A failing service check the operator overrode is a decision, not a pass.
      const output = record.output;
      if (output && typeof output.decision === "string" && output.passed === false)
        return `decided: ${output.decision} after service check ${typeof output.check === "string" ? output.check : summary(record.changeId)} failed`;
      return `done: ${summary(record.changeId)}${record.how === "reconciled" ? " (reconciled after an interruption)" : ""}`;
    }
    case "failed":
      return `FAILED: ${summary(record.changeId)}: ${record.error}`;
    case "skipped":
      return `skipped: ${summary(record.changeId)} (${record.reason})`;
    case "pending":
      return `pending: ${summary(record.changeId)} (${record.reason})`;
    case "interrupted":
      return `interrupted by ${record.signal}`;
    case "notify":
      return `notification "${record.event}" to ${record.target} not delivered: ${record.error}`;
    case "handoff":
      return `handed off to ${record.to} (${record.file}, sha256 ${record.sha256.slice(0, 16)}…): continued elsewhere`;
    case "imported":
      return `imported from a hand-off file (sha256 ${record.sha256.slice(0, 16)}…)`;
    case "end":
      return `run ended: ${record.status} (exit ${record.exitCode})`;
    default:
      return undefined;
  }
}
