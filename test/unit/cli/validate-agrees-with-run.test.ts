// `validate` applies every rule `run` applies: for each bad config and runbook of the bad-input corpus, validate,
// `run --dry-run` and an unattended `run` refuse with the same exit code and the same positioned message.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const BAD = join(ROOT, "test/fixtures/bad");
const files = readdirSync(BAD).filter((f) => f.endsWith(".yaml"));

afterEach(removeTempDirs);

// Nothing may reach an API: a config that passed every rule would get as far as the (unreachable) host.
const env = { ...offlineEnv, CI: "true" };

async function verdicts(argsFor: (mode: "validate" | "dry-run" | "run", out: string) => string[]) {
  const out = join(await tempDir(), "runs");
  const results = [];
  for (const mode of ["validate", "dry-run", "run"] as const) {
    const r = await runMain(argsFor(mode, out), { cwd: ROOT, env });
    // The three commands run seconds apart: the clock a date rule quotes is not part of the verdict.
    // A dry run announces itself first; the verdict is the error and its hint.
    const text = (r.stderr() + r.stdout()).trim();
    const error = text.indexOf("error: ");
    const message = (error >= 0 ? text.slice(error) : text).replace(/now is [\dT:Z-]+/g, "now is <now>");
    results.push({ mode, code: r.code, message });
  }
  return results;
}

describe("validate and run agree on every bad file of test/fixtures/bad", () => {
  it("the corpus holds the attestation-date, future compromisedSince and refused-param configs", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "config-attest-future.yaml",
        "config-attest-before-compromise.yaml",
        "config-attest-before-run.yaml",
        "config-compromised-since-future.yaml",
        "config-param-refused.yaml",
      ]),
    );
  });

  for (const file of files.filter((f) => f.startsWith("config-"))) {
    it(`${file}: validate --config, run --dry-run and run --yes give one verdict`, async () => {
      const path = join(BAD, file);
      const [validate, dryRun, run] = await verdicts((mode, out) =>
        mode === "validate"
          ? ["validate", "--config", path]
          : ["run", "--config", path, "--out", out, ...(mode === "dry-run" ? ["--dry-run"] : ["--yes"])],
      );
      expect(validate!.code, validate!.message).toBe(2);
      expect(dryRun).toEqual({ ...validate, mode: "dry-run" });
      expect(run).toEqual({ ...validate, mode: "run" });
    });
  }

  for (const file of files.filter((f) => f.startsWith("runbook-"))) {
    it(`${file}: validate, run --dry-run and run --yes give one verdict`, async () => {
      const path = join(BAD, file);
      const [validate, dryRun, run] = await verdicts((mode, out) =>
        mode === "validate"
          ? ["validate", path]
          : ["run", path, "--out", out, ...(mode === "dry-run" ? ["--dry-run"] : ["--yes"])],
      );
      expect(validate!.code, validate!.message).toBe(2);
      expect(dryRun).toEqual({ ...validate, mode: "dry-run" });
      expect(run).toEqual({ ...validate, mode: "run" });
    });
  }
});
