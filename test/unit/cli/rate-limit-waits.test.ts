// A wait Vonage asks for reaches the run's events through the gateway buildGateway makes, as one line.
import { afterEach, describe, expect, it } from "vitest";
import { buildGateway } from "../../../src/cli/session.js";
import { startTinyServer, type TinyServer } from "../vonage/tiny-server.js";

let server: TinyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("buildGateway: waits Vonage asks for", () => {
  it("are told to the listener as 'Vonage asked to wait N s: waiting', and the request then succeeds", async () => {
    // 5 s is the shortest wait that is shown: this test spends it for real.
    server = await startTinyServer([
      { status: 429, headers: { "retry-after": "5" }, body: { title: "Too Many Requests" } },
      { status: 200, body: { value: 1.5, autoReload: false } },
    ]);
    const { gateway, waits } = await buildGateway(
      { apiKey: "abcd1234", apiSecret: "Wait-Secret-123" },
      { apiHost: server.url, restHost: server.url },
      1,
    );
    const told: string[] = [];
    waits.listen((message) => told.push(message));
    await expect(gateway.getBalance()).resolves.toEqual({ value: 1.5, autoReload: false });
    expect(told).toEqual(["Vonage asked to wait 5 s: waiting"]);
  }, 15_000);
});
