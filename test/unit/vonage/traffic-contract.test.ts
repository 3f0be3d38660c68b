// The gateway's Reports and Fraud Defender requests on the wire: each records page is a documented query of the
// current Reports spec (3.1.4) and follows the cursor it was given; a 403 is "not available". A rule's body is
// exactly the confirmed create contract (fraud-defender-notes.md 2.1: no OpenAPI file of it is public).
import { Ajv } from "ajv";
import { afterEach, describe, expect, it } from "vitest";
import { VonageApiError } from "../../../src/core/errors.js";
import { createSdkGateway, RequestScheduler } from "../../../src/vonage/index.js";
import type { TrafficRecord } from "../../../src/vonage/gateway.js";
import { currentSpecDir, findOperation, queryProblems } from "../../helpers/current-spec-requests.js";
import { startTinyServer, type Reply, type TinyServer } from "./tiny-server.js";

const servers: TinyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function gatewayAnswering(replies: Reply[]) {
  const server = await startTinyServer(replies);
  servers.push(server);
  const gateway = createSdkGateway({
    credentials: { apiKey: "abcd1234", apiSecret: "Secret-Value-1" },
    apiHost: server.url,
    restHost: server.url,
    scheduler: new RequestScheduler({ ratePerSecond: 1000, burst: 100, maxAttempts: 1 }),
  });
  return { server, gateway };
}

const record = (id: string) => ({
  account_id: "abcd1234",
  message_id: id,
  id,
  direction: "outbound",
  to: "882130000001",
  country: "XS",
  date_received: "2026-11-20T10:00:00Z",
  status: "delivered",
  currency: "EUR",
  total_price: "1.1500",
});

/** The create-rule request body, closed, as fraud-defender-notes.md 2.1 confirms it. */
const CREATE_RULE = {
  type: "object",
  additionalProperties: false,
  required: ["product", "prefix", "reason", "action"],
  properties: {
    product: { enum: ["voice", "sms"] },
    prefix: { type: "string", maxLength: 15, pattern: "^[0-9]+$" },
    reason: { type: "string", minLength: 1 },
    action: { enum: ["block", "allow"] },
    status: { enum: ["active", "archived", "all"] },
  },
};

describe.runIf(currentSpecDir !== undefined)("Reports records requests against the current spec", () => {
  it("pages by the cursor and iv it was given, each page a documented query", async () => {
    const { server, gateway } = await gatewayAnswering([
      {
        status: 200,
        body: {
          records: [record("a"), record("b")],
          cursor: "Q1VSMQ",
          iv: "iv-1",
          _links: { next: { href: "x" } },
        },
      },
      { status: 200, body: { records: [record("c")] } },
    ]);
    const seen: TrafficRecord[] = [];
    const read = await gateway.readTrafficRecords(
      {
        accountId: "abcd1234",
        product: "SMS",
        dateStart: "2026-11-19T00:00:00Z",
        dateEnd: "2026-11-21T00:00:00Z",
      },
      (page) => void seen.push(...page),
    );
    expect(read).toEqual({ available: true, value: { records: 3, pages: 2 } });
    expect(seen.map((r) => [r.id, r.price, r.country])).toEqual([
      ["a", 1.15, "XS"],
      ["b", 1.15, "XS"],
      ["c", 1.15, "XS"],
    ]);
    expect(server.seen).toHaveLength(2);
    for (const req of server.seen) {
      const url = new URL(req.url, server.url);
      const op = findOperation(req.method, url.pathname);
      expect(op?.pathKey).toBe("/v2/reports/records");
      expect(queryProblems(op!, url.searchParams)).toEqual([]);
      expect(req.headers.authorization).toMatch(/^Basic /);
    }
    const second = new URL(server.seen[1]!.url, server.url).searchParams;
    expect([second.get("cursor"), second.get("iv"), second.get("direction")]).toEqual([
      "Q1VSMQ",
      "iv-1",
      "outbound",
    ]);
  });

  it("a 403 (the Reports product is not on the account) is not available, not an error", async () => {
    const { gateway } = await gatewayAnswering([{ status: 403, body: { title: "Forbidden" } }]);
    const read = await gateway.readTrafficRecords(
      { accountId: "abcd1234", product: "VOICE-CALL", dateStart: "2026-11-19T00:00:00Z" },
      () => undefined,
    );
    expect(read.available).toBe(false);
  });
});

describe("Fraud Defender create-rule requests", () => {
  it("send exactly the confirmed body and read the 201", async () => {
    const { server, gateway } = await gatewayAnswering([
      {
        status: 201,
        body: { id: "r-1", product: "sms", prefix: "88213", action: "block", status: "active" },
      },
    ]);
    const rule = await gateway.createFraudRule({
      product: "sms",
      prefix: "88213",
      reason: "incident",
      action: "block",
    });
    expect(rule).toEqual({ id: "r-1", product: "sms", prefix: "88213", action: "block", status: "active" });
    const [req] = server.seen;
    expect([req?.method, req?.url, req?.headers["content-type"]]).toEqual([
      "POST",
      "/v1/fraud-defender/rules",
      "application/json",
    ]);
    const validate = new Ajv({ allErrors: true }).compile(CREATE_RULE);
    expect(validate(JSON.parse(req!.body)), JSON.stringify(validate.errors)).toBe(true);
  });

  it("a 403 (Fraud Defender not on the account) is a VonageApiError with the status", async () => {
    const { gateway } = await gatewayAnswering([{ status: 403, body: { title: "Forbidden" } }]);
    const error = await gateway
      .createFraudRule({ product: "voice", prefix: "2449", reason: "incident", action: "block" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VonageApiError);
    expect((error as VonageApiError).status).toBe(403);
  });
});
