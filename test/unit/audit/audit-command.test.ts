// `vonage-ir audit` in-process against the simulator: exit codes by --fail-on, the --json shape, the readable
// table, usage errors, and that it sends no mutating request.
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import { captureIo, simEnv, startWith } from "./audit-fixtures.js";

let sim: RunningSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function run(argv: string[], env = simEnv(sim as RunningSimulator), stdin = "") {
  const io = captureIo(env, stdin);
  const code = await main(["audit", ...argv], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const onlyReads = (s: RunningSimulator) =>
  s.requests().every((r) => r.method === "GET" || (r.method === "POST" && r.path === "/account/settings"));

describe("vonage-ir audit", () => {
  it("exits 0 without --fail-on even on a compromised account, and prints the table and the manual list", async () => {
    sim = await startSimulator({ port: 0, scenario: "compromised" });
    const { code, stdout, stderr } = await run([]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SEVERITY\s+CHECK\s+DETAIL \/ FIX$/m);
    expect(stdout).toMatch(/^high\s+applications\.webhook-not-https\s+application "ivr-legacy"/m);
    expect(stdout).toMatch(/fix: /);
    expect(stdout).toContain("Verify manually (no API can check these):");
    expect(stdout).toContain("[ ] Two-factor authentication by authenticator app");
    expect(stderr).toMatch(/read requests in/);
    expect(stdout + stderr).not.toContain(sim.primary.apiSecret);
  });

  it("exits 1 with --fail-on high when a high finding exists, 0 with --fail-on high on clean", async () => {
    sim = await startSimulator({ port: 0, scenario: "compromised" });
    const since = sim.meta.compromisedSince ?? "";
    expect(
      (
        await run([
          "--fail-on",
          "high",
          "--since",
          since,
          "--allow-subaccounts",
          sim.meta.legitimateSubaccountKeys.join(","),
        ])
      ).code,
    ).toBe(1);
    await sim.close();
    sim = await startWith();
    expect((await run(["--fail-on", "high"])).code).toBe(0);
    expect((await run(["--fail-on", "medium"])).code).toBe(0);
    // clean's only secret is 400 days old: a low finding at the default 365-day age.
    expect((await run(["--fail-on", "low"])).code).toBe(1);
    expect((await run(["--fail-on", "low", "--secret-max-age-days", "500"])).code).toBe(0);
  });

  it("--fail-on medium fails on a medium finding but --fail-on high does not", async () => {
    sim = await startWith((s) => {
      s.primary.autoReload = true;
    });
    expect((await run(["--fail-on", "high"])).code).toBe(0);
    expect((await run(["--fail-on", "medium"])).code).toBe(1);
    expect((await run(["--fail-on", "low"])).code).toBe(1);
  });

  it("--json prints { v: 1, findings, counts, ownChanges } and nothing else on stdout", async () => {
    sim = await startSimulator({ port: 0, scenario: "compromised" });
    const { code, stdout } = await run(["--json", "--since", sim.meta.compromisedSince ?? ""]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0] ?? "") as {
      v: number;
      findings: {
        id: string;
        severity: string;
        title: string;
        detail: string;
        fix: string;
        manual?: boolean;
      }[];
      counts: Record<string, number>;
    };
    expect(Object.keys(doc)).toEqual(["v", "findings", "counts", "ownChanges"]);
    expect(doc.v).toBe(1);
    expect(Object.keys(doc.counts)).toEqual(["high", "medium", "low", "info"]);
    expect(doc.counts.high).toBe(doc.findings.filter((f) => f.severity === "high").length);
    expect(doc.counts.high).toBeGreaterThan(0);
    for (const f of doc.findings) {
      expect(Object.keys(f).sort()).toEqual(
        f.manual
          ? ["detail", "fix", "id", "manual", "severity", "title"]
          : ["detail", "fix", "id", "severity", "title"],
      );
    }
    expect(doc.findings.filter((f) => f.manual)).toHaveLength(5);
  });

  it("sends zero mutating requests (only GETs and the settings read), with --since on every scenario", async () => {
    for (const scenario of ["clean", "compromised"] as const) {
      sim = await startSimulator({ port: 0, scenario });
      const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
      await run(["--since", since, "--allow-subaccounts", "nobody"]);
      expect(sim.requests().length).toBeGreaterThan(5);
      expect(onlyReads(sim)).toBe(true);
      await sim.close();
      sim = undefined;
    }
  });

  it("reads the secret from stdin with --secret-stdin", async () => {
    sim = await startWith();
    const { VONAGE_API_SECRET: secret, ...env } = simEnv(sim);
    const { code, stdout } = await run(["--json", "--secret-stdin"], env, `${secret}\n`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).v).toBe(1);
  });

  it("rejects bad flags with exit 2 before any request", async () => {
    sim = await startWith();
    for (const argv of [
      ["--fail-on", "critical"],
      ["--since", "yesterday"],
      ["--secret-max-age-days", "0"],
      ["--secret", "abc"],
      ["extra"],
    ]) {
      const { code, stderr } = await run(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(stderr).toMatch(/^error: /);
    }
    expect(sim.requests()).toHaveLength(0);
  });

  it("fails with exit 2 (not the exit 1 of findings) and no secret in the output when the credentials are refused", async () => {
    sim = await startWith();
    const { code, stdout, stderr } = await run(["--json"], {
      ...simEnv(sim),
      VONAGE_API_SECRET: "Wrong5ecretValue",
    });
    expect(code).toBe(2);
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toMatchObject({ kind: "error", exitCode: 2 });
    expect(stderr).toMatch(/Vonage rejected the credentials/);
    expect(stdout + stderr).not.toContain("Wrong5ecretValue");
  });

  it("is listed in --help with verify-callback", async () => {
    const io = captureIo({});
    expect(await main(["--help"], io.io)).toBe(0);
    expect(io.stdout()).toMatch(/^ {2}audit {2,}audit the account's security posture/m);
    expect(io.stdout()).toMatch(/^ {2}verify-callback {2}verify a captured signed callback/m);
  });

  it("names the missing credentials (exit 2)", async () => {
    sim = await startWith();
    const { code, stderr } = await run([], { VONAGE_API_HOST: sim.url, VONAGE_REST_HOST: sim.url });
    expect(code).toBe(2);
    expect(stderr).toContain("VONAGE_API_KEY");
  });
});
