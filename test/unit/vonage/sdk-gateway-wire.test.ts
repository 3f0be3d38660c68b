// The gateway's requests and paging, checked on the wire against a tiny scripted server.
import { afterEach, describe, expect, it } from "vitest";
import { RequestScheduler } from "../../../src/vonage/request-scheduler.js";
import { createSdkGateway } from "../../../src/vonage/sdk-gateway.js";
import { type RequestInfo } from "../../../src/vonage/sdk/sdk-runtime.js";
import { startTinyServer, type Reply, type SeenRequest, type TinyServer } from "./tiny-server.js";

const creds = { apiKey: "abcd1234", apiSecret: "Wire-Secret-123" };
const basicOf = (secret: string) => `Basic ${Buffer.from(`${creds.apiKey}:${secret}`).toString("base64")}`;

let server: TinyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function gateway(
  replies: Reply[] | ((req: SeenRequest, n: number) => Reply),
  onRequest?: (i: RequestInfo) => void,
) {
  server = await startTinyServer(replies);
  const scheduler = new RequestScheduler({ ratePerSecond: 1e6, burst: 1e6 });
  return {
    scheduler,
    gw: createSdkGateway({
      credentials: creds,
      apiHost: `${server.url}/`,
      restHost: server.url,
      scheduler,
      ...(onRequest ? { onRequest } : {}),
    }),
  };
}

function query(req: SeenRequest): URLSearchParams {
  return new URL(req.url, "http://x").searchParams;
}

const wireApp = (i: number) => ({
  id: `app-${i}`,
  name: `app ${i}`,
  keys: { public_key: `PEM-${i}` },
  capabilities: {
    voice: {
      webhooks: {
        answer_url: { address: `https://a/${i}`, http_method: "GET", connect_timeout: 500 },
        event_url: { address: `https://e/${i}`, http_method: "POST" },
      },
      signed_callbacks: true,
    },
  },
  privacy: { improve_ai: false },
  _links: { self: { href: `/v2/applications/app-${i}` } },
});

describe("SDK gateway on the wire", () => {
  it("createApplication sends the wire config and our public key, unchanged by the SDK's snake_casing", async () => {
    const { gw } = await gateway((req) => ({
      status: 201,
      body: { ...JSON.parse(req.body), id: "new-app" },
    }));
    const { id: _id, keys: _keys, _links: _l, ...config } = wireApp(1);
    const created = await gw.createApplication(config, "NEW-PEM");
    const seen = server?.seen[0];
    expect(seen?.method).toBe("POST");
    expect(seen?.url).toBe("/v2/applications");
    expect(JSON.parse(seen?.body ?? "")).toEqual({ ...config, keys: { public_key: "NEW-PEM" } });
    expect(created).toEqual({ id: "new-app", name: "app 1", publicKey: "NEW-PEM", config });
  });

  it("createApplication never posts a GET body back: response-only fields are dropped", async () => {
    const { gw } = await gateway((req) => ({
      status: 201,
      body: { ...JSON.parse(req.body), id: "new-app" },
    }));
    const read = wireApp(2);
    const { id: _id, keys: _keys, _links: _l, ...config } = read;
    const voice = { ...config.capabilities.voice, payment_enabled: false, payments: { gateways: [] } };
    await gw.createApplication(
      {
        ...config,
        capabilities: { voice, verify: { version: "v2" }, rtc: { leg_persistence_time: 3 } },
        id: "app-2",
        keys: { public_key: "OLD", private_key: "PRIVATE" },
        _links: read._links,
      } as never,
      "NEW-PEM",
    );
    expect(JSON.parse(server?.seen[0]?.body ?? "")).toEqual({
      ...config,
      capabilities: { voice: config.capabilities.voice, verify: {}, rtc: {} },
      keys: { public_key: "NEW-PEM" },
    });
  });

  it("updateApplication PUTs the full application with the new key, without its id in the body", async () => {
    const { gw } = await gateway((req) => ({
      status: 200,
      body: { ...JSON.parse(req.body), id: "app-3", _links: { self: { href: "/v2/applications/app-3" } } },
    }));
    const { id: _id, keys: _keys, _links: _l, ...config } = wireApp(3);
    const updated = await gw.updateApplication(
      "app-3",
      { ...config, capabilities: { ...config.capabilities, verify: { version: "v2" } } },
      "ROTATED-PEM",
    );
    const seen = server?.seen[0];
    expect(seen?.method).toBe("PUT");
    expect(seen?.url).toBe("/v2/applications/app-3");
    expect(seen?.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(seen?.body ?? "")).toEqual({
      ...config,
      capabilities: { ...config.capabilities, verify: {} },
      keys: { public_key: "ROTATED-PEM" },
    });
    expect(updated).toMatchObject({ id: "app-3", name: "app 3", publicKey: "ROTATED-PEM" });
  });

  it("lists every application across pages of 100 and reports progress", async () => {
    const total = 250;
    const { gw } = await gateway((req) => {
      const page = Number(query(req).get("page"));
      const size = Number(query(req).get("page_size"));
      const apps = Array.from({ length: total }, (_, i) => wireApp(i)).slice((page - 1) * size, page * size);
      const pages = Math.ceil(total / size);
      return {
        status: 200,
        body: {
          page_size: size,
          page,
          total_items: total,
          total_pages: pages,
          _embedded: { applications: apps },
          _links: { self: { href: "x" }, ...(page < pages ? { next: { href: "n" } } : {}) },
        },
      };
    });
    const progress: [number, number | undefined][] = [];
    const apps = await gw.listApplications((d, t) => progress.push([d, t]));
    expect(apps.map((a) => a.id)).toEqual(Array.from({ length: total }, (_, i) => `app-${i}`));
    expect(server?.seen.map((r) => query(r).get("page_size"))).toEqual(["100", "100", "100"]);
    expect(progress.at(-1)).toEqual([250, 250]);
    const { id: _id, keys: _keys, _links: _l, ...config } = wireApp(7);
    expect(apps[7]).toEqual({ id: "app-7", name: "app 7", publicKey: "PEM-7", config });
  });

  it("lists every owned number across pages (size 100, 1-based index), filtered by application", async () => {
    const total = 230;
    const { gw } = await gateway((req) => {
      const index = Number(query(req).get("index"));
      const numbers = Array.from({ length: total }, (_, i) => ({
        country: "GB",
        msisdn: `4477009${String(i).padStart(5, "0")}`,
        app_id: "app-1",
        voiceCallbackType: "app",
        voiceCallbackValue: "app-1",
      })).slice((index - 1) * 100, index * 100);
      return { status: 200, body: { count: total, numbers } };
    });
    const numbers = await gw.listNumbers({ applicationId: "app-1" });
    expect(numbers).toHaveLength(total);
    expect(new Set(numbers.map((n) => n.msisdn)).size).toBe(total);
    expect(numbers[0]?.appId).toBe("app-1");
    expect(server?.seen.map((r) => query(r).get("index")).sort()).toEqual(["1", "2", "3"]);
    expect(
      server?.seen.every((r) => query(r).get("application_id") === "app-1" && query(r).get("size") === "100"),
    ).toBe(true);
  });

  it("treats a missing numbers array as empty", async () => {
    const { gw } = await gateway([{ status: 200, body: { count: 0 } }]);
    await expect(gw.listNumbers()).resolves.toEqual([]);
  });

  it("linkNumber re-sends the callbacks with app_id as a form, without voiceCallbackType=app", async () => {
    const { gw } = await gateway([
      { status: 200, body: { "error-code": "200", "error-code-label": "success" } },
    ]);
    await gw.linkNumber(
      {
        country: "GB",
        msisdn: "447700900001",
        appId: "old",
        raw: { moHttpUrl: "https://mo", voiceCallbackType: "app", voiceCallbackValue: "old", app_id: "old" },
      },
      "new",
    );
    const seen = server?.seen[0];
    expect(seen?.url).toBe("/number/update");
    expect(seen?.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(seen?.body))).toEqual({
      app_id: "new",
      country: "GB",
      moHttpUrl: "https://mo",
      msisdn: "447700900001",
    });
  });

  it("linkNumber fails when error-code is not 200", async () => {
    const { gw } = await gateway([
      { status: 200, body: { "error-code": "420", "error-code-label": "Action failed" } },
    ]);
    await expect(
      gw.linkNumber({ country: "GB", msisdn: "1", appId: undefined, raw: {} }, "new"),
    ).rejects.toMatchObject({ kind: "other", type: "420", operation: "linkNumber" });
  });

  it("a refused update of a number with an SMS webhook names the number and the URL (Vonage probes it)", async () => {
    const number = {
      country: "GB",
      msisdn: "447700900002",
      appId: "old",
      raw: { moHttpUrl: "https://sms.example.com/inbound", app_id: "old" },
    };
    const { gw } = await gateway([
      { status: 200, body: { "error-code": "420", "error-code-label": "Action failed" } },
    ]);
    const refused = await gw.linkNumber(number, "new").catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: "other", type: "420", operation: "linkNumber" });
    expect((refused as Error).message).toContain("447700900002");
    expect((refused as Error).message).toContain("https://sms.example.com/inbound");
    expect((refused as { hint?: string }).hint).toContain("200 OK");
    await server?.close();
    const { gw: http400 } = await gateway([
      { status: 400, body: { "error-code": "400", "error-code-label": "moHttpUrl did not answer 200" } },
    ]);
    const rejected = await http400.linkNumber(number, "new").catch((e: unknown) => e);
    expect((rejected as Error).message).toMatch(/447700900002.*https:\/\/sms\.example\.com\/inbound/);
  });

  it("a refused update of a number without an SMS webhook still names the number", async () => {
    const { gw } = await gateway([
      { status: 200, body: { "error-code": "420", "error-code-label": "Action failed" } },
    ]);
    const refused = await gw
      .linkNumber({ country: "GB", msisdn: "447700900003", appId: "old", raw: {} }, "new")
      .catch((e: unknown) => e);
    expect((refused as Error).message).toContain("447700900003");
    expect((refused as Error).message).not.toContain("moHttpUrl");
  });

  it("getAccountSettings is an empty POST", async () => {
    const { gw } = await gateway([
      {
        status: 200,
        body: { "mo-callback-url": "https://mo", "dr-callback-url": "", "max-calls-per-second": 30 },
      },
    ]);
    const settings = await gw.getAccountSettings();
    expect(settings).toMatchObject({ moCallbackUrl: "https://mo", drCallbackUrl: undefined });
    expect(server?.seen[0]).toMatchObject({ method: "POST", url: "/account/settings", body: "" });
  });

  it("getBalance reads value and autoReload", async () => {
    const { gw } = await gateway([{ status: 200, body: { value: 10.28, autoReload: true } }]);
    await expect(gw.getBalance()).resolves.toEqual({ value: 10.28, autoReload: true });
  });

  it("subaccounts and audit report unavailable on 403/404", async () => {
    const { gw } = await gateway((req) =>
      req.url.includes("subaccounts")
        ? {
            status: 403,
            body: { type: "x#unprovisioned", title: "Authorisation error", detail: "not provisioned" },
          }
        : { status: 404, body: { status: 404, error: "Not Found", message: "No audit for this account" } },
    );
    const subs = await gw.listSubaccounts();
    expect(subs.available).toBe(false);
    expect(subs.available ? "" : subs.reason).toContain("not provisioned");
    const audit = await gw.listAuditEvents({ since: "2024-01-01T00:00:00Z" });
    expect(audit.available).toBe(false);
    expect(audit.available ? "" : audit.reason).toContain("No audit for this account");
  });

  it("lists audit events over every page with date_from", async () => {
    const { gw } = await gateway((req) => {
      const page = Number(query(req).get("page"));
      const event = (i: number) => ({
        id: `e${page}-${i}`,
        event_type: "APP_CREATE",
        created_at: "2024-01-02T00:00:00",
      });
      return {
        status: 200,
        body: {
          _embedded: { events: [event(1), event(2)] },
          page: { size: 2, totalElements: 4, totalPages: 2, number: page },
        },
      };
    });
    const result = await gw.listAuditEvents({ since: "2024-01-01T00:00:00" });
    expect(result.available && result.value.map((e) => [e.id, e.eventType])).toEqual([
      ["e1-1", "APP_CREATE"],
      ["e1-2", "APP_CREATE"],
      ["e2-1", "APP_CREATE"],
      ["e2-2", "APP_CREATE"],
    ]);
    expect(server?.seen.map((r) => query(r).get("date_from"))).toEqual([
      "2024-01-01T00:00:00",
      "2024-01-01T00:00:00",
    ]);
    expect(server?.seen[0]?.url.startsWith("/beta/audit/events")).toBe(true);
  });

  it("checkCredentials answers false on 401 and true on 200, with the given credentials", async () => {
    const { gw } = await gateway((req) =>
      req.headers.authorization === basicOf("good-Secret-1")
        ? { status: 200, body: { value: 1, autoReload: false } }
        : { status: 401, body: { "error-code": "401", "error-code-label": "authentication failed" } },
    );
    await expect(gw.checkCredentials({ apiKey: creds.apiKey, apiSecret: "good-Secret-1" })).resolves.toBe(
      true,
    );
    await expect(gw.checkCredentials({ apiKey: creds.apiKey, apiSecret: "bad-Secret-1" })).resolves.toBe(
      false,
    );
  });

  it("withSecret authenticates with the other secret and shares the scheduler", async () => {
    const { gw, scheduler } = await gateway([{ status: 200, body: { value: 1, autoReload: false } }]);
    await gw.getBalance();
    await gw.withSecret("Other-Secret-9").getBalance();
    expect(server?.seen.map((r) => r.headers.authorization)).toEqual([
      basicOf(creds.apiSecret),
      basicOf("Other-Secret-9"),
    ]);
    expect(gw.withSecret("x").apiKey).toBe(creds.apiKey);
    expect(scheduler.stats().requests).toBe(2);
  });

  it("reports every request with its read/write tag", async () => {
    const seen: RequestInfo[] = [];
    const { gw } = await gateway(
      (req) =>
        req.method === "DELETE" ? { status: 204 } : { status: 200, body: { value: 1, autoReload: false } },
      (i) => seen.push(i),
    );
    await gw.getBalance();
    await gw.deleteApplication("app-1");
    expect(seen).toEqual([
      { operation: "getBalance", kind: "read" },
      { operation: "deleteApplication", kind: "write" },
    ]);
  });

  it("getApplication returns undefined for an unknown id", async () => {
    const { gw } = await gateway([{ status: 404, body: { type: "x#not-found", title: "Not found" } }]);
    await expect(gw.getApplication("nope")).resolves.toBeUndefined();
  });

  it("setSubaccountSuspended PATCHes {suspended} and returns the record", async () => {
    const { gw } = await gateway((req) => ({
      status: 200,
      body: {
        api_key: "sub1",
        name: "s",
        suspended: JSON.parse(req.body).suspended,
        created_at: "t",
        use_primary_account_balance: true,
      },
    }));
    const sub = await gw.setSubaccountSuspended("sub1", true);
    expect(server?.seen[0]).toMatchObject({ method: "PATCH", url: "/accounts/abcd1234/subaccounts/sub1" });
    expect(JSON.parse(server?.seen[0]?.body ?? "")).toEqual({ suspended: true });
    expect(sub).toMatchObject({ apiKey: "sub1", suspended: true, usePrimaryAccountBalance: true });
  });
});
