// traffic.block against the simulator: the unattended decision rules (the config's prefixes only, or the suspects
// with blockSuspects), an allowed country never blocked even when it carries fraud, the checkbox with suspects
// preselected, a rule created through the API that then rejects the traffic, a 403 that falls back to entering
// the rule by hand, a re-apply after a crash, and the undo that says how to lift a rule.
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/plan.js";
import { trafficBlock } from "../../../src/actions/traffic-block.js";
import { ScriptedPrompter, type Choice } from "../../../src/io/prompter.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";
import { admin } from "../../simulator/raw-request.js";

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

async function fixture(options: Parameters<typeof createHarness>[0] = {}) {
  const h = await createHarness({ scenario: "compromised", ...options });
  harnesses.push(h);
  const state = h.sim.dumpState();
  const now = Date.now();
  state.traffic = {
    seed: 5,
    start: iso(now - 6 * HOUR),
    end: iso(now - 60_000),
    fraudFrom: iso(now - 3 * HOUR),
    counts: { SMS: 400, "VOICE-CALL": 0, MESSAGES: 0 },
    attackPerMinute: 0,
    subaccounts: {},
  };
  expect((await admin(h.sim, "PUT", "/_sim/state", state)).status).toBe(200);
  return { h, since: state.traffic.fraudFrom };
}

async function plan(h: Harness, params: Record<string, unknown>, prompter?: ScriptedPrompter) {
  const parsed = trafficBlock.params.parse(params);
  const result = await trafficBlock.plan(
    h.context({ planning: true, ...(prompter ? { prompter } : {}) }),
    parsed,
  );
  return {
    changes: result.changes.map((d) => changeOf(trafficBlock, "traffic.block", d)),
    notes: result.notes ?? [],
  };
}

const prefixes = (changes: Change[]): string[] => changes.map((c) => String(c.params.prefix)).sort();

async function rules(h: Harness): Promise<{ prefix: string; action: string }[]> {
  const res = await admin(h.sim, "GET", "/_sim/fraud-rules");
  return (res.body as { fraudRules: { prefix: string; action: string }[] }).fraudRules;
}

describe("traffic.block", () => {
  it("unattended without a decision blocks nothing and names the suspects and the inputs", async () => {
    const { h, since } = await fixture();
    const { changes, notes } = await plan(h, { compromisedSince: since });
    expect(changes).toEqual([]);
    expect(notes.join("\n")).toMatch(
      /suspect prefix\(es\) not blocked \(.*sms \+88213.*\): set traffic.blockSuspects/,
    );
  });

  it("unattended blocks only the config's prefixes, or with blockSuspects the computed ones", async () => {
    const { h, since } = await fixture();
    const only = await plan(h, { compromisedSince: since, block: ["+2449"] });
    expect(prefixes(only.changes)).toEqual(["2449"]);
    const suspects = await plan(h, { compromisedSince: since, blockSuspects: true });
    expect(prefixes(suspects.changes)).toEqual(expect.arrayContaining(["88213"]));
    expect(suspects.changes.every((c) => c.params.suspect === true)).toBe(true);
    expect(suspects.changes.some((c) => ["447700", "1555"].includes(String(c.params.prefix)))).toBe(false);
  });

  it("never blocks a destination in traffic.allowCountries, even when it carries fraud or is named", async () => {
    const { h, since } = await fixture();
    const { changes, notes } = await plan(h, {
      compromisedSince: since,
      blockSuspects: true,
      block: ["88213", "8821"],
      allowCountries: ["xs"],
    });
    expect(changes.some((c) => String(c.params.prefix).startsWith("8821"))).toBe(false);
    expect(changes.length).toBeGreaterThan(0);
    expect(notes.join("\n")).toMatch(/XS \+88213\d* stands out .* but is in traffic.allowCountries/);
    expect(notes.join("\n")).toMatch(/traffic.block 88213 is not blocked: it covers XS/);
    expect(notes.join("\n")).toMatch(/traffic.block 8821 is not blocked: it covers XS/);
  });

  it("asks with a checkbox: each destination once with its records, cost and products, suspects preselected", async () => {
    const { h, since } = await fixture();
    const prompter = new ScriptedPrompter([{ match: "Which destinations", answer: "defaults" }]);
    let shown: Choice<string>[] = [];
    const checkbox = prompter.checkbox.bind(prompter);
    prompter.checkbox = async <T>(q: { message: string; choices: Choice<T>[] }) => {
      shown = q.choices as unknown as Choice<string>[];
      return checkbox(q);
    };
    const { changes } = await plan(h, { compromisedSince: since }, prompter);
    expect(shown.find((c) => c.value === "88213")?.name).toMatch(
      /^\+88213 \(XS, (sms|voice|sms and voice)\): \d+ records, \d+\.\d\d EUR since the compromise - stands out$/,
    );
    // One line per destination (its figures cover every product), never one per product with the same figures.
    expect(new Set(shown.map((c) => c.value)).size).toBe(shown.length);
    expect(shown.filter((c) => c.checked).map((c) => c.value)).toEqual([
      ...new Set(changes.map((c) => String(c.params.prefix))),
    ]);
    // Each chosen destination is blocked for every product it was used for (the ones its line names).
    const named = /\(XS, ([a-z ]+)\)/.exec(shown.find((c) => c.value === "88213")?.name ?? "")?.[1];
    expect(changes.filter((c) => c.params.prefix === "88213").map((c) => c.params.product)).toEqual(
      named?.split(" and "),
    );
  });

  it("does not ask when the config decided (traffic.block, even empty)", async () => {
    const { h, since } = await fixture();
    const prompter = new ScriptedPrompter([]);
    const { changes, notes } = await plan(h, { compromisedSince: since, block: [] }, prompter);
    expect(prompter.asked).toEqual([]);
    expect(changes).toEqual([]);
    expect(notes.join("\n")).toMatch(/suspect prefix\(es\) not blocked/);
  });

  it("creates the rule through the API; the undo says how to lift it (no documented delete)", async () => {
    const { h, since } = await fixture();
    const { changes } = await plan(h, { compromisedSince: since, block: ["2449"] });
    const [change] = changes;
    const outcome = await trafficBlock.apply(h.context(), change!, {});
    expect(outcome.status).toBe("done");
    expect(await rules(h)).toEqual([expect.objectContaining({ prefix: "2449", action: "block" })]);
    const output = outcome.status === "done" ? (outcome.output ?? {}) : {};
    expect(String(output.lift)).toMatch(/Fraud Defender → Protections → Traffic Rules .*ALLOW rule/);
    const undo = trafficBlock.undo?.(
      {
        changeId: change!.id,
        action: "traffic.block",
        kind: "create",
        summary: "",
        target: "",
        params: change!.params,
        before: null,
        output,
        intentAt: undefined,
        doneAt: undefined,
      },
      output,
    );
    expect(undo).toEqual({
      kind: "manual",
      instructions: expect.stringMatching(/API key .*BLOCK rule for prefix 2449.*ALLOW rule/),
    });
  });

  it("after a crash between intent and done, applies again: a duplicate BLOCK rule is harmless", async () => {
    const { h, since } = await fixture();
    const { changes } = await plan(h, { compromisedSince: since, block: ["2449"] });
    const change = changes[0]!;
    await trafficBlock.apply(h.context(), change, {});
    expect(change.idempotent).toBe(true);
    expect(await trafficBlock.reconcile?.(h.context(), change, {})).toBeUndefined();
    expect((await trafficBlock.apply(h.context(), change, {})).status).toBe("done");
    expect((await rules(h)).filter((r) => r.prefix === "2449" && r.action === "block")).toHaveLength(2);
  });

  it("Fraud Defender not on the account (403): the rule is entered by hand, with its prefix", async () => {
    const { h, since } = await fixture({ scenario: "compromised", fraudDefenderAvailable: false });
    const { changes } = await plan(h, { compromisedSince: since, block: ["2449"] });
    // Such a change may ask the operator: the engine applies it alone, outside the progress display.
    expect(changes.every((c) => c.asks === true)).toBe(true);
    const pending = await trafficBlock.apply(h.context({ stepId: "traffic.block" }), changes[0]!, {});
    expect(pending).toEqual({
      status: "pending",
      reason: expect.stringMatching(/403.*BLOCK rule for prefix 2449 by hand/),
    });
    const attested = await trafficBlock.apply(
      h.context({
        stepId: "traffic.block",
        attestations: { "traffic.block": { by: "oncall", at: new Date().toISOString() } },
      }),
      changes[0]!,
      {},
    );
    expect(attested.status).toBe("done");
    expect(attested.status === "done" && attested.output?.byHand).toBe(true);
    expect(await rules(h)).toEqual([]);
  });
});
