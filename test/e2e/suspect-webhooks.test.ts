// The attacker's webhook (the compromised scenario points ivr-legacy at collector.example.net) is never carried
// into a replacement without a decision: listed first in the plan, refused unattended, kept / cleared / replaced
// as webhooks.decisions says, and pending while undecided; the report and the support ticket draft name it.
// Rekey (the default) keeps the application, so it applies a decision in its PUT and leaves an undecided one
// in place for webhooks.review to keep pending.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SimState } from "../../src/simulator/index.js";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests } from "./helpers/e2e-simulator.js";

const start = e2eRunStarter();
const ANSWER = "http://collector.example.net/ivr/answer";
const EVENT = "http://collector.example.net/ivr/event";

/** The config values that choose the recreate strategy (rekey is the default). */
const RECREATE = { "applications.strategy": "recreate" };

type VoiceHooks = Record<string, { address?: string } | undefined>;

function ivrVoiceHooks(state: SimState): VoiceHooks {
  const apps = state.applications.filter((a) => a.name === "ivr-legacy");
  expect(apps).toHaveLength(1);
  const voice = apps[0]?.capabilities.voice as { webhooks?: VoiceHooks } | undefined;
  return voice?.webhooks ?? {};
}

async function runWithDecisions(
  decisions: string[] | undefined,
  strategy: Record<string, unknown> = RECREATE,
): Promise<{ e: E2eRun; runDir: string }> {
  const e = await start(
    { scenario: "compromised" },
    { values: { ...strategy, "webhooks.decisions": decisions } },
  );
  await e.sim.setAutoReload(false);
  const result = await e.run();
  expect(result.code, result.stderr).toBe(0);
  const [runId] = await e.runIds();
  return { e, runDir: e.runDir(runId ?? "") };
}

describe.concurrent("suspect webhooks on the compromised scenario", () => {
  it("recreate, without allowedHosts: the audit rule finds the attacker's host; unattended without a decision: exit 2 naming application, URL and key, nothing written", async () => {
    const e = await start(
      { scenario: "compromised" },
      { values: { ...RECREATE, "webhooks.decisions": undefined } },
    );
    const result = await e.run();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`application "ivr-legacy"`);
    expect(result.stderr).toContain(ANSWER);
    expect(result.stderr).toContain(EVENT);
    expect(result.stderr).toMatch(/Set webhooks\.decisions in the config/);
    expect(writeRequests(e.sim)).toEqual([]);
  });

  it("--dry-run shows the suspect above every step, says allowedHosts is not set, and sends no write", async () => {
    const e = await start({ scenario: "compromised" });
    const result = await e.run(["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const text = result.stderr;
    const first = text.indexOf("Read this first:");
    expect(first).toBeGreaterThan(-1);
    expect(first).toBeLessThan(text.indexOf("Plan:"));
    expect(text.slice(first, text.indexOf("Plan:"))).toContain(
      `suspect webhook ${ANSWER} on application "ivr-legacy"`,
    );
    expect(text).toMatch(/webhooks\.allowedHosts is not set: .*set webhooks\.allowedHosts in the config/);
    expect(writeRequests(e.sim)).toEqual([]);
  });

  it("recreate: keep carries the URL over; the report and the ticket draft list the suspect and the decision", async () => {
    const { e, runDir } = await runWithDecisions(["collector.example.net keep"]);
    const hooks = ivrVoiceHooks(await e.sim.fetchState());
    expect(hooks.answer_url?.address).toBe(ANSWER);
    expect(hooks.event_url?.address).toBe(EVENT);
    const report = await readFile(join(runDir, "report.md"), "utf8");
    expect(report.indexOf("## Read this first")).toBeLessThan(report.indexOf("## Pending"));
    expect(report).toContain(`suspect webhook ${ANSWER} on application "ivr-legacy"`);
    expect(report).toMatch(
      /ivr\/answer of application "ivr-legacy" .*: kept \(decided by webhooks\.decisions\)/,
    );
    const ticket = await readFile(join(runDir, "support-ticket.md"), "utf8");
    expect(ticket).toMatch(/Webhooks pointing at hosts we did not allow/);
    expect(ticket).toContain(`suspect webhook ${EVENT} on application "ivr-legacy"`);
  });

  it("recreate: clear removes the webhooks from the replacement (the simulator's request validation accepts it)", async () => {
    const { e, runDir } = await runWithDecisions(["collector.example.net clear"]);
    const state = await e.sim.fetchState();
    const hooks = ivrVoiceHooks(state);
    expect(hooks.answer_url).toBeUndefined();
    expect(hooks.event_url).toBeUndefined();
    expect(JSON.stringify(state.applications)).not.toContain("collector.example.net");
    const report = await readFile(join(runDir, "report.md"), "utf8");
    expect(report).toMatch(
      /ivr\/event of application "ivr-legacy" .*: cleared \(decided by webhooks\.decisions\)/,
    );
  });

  it("recreate: replace puts the operator's URL in its place; a URL's own decision wins over its host's", async () => {
    const { e } = await runWithDecisions([
      `${ANSWER} replace https://hooks.example.com/ivr/answer`,
      "collector.example.net clear",
    ]);
    const hooks = ivrVoiceHooks(await e.sim.fetchState());
    expect(hooks.answer_url?.address).toBe("https://hooks.example.com/ivr/answer");
    expect(hooks.event_url).toBeUndefined();
  });

  it("with allowedHosts, a suspect no step decides stays pending (exit 3) and is named in the pending list and the report", async () => {
    const e = await start(
      { scenario: "compromised" },
      {
        values: {
          "webhooks.allowedHosts": ["*.example.com"],
          "webhooks.decisions": undefined,
          // ivr-legacy is not replaced, so nothing decides its collector: the review keeps it pending.
          "applications.exclude": ["ivr-legacy"],
        },
      },
    );
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/host collector\.example\.net is not in webhooks\.allowedHosts/);
    expect(result.stderr).toMatch(
      /… webhooks\.review: suspect webhook http:\/\/collector\.example\.net\/ivr\/answer/,
    );
    expect(ivrVoiceHooks(await e.sim.fetchState()).answer_url?.address).toBe(ANSWER);
    const [runId] = await e.runIds();
    const report = await readFile(join(e.runDir(runId ?? ""), "report.md"), "utf8");
    expect(report).toMatch(
      /\*\*webhooks\.review\*\*: suspect webhook http:\/\/collector\.example\.net\/ivr\/event .*still in place and undecided/,
    );
  });

  it.each([
    ["the host", "collector.example.net clear"],
    ["the exact URL", `${ANSWER} clear`],
  ])(
    "rekey (the default), clear by %s: the PUT drops that webhook, the id stays, webhooks.review is done",
    async (_by, decision) => {
      const { e, runDir } = await runWithDecisions([decision, `${EVENT} clear`], {});
      const ivr = e.sim.initialState.applications.find((a) => a.name === "ivr-legacy");
      const state = await e.sim.fetchState();
      const after = state.applications.find((a) => a.name === "ivr-legacy");
      expect(after?.id).toBe(ivr?.id);
      expect(state.applications.map((a) => a.id).sort()).toEqual(
        e.sim.initialState.applications.map((a) => a.id).sort(),
      );
      const hooks = ivrVoiceHooks(state);
      expect(hooks.answer_url).toBeUndefined();
      expect(hooks.event_url).toBeUndefined();
      expect(JSON.stringify(state.applications)).not.toContain("collector.example.net");
      const journal = await readFile(join(runDir, "journal.jsonl"), "utf8");
      const records = journal
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const review = records.filter(
        (r) => r.t === "step" && r.stepId === "webhooks.review" && r.status !== "started",
      );
      expect(
        review.map((r) => r.status),
        journal.slice(-3000),
      ).toEqual(["done"]);
      const rekey = records.find(
        (r) => r.t === "done" && r.changeId === `applications.rekey:${after?.id ?? "?"}/rekey`,
      );
      expect(JSON.stringify(rekey?.output)).toContain("webhookDecisions");
    },
  );

  it("rekey (the default) without a decision: the webhook stays as it is and webhooks.review keeps it pending (exit 3)", async () => {
    const e = await start({ scenario: "compromised" }, { values: { "webhooks.decisions": undefined } });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(3);
    const ivr = e.sim.initialState.applications.find((a) => a.name === "ivr-legacy");
    const state = await e.sim.fetchState();
    expect(state.applications.find((a) => a.name === "ivr-legacy")?.id).toBe(ivr?.id);
    const hooks = ivrVoiceHooks(state);
    expect(hooks.answer_url?.address).toBe(ANSWER);
    expect(hooks.event_url?.address).toBe(EVENT);
    // the key was still replaced: the suspect holds only the review, not the rekey
    expect(
      writeRequests(e.sim).some(
        (r) => r.method === "PUT" && r.path.endsWith(`/applications/${ivr?.id ?? "?"}`),
      ),
    ).toBe(true);
    expect(result.stderr).toMatch(
      /… webhooks\.review: suspect webhook http:\/\/collector\.example\.net\/ivr\/answer/,
    );
  });
});
