// `--help`, `list` and `validate` start fast because they never load the Vonage SDK, Inquirer or listr2: the
// built CLI runs under a preload (record-loads.mjs) that writes down every module the process loads.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "bin", "vonage-ir.js");
const PRELOAD = join(import.meta.dirname, "record-loads.mjs");
const HEAVY = /\/node_modules\/(@vonage\/|inquirer\/|@inquirer\/|listr2\/)/;
const dir = mkdtempSync(join(tmpdir(), "vonage-ir-lazy-"));
let runs = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The URLs of the modules `node --import record-loads.mjs <args>` loaded. */
function modulesLoadedBy(args: string[]): { status: number | null; loaded: string[] } {
  const file = join(dir, `loads-${runs++}.txt`);
  const result = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: ROOT,
    env: { ...process.env, RECORD_LOADS_FILE: file, CI: "true" },
    encoding: "utf8",
  });
  const loaded = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  return { status: result.status, loaded: [...new Set(loaded)] };
}

describe("lazy imports", () => {
  it("the recorder sees the SDK, Inquirer and listr2 when they are loaded (ES modules and CommonJS)", () => {
    const { status, loaded } = modulesLoadedBy([
      "--input-type=module",
      "-e",
      'await import("@vonage/server-sdk"); await import("inquirer"); await import("listr2");',
    ]);
    expect(status).toBe(0);
    for (const name of ["@vonage/server-sdk", "@vonage/server-client", "inquirer", "listr2"]) {
      expect(
        loaded.some((url) => url.includes(`/node_modules/${name}/`)),
        name,
      ).toBe(true);
    }
  });

  it.each([
    ["--help", ["--help"]],
    ["list", ["list"]],
    ["validate", ["validate", "runbooks/compromise.yaml"]],
  ])("%s loads neither the SDK nor Inquirer nor listr2", (_name, args) => {
    expect(existsSync(join(ROOT, "dist", "bundle", "main.js")), "run `npm run build` first").toBe(true);
    const { status, loaded } = modulesLoadedBy([BIN, ...args]);
    expect(status).toBe(0);
    expect(loaded.some((url) => url.endsWith("/dist/bundle/main.js"))).toBe(true);
    expect(loaded.filter((url) => HEAVY.test(url))).toEqual([]);
  });

  it("the CLI runs from the bundle: zod and yaml are inside it, not loaded file by file", () => {
    const { status, loaded } = modulesLoadedBy([BIN, "validate", "runbooks/compromise.yaml"]);
    expect(status).toBe(0);
    expect(loaded.filter((url) => /\/node_modules\/(zod|yaml)\//.test(url))).toEqual([]);
    // Nor does it fall back to tsc's per-file output.
    expect(loaded.filter((url) => /\/dist\/(?!bundle\/)/.test(url))).toEqual([]);
  });

  it("without dist/bundle (a Node too old for the bundler) the CLI runs from tsc's per-file output", () => {
    // A copy of the package whose dist/ has everything but bundle/ (the rest are links to the real files).
    const root = join(dir, "no-bundle");
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "dist"));
    copyFileSync(BIN, join(root, "bin", "vonage-ir.js"));
    copyFileSync(join(ROOT, "package.json"), join(root, "package.json"));
    for (const entry of ["node_modules", "runbooks"]) symlinkSync(join(ROOT, entry), join(root, entry));
    for (const entry of readdirSync(join(ROOT, "dist")).filter((name) => name !== "bundle")) {
      symlinkSync(join(ROOT, "dist", entry), join(root, "dist", entry));
    }
    const { status, loaded } = modulesLoadedBy([
      join(root, "bin", "vonage-ir.js"),
      "validate",
      "runbooks/compromise.yaml",
    ]);
    expect(status).toBe(0);
    expect(loaded.some((url) => url.endsWith("/dist/cli/main.js"))).toBe(true);
    expect(loaded.filter((url) => url.includes("/dist/bundle/"))).toEqual([]);
    expect(loaded.filter((url) => HEAVY.test(url))).toEqual([]);
  });
});
