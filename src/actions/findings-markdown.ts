// The posture audit's rendering: the findings as a readable markdown page (the posture.audit action's .md file).
import { countBySeverity, type Finding } from "./posture-checks.js";

/** A readable markdown rendering (the action's .md file). */
export function findingsMarkdown(
  findings: readonly Finding[],
  meta: { account: string; at: string },
): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const counts = countBySeverity(findings.filter((f) => !f.manual));
  const auto = findings.filter((f) => !f.manual);
  const manual = findings.filter((f) => f.manual);
  return [
    `# Posture audit of ${meta.account}`,
    "",
    `Taken ${meta.at}. Findings: ${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.info} info.`,
    "",
    "| severity | check | detail | fix |",
    "| --- | --- | --- | --- |",
    ...auto.map((f) => `| ${f.severity} | ${f.id} | ${cell(f.detail)} | ${cell(f.fix)} |`),
    "",
    "## Verify manually",
    "",
    ...manual.map((f) => `- **${f.title}** (${f.id}): ${f.detail}. ${f.fix}.`),
    "",
  ].join("\n");
}
