// `vonage-ir audit`: the read-only posture audit. The gateway is wrapped in the dry-run guard, so no write can
// happen whatever a check does; the exit code follows --fail-on so CI can gate on it.
import type { Finding, Severity } from "../../actions/posture-audit.js";
import { ExitCode, UsageError } from "../../engine/errors.js";
import { terminalText } from "../../io/foreign-text.js";
import { redactText } from "../../io/redact.js";
import { parseInstant } from "../../runbook/parse-instant.js";
import { createDryRunGateway } from "../../vonage/dry-run-gateway.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { buildGateway, hostsFromEnv, planningInput, readCredentials } from "../session.js";

const THRESHOLDS = ["high", "medium", "low"] as const;
type Threshold = (typeof THRESHOLDS)[number];

export interface AuditArgs {
  since: string | undefined;
  allowSubaccounts: string[] | undefined;
  failOn: Threshold | undefined;
  secretMaxAgeDays: number | undefined;
  json: boolean;
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
  return {
    since,
    allowSubaccounts: allow,
    failOn,
    secretMaxAgeDays,
    json: Boolean(values.json),
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

function countsLine(counts: Record<Severity, number>): string {
  return `${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.info} info`;
}

export default async function audit(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const args = parseAuditArgs(values, positionals);
  const credentials = await readCredentials(values, io);
  const { collectPosture, countBySeverity, failsThreshold, runChecks } =
    await import("../../actions/posture-audit.js");
  const { gateway: live, stats } = await buildGateway(credentials, hostsFromEnv(io), 4);
  const gateway = createDryRunGateway(live);
  const started = Date.now();
  const data = await planningInput(() => collectPosture(gateway, { since: args.since }));
  const findings = runChecks(data, {
    since: args.since,
    allowSubaccounts: args.allowSubaccounts,
    secretMaxAgeDays: args.secretMaxAgeDays,
    now: new Date(),
  });
  const counts = countBySeverity(findings);
  const failed = failsThreshold(findings, args.failOn);
  if (args.json) {
    io.stdout.write(`${redactText(JSON.stringify({ v: 1, findings, counts }))}\n`);
  } else {
    // Findings quote names and audit text from the account: no escape sequence of theirs reaches the terminal.
    io.stdout.write(terminalText(redactText(formatFindingsTable(findings))));
    const { requests } = stats();
    io.stderr.write(
      `\naudit of ${gateway.apiKey}: ${countsLine(counts)} (${requests} read requests in ${((Date.now() - started) / 1000).toFixed(1)} s)${
        args.failOn ? `; --fail-on ${args.failOn}: ${failed ? "FAIL" : "pass"}` : ""
      }\n`,
    );
  }
  return failed ? ExitCode.stepFailed : ExitCode.ok;
}
