// The summary at the end of a resumed run counts the whole run: the steps and changes earlier attempts finished
// are listed and counted too, marked as theirs.
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();

describe("summary after a resume", () => {
  it("lists every step of the run, the ones finished before the resume marked as earlier attempts", async () => {
    const e = await startRun({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    // killed in the applications step (after preflight, evidence and secrets finished)
    const first = await e.run([], {
      kill: {
        sim: e.sim,
        when: (_n, info) => info.method === "POST" && info.path.startsWith("/v2/applications"),
      },
    });
    expect(first.killed).toBe(true);
    const [runId = ""] = await e.runIds();
    const resumed = await e.resume(runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = resumed.stderr.slice(resumed.stderr.lastIndexOf(`Run ${runId}:`));
    for (const step of ["preflight", "evidence", "secrets"])
      expect(summary).toMatch(new RegExp(`✔ ${step} +done .*\\(earlier attempt\\)`));
    expect(summary).toMatch(/✔ applications +done +\S+\n/);
    expect(summary).toMatch(
      /14 done · 0 skipped · 0 pending · 0 failed \(3 step\(s\) finished by earlier attempts\)/,
    );
    const changes = /(\d+) change\(s\) done in this run, (\d+) of them by earlier attempts/.exec(summary);
    expect(changes, summary).not.toBeNull();
    expect(Number(changes?.[2])).toBeGreaterThanOrEqual(5);
    expect(Number(changes?.[1])).toBeGreaterThan(Number(changes?.[2]));
  });
});
