// Fraud Defender traffic rules: the confirmed create (201 with the rule, kept in state), and the unconfirmed list
// and removal only behind the fraudRuleManagement option.

import { describe, expect, it } from "vitest";

import { admin, raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "compromised" });

const RULE = { product: "sms", prefix: "882", reason: "incident: premium-rate burst", action: "block" };

describe("POST /v1/fraud-defender/rules", () => {
  it("creates a rule: 201 with the wire shape of the notes, kept in state per API key", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/v1/fraud-defender/rules", { json: RULE });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toMatchObject({
      ...RULE,
      id: expect.any(String),
      status: "active",
      traffic_direction: "outbound",
      permission: "edit",
      created_timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      _links: { self: { href: expect.stringContaining("/v1/fraud-defender/rules/") } },
    });
    expect(sim.dumpState().fraudRules).toEqual([
      expect.objectContaining({ ...RULE, owner: sim.primary.apiKey, status: "active" }),
    ]);
    expect((await admin(sim, "GET", "/_sim/fraud-rules")).body).toMatchObject({
      fraudRules: [{ prefix: "882" }],
    });
  });

  it("refuses a bad product, a prefix over 15 digits or not digits, a missing reason, a bad action", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/v1/fraud-defender/rules", {
      json: { product: "email", prefix: "1234567890123456", action: "deny" },
    });
    expect(res.status).toBe(400);
    expect(
      (res.body as { invalid_parameters: { name: string }[] }).invalid_parameters.map((p) => p.name),
    ).toEqual(["product", "prefix", "reason", "action"]);
    const letters = await raw(sim, "POST", "/v1/fraud-defender/rules", { json: { ...RULE, prefix: "44a" } });
    expect(letters.status).toBe(400);
    expect(sim.dumpState().fraudRules).toEqual([]);
  });

  it("without fraudRuleManagement, listing and removing answer 404 (not publicly documented)", async () => {
    const sim = await start();
    const created = await raw(sim, "POST", "/v1/fraud-defender/rules", { json: RULE });
    const id = (created.body as { id: string }).id;
    expect((await raw(sim, "GET", "/v1/fraud-defender/rules")).status).toBe(404);
    expect((await raw(sim, "DELETE", `/v1/fraud-defender/rules/${id}`)).status).toBe(404);
  });

  it("with fraudRuleManagement, lists rules and archives one on DELETE", async () => {
    const sim = await start({ fraudRuleManagement: true });
    const created = await raw(sim, "POST", "/v1/fraud-defender/rules", { json: RULE });
    const id = (created.body as { id: string }).id;
    const listed = await raw(sim, "GET", "/v1/fraud-defender/rules?product=sms");
    expect(listed.body).toMatchObject({ _embedded: { rules: [{ id, status: "active" }] } });
    expect((await raw(sim, "DELETE", `/v1/fraud-defender/rules/${id}`)).status).toBe(204);
    expect((await raw(sim, "GET", "/v1/fraud-defender/rules")).body).toMatchObject({
      _embedded: { rules: [] },
    });
    const all = await raw(sim, "GET", "/v1/fraud-defender/rules?status=all");
    expect(all.body).toMatchObject({
      _embedded: { rules: [{ id, status: "archived", archived_timestamp: expect.any(String) }] },
    });
  });
});
