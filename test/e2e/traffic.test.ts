// The traffic steps end to end: an unattended run with traffic.blockSuspects blocks the fraud's destinations
// (never an allowed country) and its report and ticket show the fraud's size, the spend before and after
// containment and that the traffic stopped; a dry run creates no rule; a kill between a rule's intent and done
// is resumed to the same end (a duplicate BLOCK rule is harmless); every new output passes the leak scan.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();
const TRAFFIC = {
  "traffic.blockSuspects": true,
  // LV carries fraud in the scenario: allowed, it must never be blocked.
  "traffic.allowCountries": ["GB", "US", "LV"],
  "traffic.verifySeconds": 3,
};

async function start(): Promise<E2eRun> {
  const e = await startRun({ scenario: "compromised" }, { values: TRAFFIC });
  await e.sim.setAutoReload(false);
  return e;
}

async function blockRules(e: E2eRun): Promise<string[]> {
  return (await e.sim.fetchState()).fraudRules
    .filter((r) => r.action === "block" && r.owner === e.sim.primary.apiKey)
    .map((r) => `${r.product}/${r.prefix}`);
}

describe.concurrent("traffic", () => {
  it("blocks the suspects, never an allowed country, and reports the spend before and after containment", async () => {
    const e = await start();
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const rules = await blockRules(e);
    expect(rules).toEqual(expect.arrayContaining(["sms/88213", "sms/2449"]));
    expect(rules.some((r) => r.endsWith("/37167"))).toBe(false);
    const [runId] = await e.runIds();
    const runDir = e.runDir(runId!);
    const report = await readFile(join(runDir, "report.md"), "utf8");
    expect(report).toMatch(/## Traffic and spend/);
    expect(report).toMatch(/destination XS \+88213: \d+ records, [\d.]+ EUR after the compromise/);
    expect(report).toMatch(/sent by API key [0-9a-f]+: \d+ records/);
    expect(report).toMatch(/spend before containment: [1-9][\d.]* EUR since the compromise/);
    expect(report).toMatch(/spend after containment: 0\.00 EUR \(0 fraudulent records/);
    expect(report).toMatch(/traffic stopped: no fraudulent record in the 3 s after containment/);
    expect(report).toMatch(/Fraud Defender BLOCK rule sms \+88213: .*ALLOW rule/);
    const ticket = await readFile(join(runDir, "support-ticket.md"), "utf8");
    expect(ticket).toMatch(/Traffic since the compromise \(Reports API; please review these charges\):/);
    expect(ticket).toMatch(/first record to a suspect destination: \S+Z/);
    const manifest = JSON.parse(
      await readFile(join(runDir, "evidence", "traffic", "manifest.json"), "utf8"),
    ) as {
      files: Record<string, { sha256: string }>;
    };
    expect(Object.keys(manifest.files)).toContain(`${e.sim.primary.apiKey}-SMS.jsonl`);
    expect(await e.scan()).toEqual([]);
  });

  it("--dry-run plans the rules and creates none", async () => {
    const e = await start();
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/create a Fraud Defender BLOCK rule: sms to \+88213/);
    expect(await blockRules(e)).toEqual([]);
    expect(e.sim.requests().filter((r) => r.path.startsWith("/v1/fraud-defender"))).toEqual([]);
  });

  it("killed between a rule's intent and done, a resume reaches the same end", async () => {
    const e = await start();
    const done = await e.untilDone({
      kill: (attempt) =>
        attempt === 0 ? (_n, r) => r.method === "POST" && r.path === "/v1/fraud-defender/rules" : undefined,
    });
    expect(done.kills).toBe(1);
    const rules = await blockRules(e);
    expect(new Set(rules)).toEqual(new Set(rules.filter((r) => !r.endsWith("/37167"))));
    expect(rules).toEqual(expect.arrayContaining(["sms/88213", "sms/2449", "voice/88213"]));
    const journal = await readFile(join(done.runDir, "journal.jsonl"), "utf8");
    expect(journal).toMatch(
      /"t":"done","changeId":"traffic\.block:block\/[^"]+"[^\n]*"how":"reconciled"|"how":"reconciled"[^\n]*"changeId":"traffic\.block:/,
    );
  });
});
