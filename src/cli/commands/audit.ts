// `vonage-ir audit`: the read-only posture audit. The gateway is wrapped in the dry-run guard, so no write can
// happen whatever a check does; the exit code follows --fail-on so CI can gate on it. What vonage-ir runs in the
// out directory did (their journals) is listed as theirs, not as suspects.
import { resolve } from "node:path";
import type { PriorRun } from "../../actions/action.js";
import { attributeAuditEvents, type OwnChange } from "../../actions/attribute-audit-events.js";
import type { Finding, Severity } from "../../actions/posture-checks.js";
import { ExitCode, UsageError } from "../../core/errors.js";
import { readPriorRuns } from "../../engine/read-prior-runs.js";
import { RUN_ID_PATTERN } from "../../engine/run-directory.js";
import { terminalText } from "../../core/foreign-text.js";
import { redactText } from "../../core/redact.js";
import { parseInstant } from "../../runbook/parse-instant.js";
import { createDryRunGateway } from "../../vonage/dry-run-gateway.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { buildGateway, DEFAULT_OUT, hostsFromEnv, planningInput, readCredentials } from "../session.js";

const THRESHOLDS = ["high", "medium", "low"] as const;
type Threshold = (typeof THRESHOLDS)[number];

export interface AuditArgs {
  since: string | undefined;
  allowSubaccounts: string[] | undefined;
  failOn: Threshold | undefined;
  secretMaxAgeDays: number | undefined;
  json: boolean;
  /** The out directory whose runs' changes are not suspects. */
  out: string;
  /** Only this run's changes (default: every run of the account in `out`). */
  run: string | undefined;
}

export function parseAuditArgs(values: Values, positionals: string[]): AuditArgs {
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument "${positionals[0] ?? ""}"`,
      "vonage-ir audit takes options only",
    );
  const sinceText = typeof values.since === "string" ? values.since.trim() : undefined;
  // The config's rule: a date-time needs a zone, a bare date is 00:00 UTC that day.
  const since = sinceText === undefined ? undefined : parseInstant(sinceText);
  if (sinceText !== undefined && since === undefined) {
    throw new UsageError(
      `--since must be an ISO-8601 date-time with a zone or a bare date (00:00 UTC), not "${sinceText}"`,
      "e.g. --since 2026-01-14T08:00:00Z or --since 2026-01-14",
    );
  }
  const allow =
    typeof values["allow-subaccounts"] === "string"
      ? values["allow-subaccounts"]
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean)
      : undefined;
  const failOnValue = values["fail-on"];
  let failOn: Threshold | undefined;
  if (typeof failOnValue === "string") {
    if (!(THRESHOLDS as readonly string[]).includes(failOnValue)) {
      throw new UsageError(`--fail-on must be high, medium or low, not "${failOnValue}"`);
    }
    failOn = failOnValue as Threshold;
  }
  const maxAge = values["secret-max-age-days"];
  let secretMaxAgeDays: number | undefined;
  if (typeof maxAge === "string") {
    secretMaxAgeDays = Number(maxAge);
    if (maxAge.trim() === "" || !Number.isInteger(secretMaxAgeDays) || secretMaxAgeDays < 1)
      throw new UsageError(`--secret-max-age-days must be a whole number of days >= 1, not "${maxAge}"`);
  }
  const run = typeof values.run === "string" ? values.run.trim() : undefined;
  if (run !== undefined && !RUN_ID_PATTERN.test(run))
    throw new UsageError(`--run needs a run id, not "${run}"`, "e.g. --run 20261122-193000-a1b2c3");
  return {
    since,
    allowSubaccounts: allow,
    failOn,
    secretMaxAgeDays,
    json: Boolean(values.json),
    out: typeof values.out === "string" ? values.out : DEFAULT_OUT,
    run,
  };
}

export function formatFindingsTable(findings: readonly Finding[]): string {
  const auto = findings.filter((f) => !f.manual);
  const manual = findings.filter((f) => f.manual);
  const sevWidth = Math.max(8, ...auto.map((f) => f.severity.length));
  const idWidth = Math.max(5, ...auto.map((f) => f.id.length));
  const indent = " ".repeat(sevWidth + idWidth + 4);
  const lines: string[] = [];
  if (auto.length === 0) {
    lines.push("No findings.");
  } else {
    lines.push(`${"SEVERITY".padEnd(sevWidth)}  ${"CHECK".padEnd(idWidth)}  DETAIL / FIX`);
    for (const f of auto) {
      lines.push(`${f.severity.padEnd(sevWidth)}  ${f.id.padEnd(idWidth)}  ${f.detail}`);
      lines.push(`${indent}fix: ${f.fix}`);
    }
  }
  if (manual.length > 0) {
    lines.push("", "Verify manually (no API can check these):");
    for (const f of manual) lines.push(`  [ ] ${f.title}: ${f.detail}`, `      ${f.fix}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The audit events vonage-ir runs explain, per run: below the findings, so the real suspects stay on top. */
export function formatOwnChanges(ours: readonly OwnChange[], outDir: string): string {
  if (ours.length === 0) return "";
  const lines = ["", `Done by vonage-ir (matched to the run journals in ${outDir}; not suspects):`];
  let run: string | undefined;
  for (const change of ours) {
    if (change.runId !== run) {
      run = change.runId;
      lines.push(`  done by vonage-ir run ${run}:`);
    }
    const types = new Map<string, number>();
    for (const e of change.events) types.set(e.eventType, (types.get(e.eventType) ?? 0) + 1);
    const listed = [...types].map(([type, n]) => (n === 1 ? type : `${type} ×${n}`)).join(", ");
    lines.push(`    ✔ ${change.summary} (audit: ${listed})`);
  }
  return `${lines.join("\n")}\n`;
}

/** The runs of this account in the out directory (only `--run`'s when given). */
async function runsOfAccount(outDir: string, apiKey: string, runId: string | undefined) {
  const prior = await readPriorRuns(outDir, { changes: true });
  const runs: PriorRun[] = prior.runs.filter(
    (r) => r.account === apiKey && (runId === undefined || r.runId === runId),
  );
  if (runId !== undefined && runs.length === 0) {
    throw new UsageError(
      `no run ${runId} of account ${apiKey} in ${outDir}`,
      "pass the --out directory the run used (vonage-ir audit --out DIR --run RUN-ID)",
    );
  }
  const ids = new Set(runs.map((r) => r.runId));
  return { runs, ownSecrets: prior.secretsCreated.filter((s) => ids.has(s.runId)) };
}

function countsLine(counts: Record<Severity, number>): string {
  return `${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.info} info`;
}

export default async function audit(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const args = parseAuditArgs(values, positionals);
  const credentials = await readCredentials(values, io);
  const { collectPosture } = await import("../../actions/collect-posture.js");
  const { countBySeverity, failsThreshold, runChecks } = await import("../../actions/posture-checks.js");
  const { gateway: live, stats } = await buildGateway(credentials, hostsFromEnv(io), 4);
  const gateway = createDryRunGateway(live);
  const started = Date.now();
  const outDir = resolve(io.cwd, args.out);
  const own = await runsOfAccount(outDir, gateway.apiKey, args.run);
  const data = await planningInput(() => collectPosture(gateway, { since: args.since }));
  const attribution = data.audit?.available ? attributeAuditEvents(data.audit.value, own.runs) : undefined;
  if (attribution) data.audit = { available: true, value: attribution.others };
  const ours = attribution?.ours ?? [];
  const findings = runChecks(data, {
    since: args.since,
    ownSecrets: own.ownSecrets,
    allowSubaccounts: args.allowSubaccounts,
    secretMaxAgeDays: args.secretMaxAgeDays,
    now: new Date(),
  });
  const counts = countBySeverity(findings);
  const failed = failsThreshold(findings, args.failOn);
  if (args.json) {
    const ownChanges = ours.map((c) => ({
      runId: c.runId,
      changeId: c.changeId,
      summary: c.summary,
      events: c.events.map((e) => ({ id: e.id, type: e.eventType, createdAt: e.createdAt })),
    }));
    io.stdout.write(`${redactText(JSON.stringify({ v: 1, findings, counts, ownChanges }))}\n`);
  } else {
    // Findings quote names and audit text from the account: no escape sequence of theirs reaches the terminal.
    io.stdout.write(terminalText(redactText(formatFindingsTable(findings) + formatOwnChanges(ours, outDir))));
    const { requests } = stats();
    io.stderr.write(
      `\naudit of ${gateway.apiKey}: ${countsLine(counts)} (${requests} read requests in ${((Date.now() - started) / 1000).toFixed(1)} s)${
        args.failOn ? `; --fail-on ${args.failOn}: ${failed ? "FAIL" : "pass"}` : ""
      }\n`,
    );
  }
  return failed ? ExitCode.stepFailed : ExitCode.ok;
}
