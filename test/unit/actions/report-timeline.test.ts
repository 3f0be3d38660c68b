// The report's timeline: a service check the operator overrode ("revoke anyway" after it failed) is shown as their
// decision, by whom, never as a passed check; a passing check stays a plain "done".
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/plan.js";
import { buildReport } from "../../../src/actions/build-report.js";
import { renderMarkdown } from "../../../src/actions/render-report.js";
import { type JournalRecord } from "../../../src/core/journal-records.js";
import { planOf, writeJournal } from "../../helpers/journal-fixture.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function check(id: string, name: string): Change {
  return {
    id,
    stepId: "secrets",
    action: "test",
    kind: "verify",
    target: name,
    summary: `service check ${name}`,
    reversible: false,
    idempotent: true,
    params: {},
  };
}

const PLAN = planOf([
  {
    id: "secrets",
    changes: [check("secrets:check/billing", "billing"), check("secrets:check/shop", "shop")],
  },
]);

async function journalOf(records: JournalRecord[]) {
  const dir = await mkdtemp(join(tmpdir(), "timeline-"));
  dirs.push(dir);
  return writeJournal(
    dir,
    PLAN,
    "2026-12-01T10:00:00.000Z",
    records.map((record): [string, JournalRecord] => ["2026-12-01T10:00:01.000Z", record]),
    { user: "ops", host: "laptop", operator: "Erin" },
  );
}

describe("report timeline", () => {
  it("shows a service check overridden by the operator as their decision, and a passing one as done", async () => {
    const state = await journalOf([
      {
        t: "done",
        changeId: "secrets:check/billing",
        output: { check: "billing", passed: false, attempts: 3, decision: "revoke anyway" },
      },
      { t: "done", changeId: "secrets:check/shop", output: { check: "shop", passed: true, attempts: 1 } },
    ]);
    const report = buildReport(state, new Date("2026-12-01T10:01:00.000Z"));
    const whats = report.timeline.map((t) => t.what);
    expect(whats).toContain("decided: revoke anyway after service check billing failed");
    expect(whats).not.toContain("done: service check billing");
    expect(whats).toContain("done: service check shop");
    expect(renderMarkdown(report)).toContain(
      "decided: revoke anyway after service check billing failed (by Erin (ops@laptop))",
    );
  });
});
