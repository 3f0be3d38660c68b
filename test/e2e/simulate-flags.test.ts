// `vonage-ir simulate` passes the flags of the stricter simulator through: --rate-limit 0, an unreachable SMS
// webhook, the Fraud Defender rule management guess, and an account without the Reports API.

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

import { assertBuilt, BIN } from "./helpers/run-cli.js";

describe("vonage-ir simulate flags", () => {
  it("--rate-limit 0 --unreachable-sms-webhooks 1 --fraud-rule-management --reports-unavailable", async () => {
    assertBuilt();
    const child = spawn(
      process.execPath,
      [
        BIN,
        "simulate",
        "--scenario",
        "compromised",
        "--rate-limit",
        "0",
        "--unreachable-sms-webhooks",
        "1",
        "--fraud-rule-management",
        "--reports-unavailable",
      ],
      { env: { PATH: process.env["PATH"] ?? "", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("VONAGE_SIM_ADMIN_TOKEN=")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`simulate exited ${String(code)}: ${out}`)));
      });
      await new Promise((r) => setTimeout(r, 50));
      const env = Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      const url = env["VONAGE_API_HOST"] ?? "";
      const basic = `Basic ${Buffer.from(`${env["VONAGE_API_KEY"] ?? ""}:${env["VONAGE_API_SECRET"] ?? ""}`).toString("base64")}`;
      const get = (path: string, auth = basic): Promise<Response> =>
        fetch(`${url}${path}`, { headers: { authorization: auth } });
      const faults = (await (
        await get("/_sim/faults", `Bearer ${env["VONAGE_SIM_ADMIN_TOKEN"] ?? ""}`)
      ).json()) as { rateLimit: number };
      expect(faults.rateLimit).toBe(0);
      const state = (await (
        await get("/_sim/state", `Bearer ${env["VONAGE_SIM_ADMIN_TOKEN"] ?? ""}`)
      ).json()) as {
        numbers: { appId?: string; moHttpUrl?: string }[];
      };
      const linked = state.numbers.filter((n) => n.appId !== undefined);
      expect((await fetch(linked[0]?.moHttpUrl ?? "")).status).toBe(503);
      expect((await fetch(linked[1]?.moHttpUrl ?? "")).status).toBe(200);
      expect((await get("/v1/fraud-defender/rules")).status).toBe(200);
      const reports = await get(
        `/v2/reports/records?product=VOICE-CALL&account_id=${env["VONAGE_API_KEY"] ?? ""}`,
      );
      expect(reports.status).toBe(403);
    } finally {
      child.kill("SIGINT");
    }
  });
});
