// The incident report, built from the run's journal alone (so `vonage-ir report <run-id>` can rebuild it):
// timeline, every change with before/after (redacted), suspects, the application id map, where the new
// secrets and keys are (paths and fingerprints only), what is pending, and the evidence manifest hash.
import { fileURLToPath } from "node:url";
import { basename, join } from "node:path";
import { z } from "zod";
import type { Action } from "./action.js";
import type { JsonObject, JsonValue } from "../core/plan.js";
import { attackerWindow, describeAttackerWindow, type AttackerWindow } from "./attacker-window.js";
import type { Actor, JournalState } from "../core/journal-records.js";
import { foreignText } from "../core/foreign-text.js";
import { redact } from "../core/redact.js";
import { shellQuote } from "../io/shell-quote.js";
import { ID_MAP_FILE } from "./recreate-applications.js";
import { writePrivateFile } from "../security/private-file.js";
import { decisionLine, type RecordedWebhookDecision } from "./resolve-webhook-decisions.js";
import { trafficLines, trafficReport, type TrafficReport } from "./traffic-report.js";

/**
 * docs/delivery.md where this copy of vonage-ir lives (the package ships docs/): a path the operator can open, not
 * one relative to wherever they ran the command. src/actions/, dist/actions/ and dist/bundle/ are all two levels down.
 */
const DELIVERY_DOC = fileURLToPath(new URL("../../docs/delivery.md", import.meta.url));

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

function obj(value: JsonValue | undefined): JsonObject {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

export function buildReport(state: JournalState, now: Date = new Date()): Report {
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
  const changes: ReportChange[] = [];
  const pending: Report["pending"] = [];
  for (const step of state.plan.steps) {
    for (const change of step.changes) {
      // Done, then pending: a re-verification found its end state undone (see Action.reverify).
      const status: ReportChange["status"] = state.done.has(change.id)
        ? state.pending.has(change.id)
          ? "pending"
          : "done"
        : state.skipped.has(change.id)
          ? "skipped"
          : state.pending.has(change.id)
            ? "pending"
            : state.failed.has(change.id)
              ? "failed"
              : started.has(change.id)
                ? "started"
                : "not run";
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
        note: notes.get(change.id),
        reason,
        attestation: attestations.get(change.id),
      });
      if (status === "pending" || status === "not run" || status === "started" || status === "failed") {
        if (!step.skipped) pending.push({ step: step.id, summary: change.summary, reason: reason ?? status });
      }
    }
  }
  const suspects: JsonValue[] = [];
  const idMap: JsonValue[] = [];
  const credentials: Report["credentials"] = [];
  let manifest: string | undefined;
  // The id map: the outputs of applications.recreate's creates and applications.rekey's key replacements (same
  // id), found by plan, not by output shape.
  const replacements = new Set(
    state.plan.steps
      .flatMap((step) => step.changes)
      .filter(
        (change) =>
          (change.action === "applications.recreate" && change.kind === "create") ||
          (change.action === "applications.rekey" && change.kind === "update"),
      )
      .map((change) => change.id),
  );
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
  const attention = [
    ...new Set(state.plan.steps.flatMap((step) => (step.skipped ? [] : (step.attention ?? [])))),
  ];
  const webhookDecisions = state.plan.steps
    .flatMap((step) => step.changes)
    .flatMap((change) =>
      Array.isArray(change.params.webhookDecisions) ? change.params.webhookDecisions : [],
    )
    .filter((d): d is RecordedWebhookDecision => typeof d === "object" && d !== null && !Array.isArray(d))
    .map(decisionLine);
  const afterRotation = afterRotationOf(state);
  const traffic = trafficReport(state);
  const reverse = changes
    .filter((c) => c.status === "done" && c.kind === "suspend")
    .map(
      (c) =>
        `${c.summary}: reverse with PATCH /accounts/${state.header.account}/subaccounts/<key> {"suspended": false} or in the dashboard (Subaccounts)`,
    );
  const restoreOf = state.plan.restoreOf;
  const restore: RestoreSection | undefined = restoreOf && {
    of: restoreOf.runId,
    reversed: changes.map((c) => ({ summary: c.summary, status: c.status })),
    manual: restoreOf.manual.map(({ summary, instructions }) => ({ summary, instructions })),
    irreversible: restoreOf.irreversible.map(({ summary, reason }) => ({ summary, reason })),
  };
  // No documented API call removes a Fraud Defender rule: each says how to lift it by hand.
  for (const rule of traffic?.rules ?? [])
    reverse.push(`Fraud Defender BLOCK rule ${rule.product} +${rule.prefix}: ${rule.lift}`);
  return shown({
    runId: state.header.runId,
    runbook: `${state.plan.runbook.title} (${state.plan.runbook.id} v${state.plan.runbook.version})`,
    account: state.header.account,
    startedAt: state.header.startedAt,
    generatedAt: now.toISOString(),
    status: state.ended?.status ?? (pending.length > 0 ? "in progress" : "done"),
    attackerWindow: attackerWindow(state),
    attention,
    webhookDecisions,
    timeline,
    changes,
    suspects,
    applicationIdMap: idMap,
    credentials,
    pending,
    evidenceManifestSha256: manifest,
    reverse,
    ...(restore ? { restore } : {}),
    ...(afterRotation ? { afterRotation } : {}),
    journal: { lines: state.records.length, finalHash: state.finalHash },
    ...(traffic ? { traffic } : {}),
  });
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

/**
 * The "what now" lines after a rotation, for the end screen and the report. `program` is how the operator's shell
 * runs vonage-ir; `code` wraps a command (backticks in Markdown).
 */
export function afterRotationLines(
  after: AfterRotation,
  program = "vonage-ir",
  code: (text: string) => string = (text) => text,
): string[] {
  const lines: string[] = [];
  for (const { apiKey, path } of after.secretFiles) {
    lines.push(
      `New API secret of ${apiKey}: ${code(path)} (0600, never printed)`,
      `  load it without printing it: ${code(`export VONAGE_API_SECRET="$(cat ${shellQuote(path)})"`)}`,
      "    (the value is read from the file, so it never reaches the screen or your shell history; never paste the value itself into a command)",
      `  or for one command: ${code(`${program} audit --secret-stdin < ${shellQuote(path)}`)}`,
    );
  }
  if (after.idMapPath)
    lines.push(`Application id map (old → new id, new key file): ${code(after.idMapPath)}`);
  if (after.revokedSecrets > 0 || after.deletedApplications > 0 || after.rekeyedApplications > 0) {
    const gone = [
      after.revokedSecrets > 0 ? `${after.revokedSecrets} old API secret(s) revoked` : "",
      after.deletedApplications > 0 ? `${after.deletedApplications} old application(s) deleted` : "",
      after.rekeyedApplications > 0 ? `${after.rekeyedApplications} application key(s) replaced` : "",
    ].filter(Boolean);
    lines.push(
      after.deliveryConfigured
        ? `! Services your deliver: targets do not cover still use the old secret or keys and are failing now (${gone.join(", ")}): deploy the new secret and keys to them.`
        : `! Services still using the old secret or the old application keys are failing now (${gone.join(", ")}): deploy the new secret and keys to them.`,
    );
  }
  if ((after.delivered ?? 0) > 0)
    lines.push(
      `Delivered by your deliver: targets: ${after.delivered} credential(s) (each listed in the report)`,
    );
  if (!after.deliveryConfigured)
    lines.push(
      `Next time, vonage-ir can deliver the new credentials where your services read them and check the services before the old ones are revoked: see ${DELIVERY_DOC} (deliver: and verify: in the config)`,
    );
  return lines;
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

const STATUS: Record<ReportChange["status"], string> = {
  done: "✔ done",
  pending: "… pending",
  skipped: "↷ skipped",
  failed: "✖ failed",
  started: "? started, outcome unknown",
  "not run": "· not run",
};

export function renderMarkdown(report: Report): string {
  const lines: string[] = [
    `# Incident report: ${report.runbook}`,
    "",
    `- Run: \`${report.runId}\``,
    `- Account: \`${report.account}\``,
    `- Started: ${report.startedAt}`,
    `- Status: **${report.status}**`,
    ...(report.attackerWindow ? windowLines(report.attackerWindow) : []),
    `- Generated: ${report.generatedAt}`,
    `- Evidence manifest sha256: ${report.evidenceManifestSha256 ? `\`${report.evidenceManifestSha256}\`` : "(no snapshot taken)"}`,
    "",
    "This report holds no secret values: only fingerprints and the paths of the 0600 files that hold them.",
    "",
  ];
  if (report.attention.length > 0) {
    lines.push("## Read this first", "");
    for (const a of report.attention) lines.push(`- ⚠ ${a}`);
    lines.push("");
  }
  if (report.webhookDecisions.length > 0) {
    lines.push("## Suspect webhook decisions", "");
    for (const d of report.webhookDecisions) lines.push(`- ${d}`);
    lines.push("");
  }
  if (report.restore) lines.push(...restoreLines(report.restore));
  lines.push("## Pending", "");
  if (report.pending.length === 0) lines.push("Nothing is pending.");
  for (const p of report.pending) lines.push(`- **${p.step}**: ${p.summary} (${p.reason})`);
  lines.push("", "## New credentials", "");
  if (report.credentials.length === 0) lines.push("No new credentials were created.");
  for (const c of report.credentials) lines.push(`- ${c.what}: \`${c.path}\` (${c.fingerprint})`);
  if (report.afterRotation) {
    lines.push("", "## After the rotation: what to do now", "");
    for (const line of afterRotationLines(report.afterRotation, "vonage-ir", (text) => `\`${text}\``))
      lines.push(line.startsWith(" ") ? `  - ${line.trim()}` : `- ${line}`);
  }
  if (report.traffic) {
    lines.push("", "## Traffic and spend", "");
    for (const line of trafficLines(report.traffic)) lines.push(`- ${line}`);
  }
  lines.push("", "## Application id map (update every consumer of the old ids)", "");
  if (report.applicationIdMap.length === 0) lines.push("No application was replaced.");
  else {
    lines.push("| old id | new id | name | private key |", "| --- | --- | --- | --- |");
    for (const entry of report.applicationIdMap.map(obj)) {
      lines.push(
        `| \`${String(entry.oldId)}\` | \`${String(entry.newId)}\` | ${String(entry.name ?? "")} | \`${String(entry.keyPath ?? "")}\` |`,
      );
    }
  }
  lines.push("", "## Suspects (created after the compromise time)", "");
  if (report.suspects.length === 0) lines.push("None found.");
  for (const s of report.suspects.map(obj))
    lines.push(`- ${String(s.kind)} \`${String(s.id)}\` created ${String(s.createdAt)}: ${String(s.detail)}`);
  lines.push("", "## Changes", "");
  for (const c of report.changes) {
    lines.push(
      `- ${STATUS[c.status]}: ${c.summary}${c.note ? ` (${c.note})` : ""}${c.reason && c.status !== "done" ? ` (${c.reason})` : ""}`,
    );
    for (const w of c.warnings ?? []) lines.push(`  - ⚠ ${w}`);
    if (c.before !== undefined) lines.push(`  - before: \`${JSON.stringify(c.before)}\``);
    if (c.after !== undefined) lines.push(`  - after: \`${JSON.stringify(c.after)}\``);
    if (c.attestation !== undefined) lines.push(`  - attestation: \`${JSON.stringify(c.attestation)}\``);
  }
  if (report.reverse.length > 0) {
    lines.push("", "## How to reverse", "");
    for (const r of report.reverse) lines.push(`- ${r}`);
  }
  lines.push("", "## Timeline", "");
  for (const t of report.timeline) lines.push(`- ${t.at} ${t.what}${t.by ? ` (by ${t.by})` : ""}`);
  lines.push(
    "",
    "## Journal",
    "",
    `- ${report.journal.lines} records; sha256 of the last: \`${report.journal.finalHash}\``,
    "- A copy of this report pins the journal: `vonage-ir verify-journal` with `--expect` and this hash checks the journal's hash chain and that this record is still in it.",
  );
  return `${lines.join("\n")}\n`;
}

/** A restore run's own section, as AWS's containment runbook lists its Restore mode: reversed, manual, irreversible. */
function restoreLines(restore: RestoreSection): string[] {
  const lines = [`## Restore of run \`${restore.of}\``, "", "### Reversed by this run", ""];
  if (restore.reversed.length === 0) lines.push("Nothing that run did can be reversed through the API.");
  for (const r of restore.reversed) lines.push(`- ${STATUS[r.status]}: ${r.summary}`);
  lines.push("", "### Not reversed: a person may do it (no API)", "");
  if (restore.manual.length === 0) lines.push("None.");
  for (const m of restore.manual) lines.push(`- ${m.summary}: ${m.instructions}`);
  lines.push("", "### Irreversible, or kept on purpose (no credential is re-enabled)", "");
  if (restore.irreversible.length === 0) lines.push("None.");
  for (const i of restore.irreversible) lines.push(`- ${i.summary}: ${i.reason}`);
  lines.push("");
  return lines;
}

/** The attacker window, with every live credential named when the line cannot name them all. */
function windowLines(window: AttackerWindow): string[] {
  const lines = [`- Attacker window: ${describeAttackerWindow(window)}`];
  if (window.alive.length > 5) {
    for (const a of window.alive) lines.push(`  - still alive: ${a.credential} (${a.status})`);
  }
  return lines;
}

/** (Re)writes report.md and report.json of a run directory from its journal (`state`, read back from it). */
export async function writeReport(
  runDir: string,
  state: JournalState,
  now?: Date,
): Promise<{ markdown: string; json: string; report: Report }> {
  const report = buildReport(state, now);
  const markdown = join(runDir, "report.md");
  const json = join(runDir, "report.json");
  await writePrivateFile(markdown, renderMarkdown(report));
  await writePrivateFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, json, report };
}

export const writeReportAction: Action<Record<string, never>> = {
  id: "report",
  title: "Write the incident report from the journal",
  why: "the record of what happened and what was done, for the ticket, the post-mortem and Vonage support",
  params: z.strictObject({}),
  async plan() {
    return {
      changes: [
        {
          id: "write",
          kind: "write-file",
          target: "report.md, report.json",
          reversible: true,
          idempotent: true,
          params: {},
        },
      ],
    };
  },
  describe: (change) => `write ${change.target} (from the journal; rewritten at the end of every run)`,
  async apply(ctx) {
    const { markdown } = await writeReport(ctx.runDir, await ctx.journal.read(), ctx.clock.now());
    return { status: "done", output: { path: markdown } };
  },
};
