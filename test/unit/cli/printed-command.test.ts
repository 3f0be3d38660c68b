// The words of a printed command reach the program unchanged through a POSIX shell, paths resolve from the
// current directory, and the program is named as the operator's shell would find this copy.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN_PATH, printedPath, programWords } from "../../../src/cli/printed-command.js";
import { shellLine } from "../../../src/io/shell-quote.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("printed commands", () => {
  it("shell-quotes every word so that sh reads back the same words", () => {
    const words = ["plain", "ops files/x.yaml", "it's", 'say "hi"', "$HOME", "a;b", "*", "", "-x", "~/runs"];
    const echoed = execFileSync("sh", ["-c", `printf '%s\\n' ${shellLine(words)}`], { encoding: "utf8" });
    expect(echoed.split("\n").slice(0, -1)).toEqual(words);
  });

  it("prints a path relative below the current directory, absolute elsewhere, never as a flag or ~", () => {
    const where = { cwd: "/srv/ir", env: {} };
    expect(printedPath("/srv/ir/ops/vonage-ir.yaml", where)).toBe("ops/vonage-ir.yaml");
    expect(printedPath("runs", where)).toBe("runs");
    expect(printedPath("/etc/vonage-ir.yaml", where)).toBe("/etc/vonage-ir.yaml");
    expect(printedPath("../other/runs", where)).toBe("/srv/other/runs");
    expect(printedPath("-odd", where)).toBe("./-odd");
    expect(printedPath("~x", where)).toBe("./~x");
  });

  it("names the program `vonage-ir` only when the first one on PATH is this copy", async () => {
    const ours = await mkdtemp(join(tmpdir(), "vonage-ir-path-"));
    const other = await mkdtemp(join(tmpdir(), "vonage-ir-path-"));
    dirs.push(ours, other);
    await symlink(BIN_PATH, join(ours, "vonage-ir"));
    await writeFile(join(other, "vonage-ir"), "#!/bin/sh\n", { mode: 0o755 });
    const where = (path: string) => ({ cwd: "/", env: { PATH: path } });
    expect(programWords(where(`/nonexistent${delimiter}${ours}`))).toEqual(["vonage-ir"]);
    expect(programWords(where(`${other}${delimiter}${ours}`))).toEqual(["node", BIN_PATH]);
    expect(programWords({ cwd: "/", env: {} })).toEqual(["node", BIN_PATH]);
  });
});
