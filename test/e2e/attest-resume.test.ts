// An unattended run closes its manual steps the way exit 3 says: a person does them, adds the printed `attest:`
// entries to the config, and runs the printed resume command (through a shell, as pasted); a changed input
// on resume is refused by name.
import { execFile } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { e2eRunStarter, type E2eRun } from "./helpers/e2e-run.js";
import { BIN } from "./helpers/run-cli.js";
import { MANUAL_STEP_IDS } from "./helpers/write-config.js";

const start = e2eRunStarter();

/** What the person writes into each evidence field the snippet leaves empty. */
const EVIDENCE: Record<string, string> = {
  removed: "none",
  phone: "0123",
  email: "oncall@example.com",
  matches: "yes",
  users: "all",
  ticket: "E2E-9",
  enabled: "alerts, traffic rules",
};

/** A workspace whose config attests nothing (no `attest:` key at all), auto-reload already off. */
async function unattested(): Promise<E2eRun> {
  const e = await start(
    { scenario: "compromised", deleteAppWithNumbers: "orphan" },
    { attest: Object.fromEntries(MANUAL_STEP_IDS.map((id) => [id, undefined])) },
  );
  const text = await readFile(e.config, "utf8");
  expect(text).toMatch(/^attest: \{\}$/m);
  await writeFile(e.config, text.replace(/^attest: \{\}\n/m, ""));
  await e.sim.setAutoReload(false);
  return e;
}

/** Runs a printed command line through a shell in the workspace, with `vonage-ir` on the PATH as installed. */
async function runPrinted(e: E2eRun, line: string): Promise<{ code: number; stderr: string }> {
  const bin = join(e.dir, "bin");
  await mkdir(bin, { recursive: true });
  await symlink(BIN, join(bin, "vonage-ir")).catch(() => undefined);
  return promisify(execFile)("/bin/sh", ["-c", line], {
    cwd: e.dir,
    env: {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: process.env.HOME ?? e.dir,
      CI: "true",
      NO_COLOR: "1",
      VONAGE_IR_STATE_DIR: join(e.dir, ".vonage-ir-state"),
      ...e.sim.env(),
    },
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe.concurrent("exit 3, attest in the config, resume", () => {
  it("the printed attest: snippet and resume command, used as printed, finish the run (exit 0)", async () => {
    const e = await unattested();
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const lines = first.stderr.split("\n");
    const from = lines.findIndex((l) => l === "attest:");
    const to = lines.findIndex((l, i) => i > from && l.startsWith("then resume"));
    // Pasted unedited, the snippet attests nothing: the config refuses it (who did it is left for a person).
    await writeFile(e.config, `${await readFile(e.config, "utf8")}${lines.slice(from, to).join("\n")}\n`);
    const unedited = await e.cli(["validate", "--config", e.config]);
    expect(unedited.code).toBe(2);
    expect(unedited.stderr).toMatch(/vonage-ir\.yaml:\d+:\d+ attest\.users\.review\.by: who did the step/);
    await writeFile(e.config, (await readFile(e.config, "utf8")).replace(/^attest:\n[^]*$/m, ""));
    expect(from).toBeGreaterThan(0);
    // The config as the operator passed it, relative to where they are.
    expect(lines[from - 1]).toMatch(/add to vonage-ir\.yaml:$/);
    const snippet = lines.slice(from, to);
    // Every manual step is pending (none was attested): each is in the snippet, with its evidence keys.
    const stepIds = snippet.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/:$/, ""));
    expect(stepIds.sort()).toEqual(MANUAL_STEP_IDS.filter((id) => id !== "autoreload").sort());
    const filled = snippet.map((l) =>
      l
        .replace(/^( {4}by: )""/, "$1oncall@example.com")
        .replace(/^( {6})(\w+): ""/, (_m, indent: string, field: string) => {
          const value = EVIDENCE[field];
          if (value === undefined) throw new Error(`no test value for evidence field ${field}`);
          return `${indent}${field}: "${value}"`;
        }),
    );
    await writeFile(e.config, `${await readFile(e.config, "utf8")}${filled.join("\n")}\n`);

    const resumeLine = /^Resume with: (.+)$/m.exec(first.stderr)?.[1];
    expect(resumeLine).toBeDefined();
    const resumed = await runPrinted(e, resumeLine!);
    expect(resumed.code, resumed.stderr).toBe(0);
    const [runId] = await e.runIds();
    const report = await readFile(join(e.runDir(runId!), "report.md"), "utf8");
    expect(report).toContain("attested by oncall@example.com");
    expect(report).not.toContain("attested before the run");
  });

  it("a resume whose config changed an input is refused, naming the key (exit 2)", async () => {
    const e = await unattested();
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const [runId] = await e.runIds();
    const text = await readFile(e.config, "utf8");
    await writeFile(
      e.config,
      text.replace(/^mfa\.expectedEmail: .*$/m, "mfa.expectedEmail: mallory@example.net"),
    );
    expect(await readFile(e.config, "utf8")).toContain("mallory@example.net");
    const resumed = await e.resume(runId!);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`input mfa.expectedEmail (changed) in ${e.config} differ`);
  });
});
