// The README's setup puts `vonage-ir` on the PATH (`npm install -g .` from the clone, a link to it), and what the
// installed command prints can be pasted: installed here into a temporary prefix, offline (no registry: the
// clone's own node_modules serve), then run from a directory outside the clone, its printed hint run as printed.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";
import { PACKAGE_ROOT, assertBuilt } from "./helpers/run-cli.js";
import { printedLine, runPrinted } from "./helpers/run-printed.js";

const startE2eRun = e2eRunStarter();
const MANUAL_ONLY = join(PACKAGE_ROOT, "test", "fixtures", "runbooks", "manual-only.yaml");
const cleanups: string[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("installed as the README says", () => {
  it("`npm install -g .` (offline, into a prefix) puts vonage-ir on the PATH; its drill runs and its printed resume hint works", async () => {
    assertBuilt();
    const prefix = await mkdtemp(join(tmpdir(), "vonage-ir-prefix-"));
    cleanups.push(prefix);
    // --ignore-scripts: dist/ is already built (npm run build), and the install must not rebuild the clone.
    await promisify(execFile)(
      "npm",
      ["install", "-g", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "."],
      { cwd: PACKAGE_ROOT, timeout: 170_000 },
    );
    const e = await startE2eRun({ scenario: "clean" });
    const env = { ...e.sim.env(), PATH: `${join(prefix, "bin")}${delimiter}${process.env.PATH ?? ""}` };

    const drill = await runPrinted("vonage-ir drill --out drills", { cwd: e.dir, env, timeoutMs: 120_000 });
    expect(drill.code, drill.stderr).toBe(0);
    expect(drill.stderr).toContain("What a real run would have done:");
    // Its simulator is gone: no command that would load or use the drill's secret is offered.
    expect(drill.stderr).not.toMatch(/VONAGE_API_SECRET|--secret-stdin/);

    const first = await runPrinted(`vonage-ir run ${MANUAL_ONLY} --yes --out runs`, { cwd: e.dir, env });
    expect(first.code, first.stderr).toBe(3);
    const hint = printedLine(first.stderr, "Resume with:");
    // The installed command is what the operator's shell finds: printed by its name, not by a path.
    expect(hint).toMatch(/^vonage-ir run --resume \d{8}-\d{6}-[0-9a-f]{6} --out runs$/);
    const resumed = await runPrinted(hint, { cwd: e.dir, env });
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toContain("Resuming manual-only");
  }, 300_000);
});
