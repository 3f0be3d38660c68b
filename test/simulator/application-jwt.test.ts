// GET /v1/calls takes an application's RS256 JWT and checks it against the application's current public key:
// the proof that an attacker's copy of an old private key is dead once the key is replaced or the app deleted.

import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";

import { sharedKeyPair, type RunningSimulator } from "../../src/simulator/index.js";
import { raw } from "./raw-request.js";
import { simulatorStarter } from "./start-simulators.js";

const start = simulatorStarter({ scenario: "compromised" });

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function jwt(privateKey: string, claims: Record<string, unknown>, alg = "RS256"): string {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg, typ: "JWT" })}.${b64({ iat: now, exp: now + 900, jti: randomUUID(), ...claims })}`;
  const signature = createSign("RSA-SHA256").update(body).sign(privateKey).toString("base64url");
  return `${body}.${signature}`;
}

function calls(sim: RunningSimulator, token: string) {
  return raw(sim, "GET", "/v1/calls", { auth: null, bearer: token });
}

describe("GET /v1/calls (application JWT)", () => {
  it("accepts a JWT signed with the application's current key and lists its calls", async () => {
    const sim = await start();
    const app = sim.dumpState().applications[0];
    const res = await calls(sim, jwt(sharedKeyPair().privateKey, { application_id: app?.id }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 0, _embedded: { calls: [] } });
    expect(sim.requests().at(-1)).toMatchObject({
      path: "/v1/calls",
      status: 200,
      apiKey: sim.primary.apiKey,
    });
  });

  it("refuses the old private key once the public key is replaced in place, and accepts the new one", async () => {
    const sim = await start();
    const app = sim.dumpState().applications[0];
    const fresh = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const put = await raw(sim, "PUT", `/v2/applications/${app?.id ?? ""}`, {
      json: { name: app?.name, keys: { public_key: fresh.publicKey }, capabilities: app?.capabilities },
    });
    expect(put.status).toBe(200);
    const old = await calls(sim, jwt(sharedKeyPair().privateKey, { application_id: app?.id }));
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ type: "https://developer.nexmo.com/api-errors#unauthorized" });
    expect((await calls(sim, jwt(fresh.privateKey, { application_id: app?.id }))).status).toBe(200);
  });

  it("refuses any JWT of a deleted application", async () => {
    const sim = await start();
    const app = sim.dumpState().applications[0];
    expect((await raw(sim, "DELETE", `/v2/applications/${app?.id ?? ""}`)).status).toBe(204);
    expect((await calls(sim, jwt(sharedKeyPair().privateKey, { application_id: app?.id }))).status).toBe(401);
  });

  it("refuses Basic credentials, other algorithms, expired, future-dated and overlong tokens", async () => {
    const sim = await start();
    const id = sim.dumpState().applications[0]?.id;
    const key = sharedKeyPair().privateKey;
    const now = Math.floor(Date.now() / 1000);
    expect((await raw(sim, "GET", "/v1/calls")).status).toBe(401);
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ application_id: id, iat: now })}.`;
    expect((await calls(sim, unsigned)).status).toBe(401);
    expect((await calls(sim, jwt(key, { application_id: id }, "HS256"))).status).toBe(401);
    expect(
      (await calls(sim, jwt(key, { application_id: id, iat: now - 2000, exp: now - 1000 }))).status,
    ).toBe(401);
    expect(
      (await calls(sim, jwt(key, { application_id: id, iat: now + 3600, exp: now + 4000 }))).status,
    ).toBe(401);
    expect(
      (await calls(sim, jwt(key, { application_id: id, iat: now, exp: now + 30 * 86_400 }))).status,
    ).toBe(401);
    expect(
      (await calls(sim, jwt(key, { application_id: "00000000-0000-4000-8000-000000000000" }))).status,
    ).toBe(401);
  });
});
