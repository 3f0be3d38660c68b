// A dry run takes no lock and may run while another run holds the account's: it says which run, and since when.
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();

describe("dry run beside a run", () => {
  it("says that a run is in progress, with its run id and since when, and changes nothing", async () => {
    const e = await startRun({ scenario: "compromised" });
    const stateDir = join(e.dir, ".vonage-ir-state");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const holder = {
      runId: "20261201-230000-abc123",
      // this test's own process: alive, as a run in progress is
      pid: process.pid,
      host: hostname(),
      startedAt: "2026-12-01T23:00:00.000Z",
    };
    await writeFile(join(stateDir, `.lock-${e.sim.primary.apiKey}`), `${JSON.stringify(holder)}\n`, {
      mode: 0o600,
    });
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `run ${holder.runId} is in progress on account ${e.sim.primary.apiKey} (since ${holder.startedAt}`,
    );
    expect(result.stderr).toContain("Dry run: nothing was changed");

    // a stale lock (its process gone) is not a run in progress
    await writeFile(
      join(stateDir, `.lock-${e.sim.primary.apiKey}`),
      `${JSON.stringify({ ...holder, pid: 2 ** 22 + 7 })}\n`,
      { mode: 0o600 },
    );
    const stale = await e.run(["--dry-run"]);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stderr).not.toContain("is in progress");
  });
});
