// Application API 2.4.1 as the simulator enforces it: a full PUT that replaces the public key in place, and
// create/update bodies validated against the current request schema.

import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";

import { raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "compromised", scenarioParams: { now: "2026-01-15T12:00:00Z" } });

function newPublicKey(): string {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  }).publicKey;
}

interface Invalid {
  type: string;
  invalid_parameters: { name: string; reason: string }[];
}

describe("PUT /v2/applications/{id}", () => {
  it("replaces keys.public_key in place: same id, numbers still linked, webhooks as sent", async () => {
    const sim = await start();
    const state = sim.dumpState();
    const app = state.applications.find((a) => a.name === "shop-voice");
    const linkedBefore = state.numbers.filter((n) => n.appId === app?.id).length;
    const publicKey = newPublicKey();
    const res = await raw(sim, "PUT", `/v2/applications/${app?.id ?? ""}`, {
      json: { name: "shop-voice", keys: { public_key: publicKey }, capabilities: app?.capabilities },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: app?.id, keys: { public_key: publicKey } });
    const after = sim.dumpState();
    expect(after.applications.find((a) => a.id === app?.id)?.keys.public_key).toBe(publicKey);
    expect(after.applications).toHaveLength(state.applications.length);
    expect(after.numbers.filter((n) => n.appId === app?.id)).toHaveLength(linkedBefore);
    expect(after.auditEvents.at(-1)).toMatchObject({
      event_type: "APP_UPDATE",
      context: { appId: app?.id, publicKeyReplaced: true },
    });
  });

  it("is a full update: capabilities left out are cleared, the key stays when not sent", async () => {
    const sim = await start();
    const app = sim.dumpState().applications[0];
    const res = await raw(sim, "PUT", `/v2/applications/${app?.id ?? ""}`, { json: { name: "renamed" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "renamed",
      capabilities: {},
      keys: { public_key: app?.keys.public_key },
    });
  });

  it("accepts the id of its own path in the body (the SDK sends it), refuses another one", async () => {
    const sim = await start();
    const [a, b] = sim.dumpState().applications;
    const own = await raw(sim, "PUT", `/v2/applications/${a?.id ?? ""}`, { json: { id: a?.id, name: "n" } });
    expect(own.status).toBe(200);
    const other = await raw(sim, "PUT", `/v2/applications/${a?.id ?? ""}`, {
      json: { id: b?.id, name: "n" },
    });
    expect((other.body as Invalid).invalid_parameters).toEqual([
      { name: "id", reason: "must match the path" },
    ]);
  });

  it("refuses a body without a name, and a key that is not a PEM public key", async () => {
    const sim = await start();
    const id = sim.dumpState().applications[0]?.id ?? "";
    const noName = await raw(sim, "PUT", `/v2/applications/${id}`, { json: { capabilities: {} } });
    expect(noName.status).toBe(400);
    expect((noName.body as Invalid).invalid_parameters).toEqual([{ name: "name", reason: "Is required." }]);
    const badKey = await raw(sim, "PUT", `/v2/applications/${id}`, {
      json: { name: "x", keys: { public_key: "not a key" } },
    });
    expect((badKey.body as Invalid).invalid_parameters).toEqual([
      { name: "keys.public_key", reason: "must be a PEM public key" },
    ]);
  });
});

describe("request validation (create and update)", () => {
  const responseOnly: [string, Record<string, unknown>][] = [
    ["capabilities.verify.version", { verify: { version: "v2" } }],
    ["capabilities.voice.payment_enabled", { voice: { payment_enabled: false } }],
    ["capabilities.voice.payments", { voice: { payments: { gateways: [] } } }],
    ["capabilities.rtc.leg_persistence_time", { rtc: { leg_persistence_time: 5 } }],
    ["capabilities.messages.authenticate_inbound_media", { messages: { authenticate_inbound_media: true } }],
  ];

  it.each(responseOnly)(
    "a response-only field %s is a 400 #payload-validation naming it",
    async (name, caps) => {
      const sim = await start();
      for (const [method, path] of [
        ["POST", "/v2/applications"],
        ["PUT", `/v2/applications/${sim.dumpState().applications[0]?.id ?? ""}`],
      ] as const) {
        const res = await raw(sim, method, path, { json: { name: "copy", capabilities: caps } });
        expect(res.status, `${method} ${name}`).toBe(400);
        expect(res.body).toMatchObject({
          type: "https://developer.nexmo.com/api-errors/application#payload-validation",
          title: "Bad Request",
          invalid_parameters: [{ name, reason: "is not a recognised field" }],
        });
      }
      expect(sim.dumpState().applications.some((a) => a.name === "copy")).toBe(false);
    },
  );

  it("unknown top-level fields, bad enums and out-of-range timeouts are named with the allowed values", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/v2/applications", {
      json: {
        name: "bad",
        id: "copied-from-a-get",
        capabilities: {
          voice: {
            webhooks: {
              answer_url: { address: "https://a.example/answer", http_method: "PUT", connect_timeout: 100 },
            },
            region: "mars-north",
          },
          messages: { webhooks: { inbound_url: { address: "https://a.example/in", http_method: "GET" } } },
        },
      },
    });
    expect(res.status).toBe(400);
    expect((res.body as Invalid).invalid_parameters).toEqual(
      expect.arrayContaining([
        { name: "id", reason: "is not a recognised field" },
        { name: "capabilities.voice.webhooks.answer_url.http_method", reason: "must be one of: GET, POST" },
        {
          name: "capabilities.voice.webhooks.answer_url.connect_timeout",
          reason: "must be between 300 and 1000",
        },
        {
          name: "capabilities.voice.region",
          reason: "must be one of: na-east, na-west, eu-east, eu-west, apac-sng, apac-australia",
        },
        { name: "capabilities.messages.webhooks.inbound_url.http_method", reason: "must be one of: POST" },
      ]),
    );
  });

  it("accepts what the request schema allows (voice settings, meetings, video, privacy)", async () => {
    const sim = await start();
    const res = await raw(sim, "POST", "/v2/applications", {
      json: {
        name: "full",
        capabilities: {
          voice: {
            webhooks: {
              event_url: { address: "https://a.example/e", http_method: "POST", socket_timeout: 10000 },
            },
            signed_callbacks: true,
            conversations_ttl: 9000,
            leg_persistence_time: 31,
            region: "eu-west",
          },
          messages: { version: "v1" },
          meetings: { webhooks: { room_changed: { address: "https://a.example/r", http_method: "POST" } } },
          video: { storage: { cloud_storage: true } },
        },
        privacy: { improve_ai: false },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ privacy: { improve_ai: false } });
  });
});
