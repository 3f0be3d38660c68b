// The support ticket draft is read by someone in another time zone: every time in it carries its zone.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();

describe("support ticket draft", () => {
  it("gives every time as ISO-8601 with Z or an offset, the Audit API's zone-less stamps included", async () => {
    const e = await startRun({ scenario: "compromised" });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const [runId = ""] = await e.runIds();
    const ticket = await readFile(join(e.runDir(runId), "support-ticket.md"), "utf8");
    const times =
      ticket.match(/\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[zZ]|[+-]\d{2}:?\d{2})?/g) ??
      [];
    expect(times.length).toBeGreaterThan(3);
    for (const time of times) expect(time).toMatch(/T\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})$/);
    // the attacker's audit events are among them
    expect(ticket).toMatch(
      /audit-event \S+ created \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z: ACCOUNT_SECRET_CREATE/,
    );
  });
});
