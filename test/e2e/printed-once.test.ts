// What is said once per screen: the unreachable-host hint (not once per failed request or step).
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();
const count = (text: string, what: string) => text.split(what).length - 1;

describe.concurrent("said once", () => {
  it("an unreachable host while planning: the hint once", async () => {
    const e = await startRun({ scenario: "compromised" });
    const closed = { VONAGE_API_HOST: "http://127.0.0.1:9", VONAGE_REST_HOST: "http://127.0.0.1:9" };
    for (const args of [
      ["audit"],
      ["run", "compromise", "--config", e.config, "--out", e.out, "--dry-run"],
    ]) {
      const result = await e.cli(args, { env: closed });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("cannot reach http://127.0.0.1:9 (ECONNREFUSED)");
      expect(count(result.stderr, "or your network"), result.stderr).toBe(1);
    }
  });

  it("a host that stops answering in the middle of a run: the hint once, however many changes failed", async () => {
    const e = await startRun({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    // every request from the 80th on is dropped unanswered (the applications step has several in flight; the
    // traffic records are read while planning and again before the secrets step)
    e.sim.setFaults({ dropConnectionOn: Array.from({ length: 2000 }, (_, i) => i + 80) });
    const result = await e.run();
    expect(result.code, result.stderr).toBe(1);
    expect(count(result.stderr, "cannot reach"), result.stderr).toBeGreaterThan(1);
    expect(count(result.stderr, "or your network"), result.stderr).toBe(1);
  });
});
