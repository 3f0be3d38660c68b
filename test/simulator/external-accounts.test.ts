// External Accounts API 0.1.6 in the simulator: WhatsApp, Messenger, Viber and RCS accounts, one application
// each, listed, linked and unlinked as the spec describes; deleting an application leaves them on a dead id.

import { describe, expect, it } from "vitest";

import { admin, raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const startWith = simulatorStarter({
  scenario: "compromised",
  scenarioParams: { now: "2026-01-15T12:00:00Z" },
});
const start = (scenario = "compromised") => startWith({ scenario });

interface Account {
  provider: string;
  external_id: string;
  applications: string[];
  api_key: string;
}

describe("/beta/chatapp-accounts", () => {
  it("compromised has one account per provider; the RCS one belongs to an application without numbers", async () => {
    const sim = await start();
    const res = await raw(sim, "GET", "/beta/chatapp-accounts");
    expect(res.status).toBe(200);
    const accounts = (res.body as { _embedded: Account[] })._embedded;
    expect(accounts.map((a) => a.provider).sort()).toEqual([
      "messenger",
      "rcs",
      "viber_service_msg",
      "whatsapp",
    ]);
    const state = sim.dumpState();
    const rcs = accounts.find((a) => a.provider === "rcs");
    expect(rcs?.applications).toHaveLength(1);
    expect(state.numbers.some((n) => n.appId === rcs?.applications[0])).toBe(false);
    expect(accounts.every((a) => a.api_key === sim.primary.apiKey)).toBe(true);
    const filtered = await raw(sim, "GET", "/beta/chatapp-accounts?provider=whatsapp&page_size=1");
    expect((filtered.body as { _embedded: Account[] })._embedded).toHaveLength(1);
    expect((await admin(sim, "GET", "/_sim/external-accounts")).body).toMatchObject({
      externalAccounts: expect.arrayContaining([expect.objectContaining({ provider: "rcs" })]),
    });
  });

  it("pages with page_number and page_size, with a next link on every non-last page", async () => {
    const sim = await start();
    const first = await raw(sim, "GET", "/beta/chatapp-accounts?page_size=3&page_number=1");
    expect(first.body).toMatchObject({ page_number: 1, page_size: 3, _links: { next: expect.anything() } });
    const second = await raw(sim, "GET", "/beta/chatapp-accounts?page_size=3&page_number=2");
    expect((second.body as { _embedded: Account[] })._embedded).toHaveLength(1);
    expect(second.body).not.toHaveProperty("_links.next");
  });

  it("links one application at a time: 409 while linked elsewhere, unlink then link", async () => {
    const sim = await start();
    const state = sim.dumpState();
    const wa = state.externalAccounts.find((a) => a.provider === "whatsapp");
    const target = state.applications.find((a) => a.name === "chat-bot")?.id ?? "";
    const path = `/beta/chatapp-accounts/whatsapp/${wa?.externalId ?? ""}/applications`;
    const conflict = await raw(sim, "POST", path, { json: { application: target } });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ title: "Application conflict" });
    expect((await raw(sim, "DELETE", `${path}/${target}`)).status).toBe(409);
    expect((await raw(sim, "DELETE", `${path}/${wa?.applications[0] ?? ""}`)).status).toBe(204);
    const linked = await raw(sim, "POST", path, { json: { application: target } });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ provider: "whatsapp", applications: [target] });
    const unknown = await raw(sim, "POST", path, {
      json: { application: "00000000-0000-4000-8000-000000000000" },
    });
    expect(unknown.status).toBe(403);
    expect(
      (await raw(sim, "GET", `/beta/chatapp-accounts/whatsapp/${wa?.externalId ?? ""}`)).body,
    ).toMatchObject({
      applications: [target],
    });
    expect((await raw(sim, "GET", "/beta/chatapp-accounts/whatsapp/nope")).status).toBe(404);
  });

  it("deleting an application leaves its accounts linked to the dead id", async () => {
    const sim = await start();
    const chat = sim.dumpState().applications.find((a) => a.name === "chat-bot")?.id ?? "";
    expect((await raw(sim, "DELETE", `/v2/applications/${chat}`)).status).toBe(204);
    const rcs = await raw(sim, "GET", "/beta/chatapp-accounts/rcs/example_ltd_agent");
    expect(rcs.body).toMatchObject({ applications: [chat] });
  });

  it("large has one account of each provider; a state without externalAccounts still loads", async () => {
    const sim = await start("large");
    expect(sim.dumpState().externalAccounts).toHaveLength(4);
    const { externalAccounts: _dropped, ...old } = sim.dumpState();
    expect((await admin(sim, "PUT", "/_sim/state", old)).status).toBe(200);
    expect(sim.dumpState().externalAccounts).toEqual([]);
  });
});
