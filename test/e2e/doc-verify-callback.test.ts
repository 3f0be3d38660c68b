// The verify-callback examples of docs/audit-and-callbacks.md work as written: each command of the marked blocks is
// run by bash from the root of the clone (with `vonage-ir` on the PATH, as the README's setup puts it there), and
// its output matches the comment lines under it (`…` stands for a part that varies).
import { execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payloadHash, signCallbackToken } from "../../src/security/index.js";
import { assertBuilt, BIN, PACKAGE_ROOT } from "./helpers/run-cli.js";

const run = promisify(execFile);

interface DocCommand {
  line: string;
  expected: string[];
  exit: number;
}

/** The ```sh block after `<!-- doc-test: NAME -->`: its env lines and its commands with their expected output. */
async function docBlock(name: string): Promise<{ exports: string[]; commands: DocCommand[] }> {
  const doc = await readFile(join(PACKAGE_ROOT, "docs", "audit-and-callbacks.md"), "utf8");
  const at = doc.indexOf(`<!-- doc-test: ${name} -->`);
  expect(at, `marker ${name}`).toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(at))?.[1] ?? "";
  const exports: string[] = [];
  const commands: DocCommand[] = [];
  for (const line of block.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("export ")) exports.push(line);
    else if (line.startsWith("#")) {
      const last = commands.at(-1);
      if (!last) continue;
      const text = line.replace(/^#\s?/, "");
      const exit = /\s+\(exit (\d+)\)$/.exec(text);
      if (exit) last.exit = Number(exit[1]);
      last.expected.push(text.replace(/\s+\(exit \d+\)$/, "").trim());
    } else commands.push({ line, expected: [], exit: 0 });
  }
  return { exports, commands };
}

const pattern = (expected: string) =>
  new RegExp(
    expected
      .split("…")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*"),
  );

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === "object" && address ? address.port : 0;
}

let shim: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  shim = await mkdtemp(join(tmpdir(), "vonage-ir-doc-"));
  await writeFile(join(shim, "vonage-ir"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(join(shim, "vonage-ir"), 0o755);
  env = { PATH: `${shim}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: shim, NO_COLOR: "1" };
});
afterAll(async () => {
  await rm(shim, { recursive: true, force: true });
});

describe("docs/audit-and-callbacks.md", () => {
  it("the verify-callback commands work as written, with the files the repository ships", async () => {
    const { exports, commands } = await docBlock("verify-callback");
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      const script = [...exports, command.line].join("\n");
      const result = await run("bash", ["-c", script], { cwd: PACKAGE_ROOT, env }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect([command.line, result.code, result.stderr]).toEqual([command.line, command.exit, ""]);
      for (const expected of command.expected) expect(result.stdout).toMatch(pattern(expected));
    }
  });

  it("the verify-webhook example starts as written and refuses the shipped (2023) capture", async () => {
    const { commands } = await docBlock("verify-webhook");
    const [start, send] = commands;
    expect(start?.line).toContain("node examples/verify-webhook.mjs");
    expect(send?.line).toMatch(/^curl /);
    // the doc's port may be taken on this machine: the same commands on a free one
    const port = String(await freePort());
    // its own process group, so that the server bash started is stopped with it
    const server = spawn("bash", ["-c", (start?.line ?? "").replace("3000", port)], {
      cwd: PACKAGE_ROOT,
      env,
      detached: true,
    });
    try {
      let out = "";
      server.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      server.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      const listening = pattern((start?.expected[0] ?? "").replace("3000", port));
      for (let i = 0; i < 100 && !listening.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(listening);
      const reply = await run("bash", ["-c", (send?.line ?? "").replace("3000", port)], {
        cwd: PACKAGE_ROOT,
        env,
      });
      for (const expected of send?.expected ?? []) expect(reply.stdout).toMatch(pattern(expected));
      // and a callback signed now is accepted and logged (the same body, a fresh token)
      const body = await readFile(join(PACKAGE_ROOT, "examples", "callback", "body.json"));
      const token = signCallbackToken(
        {
          iat: Math.floor(Date.now() / 1000),
          jti: "doc-test-1",
          iss: "Vonage",
          payload_hash: payloadHash(body),
        },
        "TestSignatureSecret-0123456789ABCDEF",
      );
      const fresh = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body,
      });
      expect(fresh.status).toBe(200);
      expect(out).toContain("accepted callback jti=doc-test-1");
    } finally {
      if (server.pid !== undefined) process.kill(-server.pid, "SIGTERM");
    }
  });
});
