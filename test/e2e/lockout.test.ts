// The tool's own choices must never lock the operator out (issue 12, findings 7 and 8): with two secrets on the
// key an unattended run does not guess which to revoke first, a secret an earlier run created is never taken for
// the attacker's, and a secret added after the rotation was verified keeps the run from being "done".
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { writeRequests } from "./helpers/e2e-simulator.js";
import { writeConfig } from "./helpers/write-config.js";
import {
  ATTACKER_IP,
  OPERATOR_EMAIL,
  OPERATOR_IP,
  stateWithFreshOperatorSecret,
} from "../helpers/fresh-operator-secret.js";

const start = e2eRunStarter();

/** A secrets API call as whoever holds `secret` (the attacker in the dashboard, or the operator by hand). */
async function secretsApi(
  e: E2eRun,
  secret: string,
  method: "POST" | "DELETE",
  path = "",
  body?: unknown,
): Promise<{ id?: string; created_at?: string }> {
  const key = e.sim.primary.apiKey;
  const response = await fetch(`${e.sim.url}/accounts/${key}/secrets${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} secrets${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? {} : ((await response.json()) as { id?: string; created_at?: string });
}

/** The lines of stderr that name `id` with its creation time, and the audit line under each. */
function evidenceLines(stderr: string, id: string): string {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => l.includes(id) && l.includes("created "));
  return `${lines[at] ?? ""}\n${lines[at + 1] ?? ""}`;
}

describe.concurrent("two secrets on the key, unattended", () => {
  it("refuses at plan time (exit 2) instead of revoking the operator's fresh secret, showing who made each", async () => {
    const fx = stateWithFreshOperatorSecret();
    // The operator guessed a compromise start after the attacker's secret and before their own fresh one.
    const e = await start(
      { state: fx.state },
      { values: { "secrets.revokeFirst": undefined, compromisedSince: fx.guessedSince } },
    );
    const result = await e.run();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("set secrets.revokeFirst in the config");
    for (const secret of fx.state.primary.secrets)
      expect(result.stderr).toContain(`${secret.id}  created ${secret.createdAt}`);
    const fresh = evidenceLines(result.stderr, fx.freshId);
    expect(fresh).toContain("probably yours");
    expect(fresh).toContain(`by ${OPERATOR_EMAIL} from ${OPERATOR_IP}`);
    const attacker = evidenceLines(result.stderr, fx.attackerId);
    expect(attacker).not.toContain("probably yours");
    expect(attacker).toContain(`from ${ATTACKER_IP}`);
    expect(writeRequests(e.sim)).toEqual([]);
    expect(e.sim.dumpState().primary.secrets).toEqual(fx.state.primary.secrets);
    expect(await e.runIds()).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });

  it("a second run after one that asked to deploy its new secret (exit 3) does not revoke that secret", async () => {
    const e = await start(
      { scenario: "compromised" },
      { values: { "secrets.revoke": "after-confirmation" } },
    );
    await e.sim.setAutoReload(false);
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const [firstRun] = await e.runIds();
    const sink = await readFile(
      join(e.runDir(firstRun ?? ""), "secrets", `api-secret-${e.sim.primary.apiKey}`),
      "utf8",
    );
    const asked = e.sim.dumpState().primary.secrets.find((s) => s.value === sink.trim());
    if (!asked) throw new Error("the first run's new secret is not on the account");

    // The attacker's secret is gone, so the operator drops secrets.revokeFirst and starts again (no resume).
    const second = await writeConfig(e.dir, e.sim, {
      values: { "secrets.revoke": "after-confirmation", "secrets.revokeFirst": undefined },
      name: "second.yaml",
    });
    const writesBefore = writeRequests(e.sim).length;
    const result = await e.cli(["run", "compromise", "--config", second, "--out", e.out]);
    expect(result.code, result.stderr).toBe(2);
    expect(evidenceLines(result.stderr, asked.id)).toContain(
      `probably yours: created by vonage-ir run ${firstRun ?? ""}`,
    );
    expect(evidenceLines(result.stderr, asked.id)).not.toContain("suspect");
    expect(writeRequests(e.sim)).toHaveLength(writesBefore);
    expect(e.sim.dumpState().primary.secrets.map((s) => s.id)).toContain(asked.id);
    expect(await e.scan()).toEqual([]);
  });
});

describe.concurrent("a secret added after the rotation was verified", () => {
  it("keeps a resume from being done (exit 3, a suspect pending) until it is revoked", async () => {
    // Auto-reload is on: the first run ends at exit 3 after verifying "one secret, the new one".
    const e = await start({ scenario: "compromised" });
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const [runId] = await e.runIds();
    const runDir = e.runDir(runId ?? "");
    const ours = (
      await readFile(join(runDir, "secrets", `api-secret-${e.sim.primary.apiKey}`), "utf8")
    ).trim();
    expect(e.sim.dumpState().primary.secrets.map((s) => s.value)).toEqual([ours]);

    // The attacker, still in the dashboard, adds a secret; the operator switches auto-reload off and resumes.
    const added = await secretsApi(e, ours, "POST", "", { secret: "Att4cker-again-x" });
    await e.sim.setAutoReload(false);
    const resumed = await e.resume(runId ?? "");
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toMatch(new RegExp(`suspect: .*${added.id ?? "?"}`));
    expect(resumed.stderr).toMatch(/Pending \(needs a person\):[\s\S]*secrets: .*suspect/);
    const report = await readFile(join(runDir, "report.md"), "utf8");
    expect(report).toContain(added.id);
    expect(report).not.toContain("Nothing is pending.");

    // Revoked in the dashboard: the next resume re-verifies and the run is done.
    await secretsApi(e, ours, "DELETE", `/${added.id ?? ""}`);
    const done = await e.resume(runId ?? "");
    expect(done.code, done.stderr).toBe(0);
    expect(await readFile(join(runDir, "report.md"), "utf8")).toContain("Nothing is pending.");
    expect(await e.scan()).toEqual([]);
  });
});
