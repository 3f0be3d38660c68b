// More than 100 applications and 100 numbers: every list the runbook reads is paged (applications by
// page/page_size, numbers by index/size), so nothing beyond the first page may be missed.
import { afterEach, describe, expect, it } from "vitest";
import { compromiseEndState, endStateInvariants, reportAgrees } from "./helpers/end-state.js";
import { startE2eRun, type E2eRun } from "./helpers/e2e-run.js";

let current: E2eRun | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("paging", () => {
  it("replaces all of 105 applications and relinks 210 of 260 numbers", { timeout: 120_000 }, async () => {
    const e = (current = await startE2eRun(
      {
        scenario: "large",
        scenarioParams: { applications: 105, numbers: 260, linkedNumbers: 210, subaccounts: 3 },
      },
      // `large` has no compromise: one secret, so no revokeFirst; every subaccount is legitimate. Recreate: the
      // numbers' paging matters to its relinks (rekey touches no number).
      {
        values: {
          compromisedSince: new Date(Date.now() - 3_600_000).toISOString(),
          "applications.strategy": "recreate",
        },
      },
    ));
    const initial = e.sim.initialState;
    expect(initial.applications).toHaveLength(105);
    expect(initial.numbers).toHaveLength(260);
    expect(initial.numbers.filter((n) => n.appId)).toHaveLength(210);
    expect(initial.primary.secrets).toHaveLength(1);
    if (initial.primary.autoReload) await e.sim.setAutoReload(false);
    const allowed = initial.subaccounts.map((s) => s.apiKey);
    await import("./helpers/write-config.js").then((m) =>
      m.writeConfig(e.dir, e.sim, {
        values: {
          compromisedSince: new Date(Date.now() - 3_600_000).toISOString(),
          "subaccounts.allow": allowed,
          "applications.strategy": "recreate",
        },
      }),
    );

    const result = await e.run([], { timeoutMs: 110_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      "105 of 105 application(s) to replace, 210 linked number(s) and 4 external account(s) to move",
    );

    const [runId] = await e.runIds();
    const runDir = e.runDir(runId ?? "");
    const state = await e.sim.fetchState();
    const { violations, idMap } = await compromiseEndState(state, runDir, {
      initial,
      allowedSubaccounts: allowed,
    });
    expect(violations).toEqual([]);
    expect(idMap.size).toBe(105);
    expect(await reportAgrees(runDir, idMap)).toEqual([]);
    expect(state.numbers.filter((n) => n.appId)).toHaveLength(210);
    expect(await endStateInvariants(state, e.sim.primary, runDir)).toEqual([]);
    // the lists really were paged: a second page of applications and numbers was read
    const reads = e.sim.requests().filter((r) => r.method === "GET");
    expect(reads.some((r) => r.path === "/v2/applications" && /(^|&)page=2(&|$)/.test(r.query))).toBe(true);
    expect(reads.some((r) => r.path === "/account/numbers" && /(^|&)index=2(&|$)/.test(r.query))).toBe(true);
    expect(await e.scan()).toEqual([]);
  });
});
