// Help like the CLIs people like: one line per flag, the exit codes a command uses, `help <command>`,
// did-you-mean for commands, flags and runbook ids, and shell completion generated from the command table.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commands } from "../../../src/cli/main.js";
import { editDistance, nearest } from "../../../src/cli/did-you-mean.js";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

afterEach(removeTempDirs);

describe("help", () => {
  it("each command's --help describes every flag in one line", async () => {
    for (const command of commands) {
      const result = await runMain([command.name, "--help"]);
      expect(result.code).toBe(0);
      for (const [name, spec] of Object.entries(command.options)) {
        const line = result
          .stdout()
          .split("\n")
          .find((l) => l.startsWith(`  --${name}`));
        expect(line, `${command.name} --${name}`).toBeDefined();
        expect(line).toContain(spec.description);
      }
    }
  });

  it("a command's help shows only the exit codes that command uses", async () => {
    const audit = (await runMain(["audit", "--help"])).stdout();
    expect(audit).toMatch(/^ {2}1 +a finding at or above --fail-on/m);
    for (const unused of ["3", "4", "130"]) expect(audit).not.toMatch(new RegExp(`^  ${unused} +`, "m"));
    const run = (await runMain(["run", "--help"])).stdout();
    for (const used of ["0", "1", "2", "3", "4", "130"])
      expect(run).toMatch(new RegExp(`^  ${used} +\\S`, "m"));
  });

  it("`help <command>` prints that command's help; `help` alone the overview", async () => {
    const result = await runMain(["help", "apply"]);
    expect(result.code).toBe(0);
    expect(result.stdout()).toContain("Usage: vonage-ir apply <plan.json>");
    const overview = await runMain(["help"]);
    expect(overview.code).toBe(0);
    expect(overview.stdout()).toContain("Commands:");
  });

  it("`help` with an unknown command suggests the nearest", async () => {
    const result = await runMain(["help", "aply"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("did you mean `apply`?");
  });

  it("the overview lists --version and --help", async () => {
    const help = (await runMain(["--help"])).stdout();
    expect(help).toMatch(/^ {2}--version, -v +print the version/m);
    expect(help).toMatch(/^ {2}--help, -h +/m);
  });
});

describe("did you mean", () => {
  it("an unknown command suggests the nearest", async () => {
    const result = await runMain(["runn", "compromise"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('unknown command "runn": did you mean `run`?');
  });

  it("a single-dash long flag is answered with its double-dash form", async () => {
    const result = await runMain(["run", "compromise", "-dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("unknown option '-dry-run'");
    expect(result.stderr()).toContain("did you mean `--dry-run`?");
  });

  it("a misspelt flag suggests the nearest, with the command's usage", async () => {
    const result = await runMain(["run", "compromise", "--dryrun"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("did you mean `--dry-run`?");
    expect(result.stderr()).toContain("usage: vonage-ir run");
  });

  it("a flag of another command is not accepted, and the suggestion is one of this command's", async () => {
    const result = await runMain(["list", "--save", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("unknown option '--save' for `vonage-ir list`");
    expect(result.stderr()).not.toContain("did you mean `--save`");
  });

  it("grouped short flags still work (-yc FILE is -y -c FILE)", async () => {
    const dir = await tempDir();
    const result = await runMain(["run", "compromise", "-yc", join(dir, "missing.yaml")], {
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).not.toContain("unknown option");
    expect(result.stderr()).toContain("missing.yaml");
  });

  it("an unknown runbook id suggests the nearest shipped runbook", async () => {
    const result = await runMain(["run", "compromize", "--yes"], { env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain('no runbook "compromize": did you mean `compromise`?');
  });

  it("nothing is suggested when nothing is close", () => {
    expect(nearest("frobnicate", ["run", "plan", "apply"])).toBeUndefined();
    expect(nearest("api-secret", ["secret-stdin", "config", "out"])).toBeUndefined();
  });

  it("counts a swapped pair as one edit and accepts a prefix", () => {
    expect(editDistance("rnu", "run")).toBe(1);
    expect(nearest("valid", ["validate", "verify-callback"])).toBe("validate");
    expect(nearest("verify", ["validate", "verify-callback"])).toBe("verify-callback");
  });
});

/** Runs the bash completion function as bash would for the words typed so far; returns the offered words. */
function completeBash(script: string, words: string[], cwd: string): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_vonage_ir
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["-c", program], { cwd, encoding: "utf8" }).split("\n").filter(Boolean);
}

describe("completion", () => {
  it("bash: commands, a command's flags, fixed values, runbook ids and run ids come from the command table", async () => {
    const result = await runMain(["completion", "bash"]);
    expect(result.code).toBe(0);
    const script = result.stdout();
    const dir = await tempDir();
    await mkdir(join(dir, "vonage-ir-runs", "20261201-101010-abcd"), { recursive: true });
    await writeFile(join(dir, "incident.yaml"), "");
    expect(completeBash(script, ["vonage-ir", "dr"], dir)).toEqual(["drill"]);
    expect(completeBash(script, ["vonage-ir", "run", "--dr"], dir)).toEqual(["--dry-run"]);
    expect(completeBash(script, ["vonage-ir", "audit", "--fail-on", ""], dir)).toEqual([
      "high",
      "medium",
      "low",
    ]);
    expect(completeBash(script, ["vonage-ir", "run", "comp"], dir)).toEqual(["compromise"]);
    expect(completeBash(script, ["vonage-ir", "run", "--resume", ""], dir)).toEqual(["20261201-101010-abcd"]);
    expect(completeBash(script, ["vonage-ir", "run", "--config", "inc"], dir)).toEqual(["incident.yaml"]);
    for (const command of commands) {
      const offered = completeBash(script, ["vonage-ir", command.name, "--"], dir);
      expect(offered.sort()).toEqual([...Object.keys(command.options).map((n) => `--${n}`), "--help"].sort());
    }
  });

  it("zsh: a compdef script naming every command and flag (and valid zsh where zsh is installed)", async () => {
    const result = await runMain(["completion", "zsh"]);
    expect(result.code).toBe(0);
    const script = result.stdout();
    expect(script.startsWith("#compdef vonage-ir\n")).toBe(true);
    for (const command of commands) {
      expect(script).toContain(`'${command.name}:`);
      for (const name of Object.keys(command.options)) expect(script).toContain(`--${name}`);
    }
    const zsh = ["/usr/bin/zsh", "/bin/zsh"].find((path) => existsSync(path));
    if (zsh) execFileSync(zsh, ["-n"], { input: script });
  });

  it("an unknown shell exits 2 with the choices", async () => {
    const result = await runMain(["completion", "fish"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("usage: vonage-ir completion bash|zsh");
  });
});

describe("unknown flags never echo their value", () => {
  it("--api-secret=VALUE names the flag only", async () => {
    const result = await runMain(["run", "compromise", "--api-secret=Sup3rSecretValue9"]);
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain("unknown option '--api-secret'");
    expect(result.stderr() + result.stdout()).not.toContain("Sup3rSecretValue9");
  });
});
