// The state format, the built-in scenarios, the /_sim/ admin endpoints, and the `simulate` command body.

import { Vonage } from "@vonage/server-sdk";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";

import {
  buildScenario,
  formatEnvLines,
  loadStateFile,
  runSimulate,
  scenarioNames,
  SimStateSchema,
  startSimulator,
} from "../../src/simulator/index.js";
import { admin, raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "compromised" });

describe("scenarios", () => {
  it("every built-in scenario validates against SimStateSchema", () => {
    expect([...scenarioNames]).toEqual(["clean", "compromised", "large"]);
    for (const name of scenarioNames) {
      expect(SimStateSchema.safeParse(buildScenario(name, { seed: 5 })).success).toBe(true);
    }
  });

  it("is deterministic for a seed and differs between seeds", () => {
    expect(buildScenario("compromised", { seed: 9 })).toEqual(buildScenario("compromised", { seed: 9 }));
    expect(buildScenario("compromised", { seed: 9 }).primary.apiKey).not.toBe(
      buildScenario("compromised", { seed: 10 }).primary.apiKey,
    );
  });

  it("large defaults to 150 applications, 1500 numbers (1000 linked), 20 subaccounts", () => {
    const state = buildScenario("large");
    expect(state.applications).toHaveLength(150);
    expect(state.numbers).toHaveLength(1500);
    expect(state.numbers.filter((n) => n.appId)).toHaveLength(1000);
    expect(state.subaccounts).toHaveLength(20);
  });

  it("compromised tells the story its metadata describes", () => {
    const now = "2026-03-01T00:00:00Z";
    const state = buildScenario("compromised", { seed: 2, now });
    const { meta } = state;
    const since = Date.parse(meta.compromisedSince ?? "");
    expect(since).toBeLessThan(Date.parse(now));
    const byId = new Map(state.primary.secrets.map((s) => [s.id, s]));
    expect(state.primary.secrets).toHaveLength(2);
    expect(Date.parse(byId.get(meta.attackerSecretIds[0] ?? "")?.createdAt ?? "")).toBeGreaterThan(since);
    expect(Date.parse(byId.get(meta.legitimateSecretIds[0] ?? "")?.createdAt ?? "")).toBeLessThan(since);
    const rogue = state.subaccounts.find((s) => s.apiKey === meta.attackerSubaccountKeys[0]);
    expect(Date.parse(rogue?.createdAt ?? "")).toBeGreaterThan(since);
    expect(meta.legitimateSubaccountKeys.length).toBeGreaterThanOrEqual(1);
    expect(meta.legitimateSubaccountKeys.length).toBeLessThanOrEqual(2);
    expect(state.primary.autoReload).toBe(true);
    const insecure = state.applications.find((a) => a.id === meta.insecureApplicationIds[0]);
    expect(JSON.stringify(insecure?.capabilities)).toContain('"http://');
    const linkedApps = new Set(state.numbers.map((n) => n.appId).filter((id) => id !== undefined));
    expect(linkedApps.size).toBeGreaterThanOrEqual(3);
    expect(state.numbers.filter((n) => !n.appId).length).toBeGreaterThanOrEqual(2);
    expect(
      state.auditEvents.some(
        (e) =>
          e.event_type === "ACCOUNT_SECRET_CREATE" && e.context["secret_id"] === meta.attackerSecretIds[0],
      ),
    ).toBe(true);
  });

  it("rejects an unknown scenario and bad large parameters", () => {
    expect(() => buildScenario("nope")).toThrow(/unknown scenario/);
    expect(() => buildScenario("large", { applications: -1 })).toThrow(/non-negative/);
  });
});

describe("state", () => {
  it("a dumped state loads back and serves the same data", async () => {
    const first = await start();
    await raw(
      first,
      "DELETE",
      `/accounts/${first.primary.apiKey}/secrets/${first.meta.attackerSecretIds[0] ?? ""}`,
    );
    const dumped = JSON.parse(JSON.stringify(first.dumpState())) as unknown;
    const second = await start({ state: SimStateSchema.parse(dumped) });
    expect(second.dumpState()).toEqual(first.dumpState());
    expect(second.primary).toEqual(first.primary);
    const vonage = new Vonage(second.primary, { apiHost: second.url, restHost: second.url });
    expect((await vonage.secrets.listSecrets(second.primary.apiKey))._embedded.secrets).toHaveLength(1);
  });

  it("loadStateFile reads a dumped state file and names the file in errors", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sim-state-"));
    try {
      const file = path.join(dir, "state.json");
      const state = buildScenario("clean", { seed: 4 });
      await writeFile(file, JSON.stringify(state));
      expect(await loadStateFile(file)).toEqual(state);
      await writeFile(file, "{");
      await expect(loadStateFile(file)).rejects.toThrow(/state\.json: not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an invalid state with readable paths", async () => {
    const state = buildScenario("clean") as unknown as { primary: { secrets: unknown } };
    state.primary.secrets = "none";
    await expect(startSimulator({ state: state as never })).rejects.toThrow(/primary\.secrets/);
  });
});

describe("admin endpoints", () => {
  it("require the admin token", async () => {
    const sim = await start();
    expect((await raw(sim, "GET", "/_sim/state")).status).toBe(401);
    expect((await raw(sim, "GET", "/_sim/state", { auth: null, bearer: "wrong" })).status).toBe(401);
    const ok = await admin(sim, "GET", "/_sim/state");
    expect(ok.status).toBe(200);
    expect(SimStateSchema.parse(ok.body)).toEqual(sim.dumpState());
  });

  it("the request log has method, path, status, duration and key, but never a secret or the header", async () => {
    const sim = await start();
    await raw(sim, "GET", "/account/get-balance");
    await raw(
      sim,
      "GET",
      `/account/numbers?api_key=${sim.primary.apiKey}&api_secret=${sim.primary.apiSecret}`,
      { auth: null },
    );
    const res = await admin(sim, "GET", "/_sim/requests");
    const log = (res.body as { requests: Record<string, unknown>[] }).requests;
    expect(log[0]).toMatchObject({
      method: "GET",
      path: "/account/get-balance",
      status: 200,
      apiKey: sim.primary.apiKey,
      durationMs: expect.any(Number),
    });
    expect(log[1]).toMatchObject({
      path: "/account/numbers",
      status: 200,
      query: `api_key=${sim.primary.apiKey}`,
    });
    const text = JSON.stringify(res.body);
    for (const secret of sim.dumpState().primary.secrets) expect(text).not.toContain(secret.value);
    expect(text).not.toMatch(/Basic /);
  });

  it("reset returns to the loaded state", async () => {
    const sim = await start();
    const before = sim.dumpState();
    await raw(sim, "DELETE", `/v2/applications/${before.applications[0]?.id ?? ""}`);
    expect(sim.dumpState().applications).toHaveLength(before.applications.length - 1);
    expect((await admin(sim, "POST", "/_sim/reset")).status).toBe(200);
    expect(sim.dumpState()).toEqual(before);
  });

  it("PUT /_sim/state loads a new state (and reset returns to it)", async () => {
    const sim = await start();
    const clean = buildScenario("clean", { seed: 3 });
    expect((await admin(sim, "PUT", "/_sim/state", clean)).status).toBe(200);
    expect(sim.dumpState().primary.apiKey).toBe(clean.primary.apiKey);
    expect(sim.primary).toEqual({ apiKey: clean.primary.apiKey, apiSecret: clean.primary.secrets[0]?.value });
    expect(sim.meta.scenario).toBe("clean");
    expect((await admin(sim, "PUT", "/_sim/state", { version: 2 })).status).toBe(400);
  });

  it("GET/POST /_sim/faults validate and merge", async () => {
    const sim = await start({ latencyMs: 5 });
    expect((await admin(sim, "GET", "/_sim/faults")).body).toMatchObject({ latencyMs: 5, rateLimit: 30 });
    expect((await admin(sim, "POST", "/_sim/faults", { rateLimit: 50 })).body).toMatchObject({
      latencyMs: 5,
      rateLimit: 50,
    });
    expect((await admin(sim, "POST", "/_sim/faults", { rateLimit: -1 })).status).toBe(400);
  });

  it("the delayed dashboard switch turns auto-reload off later, for polling tests", async () => {
    const sim = await start();
    const res = await admin(sim, "POST", "/_sim/dashboard/autoreload", { enabled: false, afterMs: 400 });
    expect(res.status).toBe(202);
    expect(((await raw(sim, "GET", "/account/get-balance")).body as { autoReload: boolean }).autoReload).toBe(
      true,
    );
    await vi.waitFor(async () => {
      expect(
        ((await raw(sim, "GET", "/account/get-balance")).body as { autoReload: boolean }).autoReload,
      ).toBe(false);
    }, 3000);
    expect(sim.dumpState().auditEvents.at(-1)).toMatchObject({
      event_type: "AUTORELOAD_DISABLE",
      source: "CD",
    });
  });
});

describe("startSimulator and runSimulate", () => {
  it("refuses a non-loopback host unless allowed", async () => {
    await expect(startSimulator({ host: "0.0.0.0" })).rejects.toThrow(/non-loopback/);
  });

  it("formatEnvLines points both hosts at the simulator", () => {
    const lines = formatEnvLines({
      url: "http://127.0.0.1:4010",
      primary: { apiKey: "abcd1234", apiSecret: "Secret-1'x" },
    });
    expect(lines).toEqual([
      "export VONAGE_API_HOST=http://127.0.0.1:4010",
      "export VONAGE_REST_HOST=http://127.0.0.1:4010",
      "export VONAGE_API_KEY=abcd1234",
      "export VONAGE_API_SECRET='Secret-1'\\''x'",
    ]);
  });

  it("prints working env lines and the admin token, and stops when the signal aborts", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const controller = new AbortController();
    const done = runSimulate({ scenario: "compromised" }, out, controller.signal);
    await vi.waitFor(() => expect(text).toContain("VONAGE_SIM_ADMIN_TOKEN"));
    const env = Object.fromEntries([...text.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    const vonage = new Vonage(
      { apiKey: env["VONAGE_API_KEY"] ?? "", apiSecret: env["VONAGE_API_SECRET"] ?? "" },
      { apiHost: env["VONAGE_API_HOST"] ?? "", restHost: env["VONAGE_REST_HOST"] ?? "" },
    );
    expect((await vonage.secrets.listSecrets(env["VONAGE_API_KEY"] ?? ""))._embedded.secrets).toHaveLength(2);
    expect((await vonage.applications.listApplications({})).totalItems).toBe(5);
    expect(text).not.toContain("WARNING");
    controller.abort();
    await done;
    await expect(fetch(`${env["VONAGE_API_HOST"] ?? ""}/account/get-balance`)).rejects.toThrow();
  });

  it("warns when bound to a non-loopback address", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const controller = new AbortController();
    const done = runSimulate(
      { scenario: "clean", host: "0.0.0.0", allowNonLoopback: true },
      out,
      controller.signal,
    );
    await vi.waitFor(() => expect(text).toContain("WARNING"));
    controller.abort();
    await done;
  });
});
