import { describe, expect, it } from "vitest";
import {
  createDryRunGateway,
  createReadOnlyGateway,
  DryRunWriteError,
} from "../../../src/vonage/dry-run-gateway.js";
import { GATEWAY_METHODS, type Gateway, type GatewayMethod } from "../../../src/vonage/gateway.js";

const methods = Object.keys(GATEWAY_METHODS) as GatewayMethod[];
const reads = methods.filter((m) => GATEWAY_METHODS[m] === "read");
const writes = methods.filter((m) => GATEWAY_METHODS[m] === "write");

/** A fake gateway that counts every call, per secret it was derived with. */
function countingGateway(
  secret = "original",
  calls: { method: string; secret: string; args: unknown[] }[] = [],
) {
  const gateway = {
    apiKey: "abcd1234",
    withSecret: (next: string) => countingGateway(next, calls).gateway,
  } as Record<string, unknown>;
  for (const method of methods) {
    gateway[method] = async (...args: unknown[]) => {
      calls.push({ method, secret, args });
      return `${method}-result`;
    };
  }
  return { gateway: gateway as unknown as Gateway, calls };
}

function callAny(gateway: Gateway, method: GatewayMethod, args: unknown[] = ["x", "y"]): Promise<unknown> {
  return (gateway[method] as (...a: unknown[]) => Promise<unknown>)(...args);
}

describe("createDryRunGateway", () => {
  it("tags at least one read and one write (sanity)", () => {
    expect(reads.length).toBeGreaterThan(0);
    expect(writes).toEqual(
      expect.arrayContaining([
        "createSecret",
        "revokeSecret",
        "createApplication",
        "updateApplication",
        "deleteApplication",
        "linkNumber",
      ]),
    );
  });

  it.each(writes)("refuses %s without calling the inner gateway", async (method) => {
    const { gateway, calls } = countingGateway();
    const blocked: string[] = [];
    const dry = createDryRunGateway(gateway, (m) => blocked.push(m));
    const error = await callAny(dry, method).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DryRunWriteError);
    expect((error as Error).message).toBe(`dry-run: refused to call ${method}`);
    expect(calls).toEqual([]);
    expect(blocked).toEqual([method]);
  });

  it.each(reads)("passes %s through with its arguments", async (method) => {
    const { gateway, calls } = countingGateway();
    const dry = createDryRunGateway(gateway);
    await expect(callAny(dry, method, ["a", 1])).resolves.toBe(`${method}-result`);
    expect(calls).toEqual([{ method, secret: "original", args: ["a", 1] }]);
  });

  it("keeps the guard on gateways derived with withSecret", async () => {
    const { gateway, calls } = countingGateway();
    const derived = createDryRunGateway(gateway).withSecret("new-secret");
    for (const method of writes)
      await expect(callAny(derived, method)).rejects.toBeInstanceOf(DryRunWriteError);
    await derived.getBalance();
    expect(calls).toEqual([{ method: "getBalance", secret: "new-secret", args: [] }]);
  });

  it("exposes the inner apiKey", () => {
    expect(createDryRunGateway(countingGateway().gateway).apiKey).toBe("abcd1234");
  });

  it("createReadOnlyGateway applies the same guard", async () => {
    const { gateway, calls } = countingGateway();
    const ro = createReadOnlyGateway(gateway);
    for (const method of writes) await expect(callAny(ro, method)).rejects.toBeInstanceOf(DryRunWriteError);
    for (const method of reads) await callAny(ro, method);
    expect(calls.map((c) => c.method)).toEqual(reads);
  });
});
