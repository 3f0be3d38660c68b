// The attacker window from journal records: from the first attempt's start, through resumes, to the done record
// of the last killing change; killing changes not done name the credentials that still work.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/plan.js";
import { attackerWindow, describeAttackerWindow } from "../../../src/actions/attacker-window.js";
import { buildReport } from "../../../src/actions/build-report.js";
import { renderMarkdown } from "../../../src/actions/render-report.js";
import { type JournalRecord } from "../../../src/core/journal-records.js";
import { planOf, writeJournal } from "../../helpers/journal-fixture.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function change(id: string, killsCredential?: string): Change {
  return {
    id,
    stepId: id.split(":")[0] ?? "",
    action: "test",
    kind: "delete",
    target: id,
    summary: `delete ${id}`,
    reversible: false,
    idempotent: true,
    params: {},
    ...(killsCredential === undefined ? {} : { killsCredential }),
  };
}

const PLAN = planOf([
  {
    id: "secrets",
    changes: [change("secrets:create"), change("secrets:revoke/s1", "API secret s1 of abcd1234")],
  },
  {
    id: "applications",
    changes: [
      change("applications:a1/delete", 'key of application a1 "shop"'),
      change("applications:a2/delete", 'key of application a2 "crm"'),
    ],
  },
]);

/** Writes a journal: the header at `start`, the plan, then `records`, each stamped at its own time. */
async function journalOf(start: string, records: [string, JournalRecord][]) {
  const dir = await mkdtemp(join(tmpdir(), "window-"));
  dirs.push(dir);
  return writeJournal(dir, PLAN, start, records);
}

const done = (changeId: string): JournalRecord => ({ t: "done", changeId });

describe("attacker window", () => {
  it("runs from the run's start to the done record of the last killing change, naming that credential", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      ["2026-12-01T10:00:01.000Z", done("secrets:create")],
      ["2026-12-01T10:00:02.500Z", done("secrets:revoke/s1")],
      ["2026-12-01T10:00:09.000Z", done("applications:a2/delete")],
      ["2026-12-01T10:00:07.000Z", done("applications:a1/delete")],
    ]);
    const window = attackerWindow(state);
    expect(window).toMatchObject({ seconds: 9, last: 'key of application a2 "crm"', killed: 3, alive: [] });
    expect(describeAttackerWindow(window!)).toMatch(
      /^old credentials dead after 9\.00 s \(from the run's start to the last one killed: key of application a2 "crm"\)$/,
    );
  });

  it("counts from the first attempt's start, time between attempts included, and a resume's kills", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      ["2026-12-01T10:00:02.000Z", done("secrets:revoke/s1")],
      ["2026-12-01T10:00:03.000Z", done("applications:a1/delete")],
      ["2026-12-01T10:00:04.000Z", { t: "interrupted", signal: "SIGINT" }],
      ["2026-12-01T10:00:04.100Z", { t: "end", status: "aborted", exitCode: 130 }],
      // Resumed an hour later: the attacker's key of a2 worked all that time.
      ["2026-12-01T11:00:00.000Z", { t: "resume", mode: "non-interactive" }],
      ["2026-12-01T11:00:05.000Z", done("applications:a2/delete")],
    ]);
    const window = attackerWindow(state)!;
    expect(window.seconds).toBe(3605);
    expect(window.from).toBe("2026-12-01T10:00:00.000Z");
    expect(window.attempts).toBe(2);
    expect(describeAttackerWindow(window)).toContain("dead after 3605.0 s");
    expect(describeAttackerWindow(window)).toContain("over 2 attempts");
  });

  it("a change re-verified as done later still died at its first done record", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      ["2026-12-01T10:00:02.000Z", done("secrets:revoke/s1")],
      ["2026-12-01T10:00:03.000Z", done("applications:a1/delete")],
      ["2026-12-01T10:00:04.000Z", done("applications:a2/delete")],
      ["2026-12-01T10:05:00.000Z", { t: "pending", changeId: "secrets:revoke/s1", reason: "undone?" }],
      ["2026-12-01T10:10:00.000Z", { t: "done", changeId: "secrets:revoke/s1", how: "reverified" }],
    ]);
    expect(attackerWindow(state)?.seconds).toBe(4);
  });

  it("says plainly which credentials are still alive when a killing change is not done", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      ["2026-12-01T10:00:02.000Z", done("secrets:revoke/s1")],
      [
        "2026-12-01T10:00:03.000Z",
        { t: "failed", changeId: "applications:a1/delete", error: "number 447700900001 still linked" },
      ],
      ["2026-12-01T10:00:04.000Z", { t: "end", status: "failed", exitCode: 1 }],
    ]);
    const window = attackerWindow(state)!;
    expect(window.alive).toEqual([
      {
        credential: 'key of application a1 "shop"',
        changeId: "applications:a1/delete",
        status: "failed: number 447700900001 still linked",
      },
      {
        credential: 'key of application a2 "crm"',
        changeId: "applications:a2/delete",
        status: "not applied",
      },
    ]);
    const line = describeAttackerWindow(window);
    expect(line).toMatch(/^old credentials STILL ALIVE: 2 of 3: key of application a1 "shop" \(failed: /);
    expect(line).toContain('key of application a2 "crm" (not applied)');
    expect(line).toContain("the 1 other(s) were dead after 2.00 s (last: API secret s1 of abcd1234)");
    expect(line).not.toMatch(/^old credentials dead after/);
  });

  it("declined, pending and started-but-unknown kills are alive too; none done gives no duration", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      [
        "2026-12-01T10:00:01.000Z",
        { t: "skipped", changeId: "secrets:revoke/s1", reason: "declined by the operator" },
      ],
      [
        "2026-12-01T10:00:02.000Z",
        { t: "intent", changeId: "applications:a1/delete", summary: "x", data: {} },
      ],
      [
        "2026-12-01T10:00:03.000Z",
        { t: "pending", changeId: "applications:a2/delete", reason: "waiting for x" },
      ],
    ]);
    const window = attackerWindow(state)!;
    expect(window.seconds).toBeUndefined();
    expect(window.alive.map((a) => a.status)).toEqual([
      "declined",
      "started, outcome unknown",
      "pending: waiting for x",
    ]);
    expect(describeAttackerWindow(window)).toMatch(/^old credentials STILL ALIVE: 3 of 3: /);
  });

  it("is in the report (JSON and markdown); a run that plans no kill has none", async () => {
    const state = await journalOf("2026-12-01T10:00:00.000Z", [
      ["2026-12-01T10:00:02.000Z", done("secrets:revoke/s1")],
      ["2026-12-01T10:00:03.000Z", done("applications:a1/delete")],
      ["2026-12-01T10:00:04.250Z", done("applications:a2/delete")],
    ]);
    const report = buildReport(state);
    expect(report.attackerWindow?.seconds).toBe(4.25);
    expect(renderMarkdown(report)).toContain(
      '- Attacker window: old credentials dead after 4.25 s (from the run\'s start to the last one killed: key of application a2 "crm")',
    );
    const withoutKills = structuredClone(state);
    for (const step of withoutKills.plan.steps) for (const c of step.changes) delete c.killsCredential;
    expect(attackerWindow(withoutKills)).toBeUndefined();
    expect(renderMarkdown(buildReport(withoutKills))).not.toContain("Attacker window");
  });
});
