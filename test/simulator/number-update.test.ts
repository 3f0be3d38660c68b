// POST /number/update as Vonage's is today: not a patch, voiceStatusCallback/moSmppSysType write-only, the
// SMS webhook probed with a GET (loopback only), voiceCallbackType=app accepted but noted as deprecated.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";

import type { RunningSimulator } from "../../src/simulator/index.js";
import { raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "compromised" });

function linked(sim: RunningSimulator) {
  const state = sim.dumpState();
  const n = state.numbers.find((x) => x.appId !== undefined);
  if (!n) throw new Error("scenario without a linked number");
  return n;
}

async function listed(sim: RunningSimulator, msisdn: string): Promise<Record<string, unknown> | undefined> {
  const res = await raw(sim, "GET", `/account/numbers?pattern=${msisdn}`);
  return (res.body as { numbers?: Record<string, unknown>[] }).numbers?.[0];
}

describe("POST /number/update", () => {
  it("scenario numbers have an SMS webhook the simulator serves on loopback", async () => {
    const sim = await start();
    const n = linked(sim);
    expect(n.moHttpUrl).toBe(`${sim.url}/_hooks/sms/${n.msisdn}`);
    expect((await fetch(n.moHttpUrl ?? "")).status).toBe(200);
  });

  it("sets exactly what it is sent: omitted fields are cleared", async () => {
    const sim = await start();
    const n = linked(sim);
    const res = await raw(sim, "POST", "/number/update", {
      form: {
        country: n.country,
        msisdn: n.msisdn,
        voiceCallbackType: "tel",
        voiceCallbackValue: "447700900999",
      },
    });
    expect(res.body).toEqual({ "error-code": "200", "error-code-label": "success" });
    const view = await listed(sim, n.msisdn);
    expect(view).toMatchObject({ voiceCallbackType: "tel", voiceCallbackValue: "447700900999" });
    expect(view).not.toHaveProperty("app_id");
    expect(view).not.toHaveProperty("moHttpUrl");
    expect(view).not.toHaveProperty("messagesCallbackType");
  });

  it("stores voiceStatusCallback and moSmppSysType but never shows them", async () => {
    const sim = await start();
    const n = linked(sim);
    await raw(sim, "POST", "/number/update", {
      form: {
        country: n.country,
        msisdn: n.msisdn,
        app_id: n.appId ?? "",
        voiceStatusCallback: "https://hooks.example.com/status",
        moSmppSysType: "inbound",
      },
    });
    expect(sim.dumpState().numbers.find((x) => x.msisdn === n.msisdn)).toMatchObject({
      appId: n.appId,
      voiceStatusCallback: "https://hooks.example.com/status",
      moSmppSysType: "inbound",
    });
    const view = await listed(sim, n.msisdn);
    expect(view).toMatchObject({ app_id: n.appId });
    expect(view).not.toHaveProperty("voiceStatusCallback");
    expect(view).not.toHaveProperty("moSmppSysType");
  });

  it("GETs moHttpUrl first: a webhook answering 503 fails the update and changes nothing", async () => {
    const sim = await start({ unreachableSmsWebhooks: 1 });
    const n = linked(sim);
    expect(sim.unreachableSmsWebhooks).toEqual([n.msisdn]);
    const other = sim.dumpState().applications.find((a) => a.id !== n.appId)?.id ?? "";
    const res = await raw(sim, "POST", "/number/update", {
      form: { country: n.country, msisdn: n.msisdn, app_id: other, moHttpUrl: n.moHttpUrl ?? "" },
    });
    expect(res.status).toBe(420);
    expect(res.body).toEqual({
      "error-code": "420",
      "error-code-label": `moHttpUrl ${n.moHttpUrl ?? ""} must answer 200 OK to a GET: answered 503`,
    });
    expect(sim.dumpState().numbers.find((x) => x.msisdn === n.msisdn)?.appId).toBe(n.appId);
  });

  it("a real loopback server is probed with one GET; a non-loopback URL is unreachable without any request", async () => {
    const sim = await start();
    const n = linked(sim);
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
      const ok = await raw(sim, "POST", "/number/update", {
        form: { country: n.country, msisdn: n.msisdn, moHttpUrl: url },
      });
      expect(ok.status).toBe(200);
      expect(seen).toEqual(["GET /sms"]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const remote = await raw(sim, "POST", "/number/update", {
      form: { country: n.country, msisdn: n.msisdn, moHttpUrl: "https://hooks.example.com/sms" },
    });
    expect(remote.status).toBe(420);
    expect((remote.body as Record<string, string>)["error-code-label"]).toMatch(/unreachable/);
  });

  it("accepts voiceCallbackType=app but notes it as deprecated in the request log", async () => {
    const sim = await start();
    const n = linked(sim);
    const res = await raw(sim, "POST", "/number/update", {
      form: {
        country: n.country,
        msisdn: n.msisdn,
        app_id: n.appId ?? "",
        voiceCallbackType: "app",
        voiceCallbackValue: n.appId ?? "",
      },
    });
    expect(res.status).toBe(200);
    expect(sim.requests().at(-1)?.notes).toEqual([
      "deprecated: voiceCallbackType=app (will be removed; link the number with app_id)",
    ]);
  });
});
