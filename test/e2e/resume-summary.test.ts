// The summary at the end of a resumed run counts the whole run: the steps and changes earlier attempts finished
// are listed and counted too, marked as theirs.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readJournal } from "../../src/engine/journal.js";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();

describe("summary after a resume", () => {
  it("lists every step of the run, the ones finished before the resume marked as earlier attempts", async () => {
    const e = await startRun({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    // killed in the applications.rekey step, at its first key PUT (after preflight, evidence, traffic.records and
    // secrets finished)
    const first = await e.run([], {
      kill: {
        sim: e.sim,
        when: (_n, info) => info.method === "PUT" && info.path.startsWith("/v2/applications/"),
      },
    });
    expect(first.killed).toBe(true);
    const [runId = ""] = await e.runIds();
    const resumed = await e.resume(runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = resumed.stderr.slice(resumed.stderr.lastIndexOf(`Run ${runId}:`));
    for (const step of ["preflight", "evidence", "traffic.records", "secrets"])
      expect(summary).toMatch(new RegExp(`✔ ${step} +done .*\\(earlier attempt\\)`));
    expect(summary).toMatch(/✔ applications\.rekey +done +\S+\n/);
    // The counts cover every step of the runbook as planned: those whose `when` is false are skipped.
    const { plan } = await readJournal(join(e.runDir(runId), "journal.jsonl"));
    const skipped = plan.steps.filter((step) => step.skipped !== undefined).length;
    expect(summary).toMatch(/↷ applications +skipped/);
    expect(summary).toContain(
      `${plan.steps.length - skipped} done · ${skipped} skipped · 0 pending · 0 failed (4 step(s) finished by earlier attempts)`,
    );
    const changes = /(\d+) change\(s\) done in this run, (\d+) of them by earlier attempts/.exec(summary);
    expect(changes, summary).not.toBeNull();
    expect(Number(changes?.[2])).toBeGreaterThanOrEqual(5);
    expect(Number(changes?.[1])).toBeGreaterThan(Number(changes?.[2]));
  });
});
