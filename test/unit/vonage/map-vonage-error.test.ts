import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { VonageApiError } from "../../../src/core/errors.js";
import { registerSecret } from "../../../src/core/redact.js";
import { AUTH_FAILED_MESSAGE } from "../../../src/vonage/map-vonage-error.js";
import { RequestScheduler } from "../../../src/vonage/request-scheduler.js";
import { createSdkGateway } from "../../../src/vonage/sdk-gateway.js";
import { startTinyServer, type Reply, type TinyServer } from "./tiny-server.js";

const SECRET = "Very-Secret-Value-42";
const creds = { apiKey: "abcd1234", apiSecret: SECRET };
const basic = Buffer.from(`${creds.apiKey}:${SECRET}`).toString("base64");

let server: TinyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** No retries and no waiting: each test sees exactly the first answer. */
function noRetry() {
  return new RequestScheduler({ maxAttempts: 1, maxRateLimitRetries: 0, burst: 1000, sleep: async () => {} });
}

async function gatewayAnswering(reply: Reply, timeoutMs?: number) {
  server = await startTinyServer([reply]);
  return createSdkGateway({
    credentials: creds,
    apiHost: server.url,
    restHost: server.url,
    scheduler: noRetry(),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

async function failure(promise: Promise<unknown>): Promise<VonageApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VonageApiError);
  return error as VonageApiError;
}

function expectNoSecret(error: VonageApiError) {
  for (const text of [
    error.message,
    JSON.stringify(error),
    inspect(error, { depth: 10 }),
    String(error.stack),
  ]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(basic);
    expect(text).not.toContain("Basic ");
  }
  expect(error.cause).toBeUndefined();
}

describe("mapping Vonage errors", () => {
  it("401 says the credentials were rejected, and carries no secret", async () => {
    const gw = await gatewayAnswering({
      status: 401,
      body: {
        type: "https://developer.nexmo.com/api-errors#unauthorized",
        title: "Invalid credentials supplied",
      },
    });
    const error = await failure(gw.listSecrets(creds.apiKey));
    expect(server?.seen[0]?.headers.authorization).toBe(`Basic ${basic}`);
    expect(error).toMatchObject({
      kind: "auth",
      status: 401,
      operation: "listSecrets",
      message: AUTH_FAILED_MESSAGE,
    });
    expectNoSecret(error);
  });

  it("500 carries Vonage's title and detail, and no secret", async () => {
    const gw = await gatewayAnswering({
      status: 500,
      body: { title: "Internal Error", detail: "try later" },
    });
    const error = await failure(gw.listApplications());
    expect(error.kind).toBe("server");
    expect(error.message).toContain("Internal Error: try later");
    expect(error.message).toContain("HTTP 500");
    expectNoSecret(error);
  });

  it("403 #maximum-secrets-allowed is a limit", async () => {
    const type = "https://developer.nexmo.com/api-errors/account/secret-management#maximum-secrets-allowed";
    const gw = await gatewayAnswering({
      status: 403,
      body: {
        type,
        title: "Maxmimum number of secrets already met",
        detail: "maximum number of '2' allowed secrets",
      },
    });
    const error = await failure(gw.createSecret(creds.apiKey, "NewSecret123"));
    expect(error).toMatchObject({ kind: "limit", status: 403, type });
    expect(error.message).toContain("'2' allowed secrets");
  });

  it("403 #add-excess-secret (Vonage's newer type for a third secret) is a limit", async () => {
    const type = "https://developer.nexmo.com/api-errors/account/secret-management#add-excess-secret";
    const gw = await gatewayAnswering({
      status: 403,
      body: {
        type,
        title: "Secret Addition Forbidden",
        detail: "Account reached maximum number [2] of allowed secrets",
      },
    });
    const error = await failure(gw.createSecret(creds.apiKey, "NewSecret123"));
    expect(error).toMatchObject({ kind: "limit", status: 403, type });
    expect(error.hint).toContain("revoke one");
  });

  it("400 #maximum-secrets-allowed is a limit too", async () => {
    const type = "https://developer.nexmo.com/api-errors/account/secret-management#maximum-secrets-allowed";
    const gw = await gatewayAnswering({ status: 400, body: { type, title: "Bad Request" } });
    await expect(gw.createSecret(creds.apiKey, "NewSecret123")).rejects.toMatchObject({ kind: "limit" });
  });

  it("403 #delete-last-secret is forbidden and keeps the type", async () => {
    const type = "https://developer.nexmo.com/api-errors/account/secret-management#delete-last-secret";
    const gw = await gatewayAnswering({ status: 403, body: { type, title: "Secret Deletion Forbidden" } });
    const error = await failure(gw.revokeSecret(creds.apiKey, "s-1"));
    expect(error).toMatchObject({ kind: "forbidden", status: 403, type });
    expect(error.message).toContain("Secret Deletion Forbidden");
  });

  it("400 validation lists the invalid parameters", async () => {
    const gw = await gatewayAnswering({
      status: 400,
      body: {
        type: "https://developer.nexmo.com/api-errors/account/secret-management#validation",
        title: "Bad Request",
        invalid_parameters: [{ name: "secret", reason: "Does not meet complexity requirements" }],
      },
    });
    const error = await failure(gw.createSecret(creds.apiKey, "weak"));
    expect(error.kind).toBe("validation");
    expect(error.message).toContain("secret: Does not meet complexity requirements");
  });

  it("404 is not-found", async () => {
    const gw = await gatewayAnswering({
      status: 404,
      body: { type: "x#invalid-api-key", title: "Invalid API Key" },
    });
    await expect(gw.listSecrets("nope")).rejects.toMatchObject({ kind: "not-found", status: 404 });
  });

  it("reads rest.nexmo.com error-code-label bodies", async () => {
    const gw = await gatewayAnswering({
      status: 420,
      body: { "error-code": "420", "error-code-label": "Action failed" },
    });
    const error = await failure(gw.getBalance());
    expect(error).toMatchObject({ kind: "other", status: 420, type: "420" });
    expect(error.message).toContain("Action failed");
  });

  it("429 is rate-limited once retries are exhausted", async () => {
    const gw = await gatewayAnswering({
      status: 429,
      headers: { "retry-after": "1" },
      body: { title: "Too Many Requests" },
    });
    await expect(gw.getBalance()).rejects.toMatchObject({ kind: "rate-limited", status: 429 });
  });

  it("an unreachable host is named in the message, what to check in the hint (printed once)", async () => {
    server = await startTinyServer([{ status: 200 }]);
    const url = server.url;
    await server.close();
    server = undefined;
    const gw = createSdkGateway({ credentials: creds, apiHost: url, restHost: url, scheduler: noRetry() });
    const error = await failure(gw.listSecrets(creds.apiKey));
    expect(error.kind).toBe("unreachable");
    expect(error.message).toBe(`cannot reach ${url} (ECONNREFUSED)`);
    expect(error.hint).toBe("check VONAGE_API_HOST or your network");
    expectNoSecret(error);
  });

  it("a dropped connection is unreachable", async () => {
    const gw = await gatewayAnswering({ drop: true });
    const error = await failure(gw.getBalance());
    expect(error.kind).toBe("unreachable");
    expect(error.message).toContain(server?.url ?? "?");
    expect(error.hint).toContain("VONAGE_REST_HOST");
  });

  it("a server that never answers is a timeout naming host and limit", async () => {
    const gw = await gatewayAnswering({ hang: true }, 150);
    const error = await failure(gw.listSecrets(creds.apiKey));
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain(server?.url ?? "?");
    expect(error.message).toContain("150 ms");
    expectNoSecret(error);
  });

  it("a body echoing base64(key:secret) lowercase-prefixed or bare loses it (the CLI registers the pair)", async () => {
    registerSecret(SECRET, { apiKey: creds.apiKey });
    for (const detail of [`got basic ${basic}`, `got BASIC ${basic}`, `got header ${basic}`]) {
      const gw = await gatewayAnswering({ status: 400, body: { title: "Bad", detail } });
      const error = await failure(gw.listApplications());
      expect(error.message).toContain("got ");
      expect(error.message).not.toContain(basic.replace(/=+$/, ""));
      await server?.close();
      server = undefined;
    }
  });

  it("a 20 MB error detail is cut to a bound, and its escape sequences are removed", async () => {
    const gw = await gatewayAnswering({
      status: 500,
      body: { title: "Proxy \u001b[2Jerror", detail: `\u001b[31m${"z".repeat(20_000_000)}` },
    });
    const error = await failure(gw.listApplications());
    expect(error.message.length).toBeLessThan(1000);
    expect(error.message).toMatch(/Proxy error: z{10,}… \[\d+ more characters cut\]/);
    expect(error.message).not.toContain("\u001b");
  });
});
