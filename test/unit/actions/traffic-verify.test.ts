// traffic.verify against the simulator's live attacker: while the attacker's secret and subaccount are live the
// fraud keeps arriving and the step names the keys sending it; unattended (0 s) it claims nothing.
import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../../../src/actions/action.js";
import { trafficVerify } from "../../../src/actions/traffic-verify.js";
import { changeOf, createHarness, type Harness } from "../../helpers/action-harness.js";
import { ScriptedPrompter } from "../../../src/io/prompter.js";

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

async function verify(h: Harness, seconds: number | undefined) {
  const params = trafficVerify.params.parse(seconds === undefined ? {} : { seconds });
  const ctx = { ...h.context(), clock: realClock };
  const [draft] = (
    await trafficVerify.plan({ ...ctx, gateway: h.context({ planning: true }).gateway }, params)
  ).changes;
  return trafficVerify.apply(ctx, changeOf(trafficVerify, "traffic.verify", draft!), {});
}

describe("traffic.verify", () => {
  it("says the fraud is still arriving, and from which keys, while the attacker's credentials are live", async () => {
    const h = await createHarness({ scenario: "compromised" });
    harnesses.push(h);
    const outcome = await verify(h, 4);
    expect(outcome.status).toBe("done");
    const output = outcome.status === "done" ? (outcome.output ?? {}) : {};
    expect(output.stopped).toBe(false);
    expect(Number(output.fraudRecords)).toBeGreaterThan(0);
    const rogue = h.sim.meta.attackerSubaccountKeys[0] ?? "?";
    expect((output.senders as string[]).join(" ")).toContain(rogue);
    expect(outcome.status === "done" && outcome.note).toMatch(
      /fraudulent traffic still arriving: \d+ records/,
    );
  });

  it("unattended by default (0 s): reads once and claims nothing", async () => {
    const h = await createHarness({ scenario: "compromised" });
    harnesses.push(h);
    const outcome = await verify(h, undefined);
    expect(outcome.status === "done" && outcome.output?.stopped).toBeNull();
    expect(outcome.status === "done" && outcome.note).toMatch(/not watched \(traffic.verifySeconds 0\)/);
  });
});

describe("traffic.verify planned in a terminal, applied without one", () => {
  it("does not wait the terminal's default 120 s (a saved plan applied with --yes, an unattended resume)", async () => {
    const h = await createHarness({ scenario: "compromised" });
    harnesses.push(h);
    const params = trafficVerify.params.parse({});
    const planning = h.context({ planning: true, prompter: new ScriptedPrompter([]) });
    const [draft] = (await trafficVerify.plan(planning, params)).changes;
    expect(draft?.params.seconds).toBe(120);
    const slept: number[] = [];
    const clock: Clock = { now: () => new Date(), sleep: async (ms) => void slept.push(ms) };
    const outcome = await trafficVerify.apply(
      { ...h.context(), clock },
      changeOf(trafficVerify, "traffic.verify", draft!),
      {},
    );
    expect(slept).toEqual([]);
    expect(outcome.status === "done" && outcome.output?.watchedSeconds).toBe(0);
  });
});
