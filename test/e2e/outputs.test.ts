// What reaches outputs, end to end: whatever DEBUG says, no library debug channel prints a secret; a webhook
// URL's password is redacted everywhere but kept on the replacement and in the sink; an escape sequence in an
// application's name reaches no output. (Every e2e scenario runs with DEBUG=* and this hostile data.)
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { userinfoPasswords } from "./helpers/scan-for-secrets.js";
import { webhookReceiver } from "../helpers/webhook-receiver.js";
import { readJournal } from "../../src/engine/journal.js";

const startRun = e2eRunStarter();

async function start(config: Parameters<typeof startRun>[1] = {}): Promise<E2eRun> {
  const e = await startRun({ scenario: "compromised" }, config);
  await e.sim.setAutoReload(false);
  return e;
}

describe.concurrent("outputs", () => {
  it.each(["v*", "*,-foo", "@vonage/*,vetch*"])(
    "DEBUG=%s: a full run prints no secret, no base64(key:secret), and says DEBUG is ignored",
    async (debug) => {
      const e = await start();
      const result = await e.run([], { env: { DEBUG: debug } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain("warning: DEBUG is ignored");
      expect(await e.scan()).toEqual([]);
    },
  );

  it("delivery targets and a service check that echo what they get: no secret in any output, --json events, journal or report", async () => {
    // Each target prints the value it receives on stdout and stderr, plain and base64: a careless store CLI.
    const echo = `let v="";process.stdin.on("data",(d)=>v+=d).on("end",()=>{process.stdout.write("got "+v+"\\n");process.stderr.write("b64 "+Buffer.from(v).toString("base64")+" raw "+v+"\\n")})`;
    const target = (name: string, selector: string) => ({
      name,
      exec: [process.execPath, "-e", echo],
      for: [selector],
    });
    const e = await start({
      settings: {
        deliver: [target("secret-echo", "api-secret"), target("key-echo", "application:shop-voice")],
        verify: [
          { name: "health", run: [process.execPath, "-e", "console.log('ok');console.error('fine')"] },
        ],
      },
    });
    const result = await e.run(["--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('"kind":"info"');
    expect(result.stdout).toContain("got [redacted]");
    const [runId] = await e.runIds();
    const newSecret = (
      await readFile(join(e.runDir(runId ?? ""), "secrets", `api-secret-${e.sim.primary.apiKey}`), "utf8")
    ).trim();
    const b64 = Buffer.from(newSecret).toString("base64").replace(/=+$/, "");
    expect(result.stdout + result.stderr).not.toContain(b64);
    expect(result.stdout).toContain("deliver application-key of");
    expect(await e.scan()).toEqual([]);
  });

  it("NODE_DEBUG (read by Node before any of our code): refused with exit 2, nothing sent, no secret printed", async () => {
    const e = await start();
    const before = e.sim.requestCount();
    const result = await e.cli(["audit"], { env: { NODE_DEBUG: "http,fetch" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("NODE_DEBUG is set");
    expect(e.sim.requestCount()).toBe(before);
    expect(await e.scan()).toEqual([]);
  });

  it("a webhook URL's password: redacted in evidence and report, the original in the sink (0600), kept on the replacement", async () => {
    // recreate: its plan and report show the replacement's configuration, webhooks included
    const e = await start({ values: { "applications.strategy": "recreate" } });
    const [password] = userinfoPasswords(e.sim.initialState);
    expect(password).toBeDefined();
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const [runId] = await e.runIds();
    const runDir = e.runDir(runId ?? "");
    const evidence = await readFile(join(runDir, "evidence", "applications.json"), "utf8");
    expect(evidence).toContain("ops-hook:[redacted]@");
    const manifest = JSON.parse(await readFile(join(runDir, "evidence", "manifest.json"), "utf8")) as {
      redacted?: { why: string; originals: Record<string, { sink: string; sha256: string }> };
    };
    const original = manifest.redacted?.originals["applications.json"];
    expect(original?.sink).toMatch(/secrets\/evidence-[0-9a-f]{12}-applications\.json$/);
    expect(manifest.redacted?.why).toMatch(/0600/);
    expect(((await stat(original?.sink ?? "")).mode & 0o777).toString(8)).toBe("600");
    expect(await readFile(original?.sink ?? "", "utf8")).toContain(`ops-hook:${password ?? ""}@`);
    expect(await readFile(join(runDir, "report.md"), "utf8")).toContain("ops-hook:[redacted]@");
    // the replacement application still authenticates to the operator's webhook
    const state = await e.sim.fetchState();
    expect(JSON.stringify(state.applications)).toContain(`ops-hook:${password ?? ""}@`);
    expect(await e.scan()).toEqual([]);
  });

  it("notifications: a full run posts its events, no body holds a secret, the URL is never printed, every record has an actor", async () => {
    const e = await start();
    const token = "T0KEN-6f1e0c9d2b7a";
    const hook = await webhookReceiver(`/services/${token}`);
    try {
      const result = await e.run(["--operator", "Alice Oncall"], { env: { VONAGE_IR_NOTIFY_URL: hook.url } });
      expect(result.code, result.stderr).toBe(0);
      const events = hook.bodies.map((b) => b.event);
      expect(events[0]).toBe("run.started");
      expect(events.at(-1)).toBe("run.finished");
      expect(events.filter((event) => event === "step.finished").length).toBeGreaterThan(5);
      expect(await e.scan(hook.raw)).toEqual([]);
      const [runId] = await e.runIds();
      const runDir = e.runDir(runId ?? "");
      const files = await Promise.all(
        ["journal.jsonl", "report.md", "report.json"].map((f) => readFile(join(runDir, f), "utf8")),
      );
      for (const text of [result.stdout, result.stderr, ...files]) expect(text).not.toContain(token);
      const { records } = await readJournal(join(runDir, "journal.jsonl"));
      for (const record of records) expect(record.actor).toMatchObject({ operator: "Alice Oncall" });
      expect((await e.cli(["verify-journal", runId ?? "", "--out", e.out])).code).toBe(0);
    } finally {
      await hook.close();
    }
  });

  it("an application named with an escape sequence is shown without it, in the plan and the report", async () => {
    const e = await start();
    const dry = await e.run(["--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(`${dry.stdout}${dry.stderr}`).toContain('"support-messages": new key pair in place');
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    expect(await e.scan()).toEqual([]);
  });
});
