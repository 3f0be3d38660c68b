// The posture audit: read what the gateway can see (collectPosture, reads only), then judge it with pure checks
// (runChecks) taken from Vonage's account-security advice. Used by `vonage-ir audit` and as the `posture.audit`
// action, which writes the findings to the run directory (e.g. as the last step of the compromise runbook).
// The phases live in collect-posture.ts, posture-checks.ts and findings-markdown.ts; this module is the action and
// the entry point `vonage-ir audit` imports.
import { mkdir } from "node:fs/promises";
import { writePrivateFile } from "../security/private-file.js";
import { join } from "node:path";
import { z } from "zod";
import type { Action } from "./action.js";
import type { JsonObject, JsonValue } from "../core/plan.js";
import { collectPosture } from "./collect-posture.js";
import { countBySeverity, failsThreshold, MANUAL_CHECKS, runChecks, SEVERITIES } from "./posture-checks.js";
import { findingsMarkdown } from "./findings-markdown.js";

export const postureAuditParams = z.strictObject({
  /** Anything created after this ISO date-time is a suspect. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Known subaccount API keys; any other subaccount is a finding. */
  allowSubaccounts: z.array(z.string().min(1)).optional(),
  /** Fail the step when a finding at or above this severity exists (after the files are written). */
  failOn: z.enum(["high", "medium", "low"]).optional(),
});

export const postureAudit: Action<z.infer<typeof postureAuditParams>> = {
  id: "posture.audit",
  title: "Audit the account's security posture",
  why: "after containment, what is still weak (and what needs a person to check) must be written down",
  params: postureAuditParams,
  plan(_ctx, params) {
    return Promise.resolve({
      changes: [
        {
          id: "audit",
          kind: "write-file",
          target: "posture-audit.json, posture-audit.md",
          reversible: true,
          idempotent: true,
          params: {
            since: params.since ?? null,
            allowSubaccounts: params.allowSubaccounts ?? null,
            failOn: params.failOn ?? null,
          },
        },
      ],
    });
  },
  describe: (change) =>
    `audit the account's posture (read-only) to ${change.target}${typeof change.params.since === "string" ? ` (suspects: created after ${change.params.since})` : ""}`,
  async apply(ctx, change) {
    const p = change.params;
    const since = typeof p.since === "string" ? p.since : undefined;
    const allowSubaccounts = Array.isArray(p.allowSubaccounts)
      ? p.allowSubaccounts.filter((k): k is string => typeof k === "string")
      : undefined;
    const failOn = p.failOn === "high" || p.failOn === "medium" || p.failOn === "low" ? p.failOn : undefined;
    const data = await collectPosture(ctx.gateway, {
      since,
      progress: (done, total, label) => ctx.progress(done, total, label),
    });
    const now = ctx.clock.now();
    // This run's own changes (new secrets, replacement applications) happened after `since` too: not suspects.
    const until = await ctx.journal.read().then(
      (journal) => journal.header.startedAt,
      () => undefined,
    );
    const findings = runChecks(data, { since, until, allowSubaccounts, now });
    const counts = countBySeverity(findings);
    await mkdir(ctx.runDir, { recursive: true });
    const jsonPath = join(ctx.runDir, "posture-audit.json");
    const mdPath = join(ctx.runDir, "posture-audit.md");
    await writePrivateFile(jsonPath, `${JSON.stringify({ v: 1, findings, counts }, null, 2)}\n`);
    await writePrivateFile(
      mdPath,
      findingsMarkdown(findings, { account: data.apiKey, at: now.toISOString() }),
    );
    if (failsThreshold(findings, failOn)) {
      throw new Error(
        `posture audit: ${findings.filter((f) => SEVERITIES.indexOf(f.severity) <= SEVERITIES.indexOf(failOn ?? "low")).length} finding(s) at or above ${failOn ?? ""} (see ${mdPath})`,
      );
    }
    const output: JsonObject = {
      json: jsonPath,
      markdown: mdPath,
      counts: counts as unknown as JsonValue,
      summary: `${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.info} info (${MANUAL_CHECKS.length} to verify manually)`,
    };
    return { status: "done", output, note: String(output.summary) };
  },
};
