// The incident report rendered: report.md from the Report data of build-report.ts, and the "what now" lines after
// a rotation (shared by the report and the end screen).
import { fileURLToPath } from "node:url";
import { describeAttackerWindow, type AttackerWindow } from "./attacker-window.js";
import { shellQuote } from "../io/shell-quote.js";
import { trafficLines } from "./traffic-report.js";
import {
  obj,
  type AfterRotation,
  type Report,
  type ReportChange,
  type RestoreSection,
} from "./build-report.js";

/**
 * docs/delivery.md where this copy of vonage-ir lives (the package ships docs/): a path the operator can open, not
 * one relative to wherever they ran the command. src/actions/, dist/actions/ and dist/bundle/ are all two levels down.
 */
const DELIVERY_DOC = fileURLToPath(new URL("../../docs/delivery.md", import.meta.url));

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

const STATUS: Record<ReportChange["status"], string> = {
  done: "✔ done",
  pending: "… pending",
  skipped: "↷ skipped",
  failed: "✖ failed",
  started: "? started, outcome unknown",
  "not run": "· not run",
};

export function renderMarkdown(report: Report): string {
  const lines = headerLines(report);
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
  lines.push(...idMapLines(report.applicationIdMap));
  lines.push("", "## Suspects (created after the compromise time)", "");
  if (report.suspects.length === 0) lines.push("None found.");
  for (const s of report.suspects.map(obj))
    lines.push(`- ${String(s.kind)} \`${String(s.id)}\` created ${String(s.createdAt)}: ${String(s.detail)}`);
  lines.push(...changeLines(report.changes));
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

/** The title and the run's facts, above every section. */
function headerLines(report: Report): string[] {
  return [
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
}

/** The old → new application ids (and new key files), for every consumer of the old ids. */
function idMapLines(idMap: Report["applicationIdMap"]): string[] {
  const lines = ["", "## Application id map (update every consumer of the old ids)", ""];
  if (idMap.length === 0) lines.push("No application was replaced.");
  else {
    lines.push("| old id | new id | name | private key |", "| --- | --- | --- | --- |");
    for (const entry of idMap.map(obj)) {
      lines.push(
        `| \`${String(entry.oldId)}\` | \`${String(entry.newId)}\` | ${String(entry.name ?? "")} | \`${String(entry.keyPath ?? "")}\` |`,
      );
    }
  }
  return lines;
}

/** Every planned change with its status, warnings, before/after and attestation. */
function changeLines(changes: readonly ReportChange[]): string[] {
  const lines = ["", "## Changes", ""];
  for (const c of changes) {
    lines.push(
      `- ${STATUS[c.status]}: ${c.summary}${c.note ? ` (${c.note})` : ""}${c.reason && c.status !== "done" ? ` (${c.reason})` : ""}`,
    );
    for (const w of c.warnings ?? []) lines.push(`  - ⚠ ${w}`);
    if (c.before !== undefined) lines.push(`  - before: \`${JSON.stringify(c.before)}\``);
    if (c.after !== undefined) lines.push(`  - after: \`${JSON.stringify(c.after)}\``);
    if (c.attestation !== undefined) lines.push(`  - attestation: \`${JSON.stringify(c.attestation)}\``);
  }
  return lines;
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
