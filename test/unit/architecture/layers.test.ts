// The layer rules (.dependency-cruiser.mjs, eslint.config.js) bite: a copy of src/ with one violation of each
// rule is refused, naming the rule and the import; the real tree passes. `npm test` runs the same rules over src/
// (`npm run layers`, `npm run lint`); this test proves that a broken rule would be noticed, not just that none is.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, symlink, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ESLint } from "eslint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEPCRUISE = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const run = promisify(execFile);

/** Runs depcruise as `npm run layers` does (its default reporter: the exit code is the number of errors). */
async function cruise(cwd: string): Promise<{ code: number; violations: string[] }> {
  const args = [DEPCRUISE, "src", "--config", ".dependency-cruiser.mjs"];
  const result = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  // "  error layer-core: src/core/errors.ts → src/cli/io.ts" (a circle goes on over the next lines)
  const violations = [...result.stdout.matchAll(/^\s*error ([\w-]+): (\S+) →\s+(\S+)/gm)].map(
    ([, rule, from, to]) => `${rule}: ${from} -> ${to}`,
  );
  return { code: result.code, violations };
}

describe("dependency rules", () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), "vonage-ir-layers-"));
    for (const entry of ["src", "tsconfig.json", ".dependency-cruiser.mjs", "package.json"]) {
      await cp(join(ROOT, entry), join(copy, entry), { recursive: true });
    }
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
    // One violation of each rule.
    await appendFile(join(copy, "src/core/errors.ts"), '\nexport type { CliIo } from "../cli/io.js";\n');
    await appendFile(
      join(copy, "src/actions/report.ts"),
      '\nexport { readJournal } from "../engine/journal.js";\n',
    );
    await appendFile(
      join(copy, "src/cli/execute-run.ts"),
      '\nexport { default as drill } from "./commands/drill.js";\n',
    );
    await writeFile(
      join(copy, "src/io/ping.ts"),
      'import { pong } from "./pong.js";\nexport const ping = () => pong;\n',
    );
    await writeFile(
      join(copy, "src/io/pong.ts"),
      'import { ping } from "./ping.js";\nexport const pong = () => ping;\n',
    );
    await appendFile(join(copy, "src/actions/manual.ts"), '\nexport { Vonage } from "@vonage/server-sdk";\n');
    await appendFile(join(copy, "src/engine/lock.ts"), '\nexport { select } from "inquirer";\n');
    await appendFile(join(copy, "src/simulator/reply.ts"), '\nexport { redact } from "../core/redact.js";\n');
  }, 30_000);
  afterAll(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it("the project's src/ keeps them", async () => {
    const { code, violations } = await cruise(ROOT);
    expect(violations).toEqual([]);
    expect(code).toBe(0);
  }, 60_000);

  it("refuses an upward import, a circle, a command imported outside main.ts, the SDK or Inquirer outside their floor", async () => {
    const { code, violations } = await cruise(copy);
    expect(code).not.toBe(0);
    const found = violations;
    expect(found).toEqual(
      expect.arrayContaining([
        "layer-core: src/core/errors.ts -> src/cli/io.ts",
        "layer-actions: src/actions/report.ts -> src/engine/journal.ts",
        "commands-only-from-main: src/cli/execute-run.ts -> src/cli/commands/drill.ts",
        "layer-simulator: src/simulator/reply.ts -> src/core/redact.ts",
      ]),
    );
    expect(
      found.some((f) =>
        /^sdk-only-in-vonage: src\/actions\/manual\.ts -> \S*node_modules\/@vonage\/server-sdk\//.test(f),
      ),
    ).toBe(true);
    expect(
      found.some((f) =>
        /^ui-libraries-only-in-io: src\/engine\/lock\.ts -> \S*node_modules\/inquirer\//.test(f),
      ),
    ).toBe(true);
  }, 60_000);
});

describe("ESLint's floor rules", () => {
  const eslint = new ESLint({ cwd: ROOT });
  const rulesOf = async (code: string, filePath: string) =>
    (await eslint.lintText(code, { filePath: join(ROOT, filePath) }))[0]!.messages.map((m) => m.ruleId);

  it("process.env and process.exit only in src/cli/", async () => {
    const code = "export const home = process.env.HOME;\nexport const bye = () => process.exit(1);\n";
    expect(await rulesOf(code, "src/engine/scratch.ts")).toEqual([
      "no-restricted-properties",
      "no-restricted-properties",
    ]);
    expect(await rulesOf(code, "src/cli/scratch.ts")).toEqual([]);
  });

  it("no function in src/ over 80 lines, unless a comment above it says why", async () => {
    const body = Array.from({ length: 81 }, (_, i) => `  total += ${i};`).join("\n");
    const long = `export function long(): number {\n  let total = 0;\n${body}\n  return total;\n}\n`;
    expect(await rulesOf(long, "src/actions/scratch.ts")).toEqual(["max-lines-per-function"]);
    const excused = `// eslint-disable-next-line max-lines-per-function -- a flat table, one entry per line\n${long}`;
    expect(await rulesOf(excused, "src/actions/scratch.ts")).toEqual([]);
  });
});
