// Memory does not grow with the record count: 200,000 records read through the gateway (1,000 a page, the Reports
// API's maximum) and streamed to evidence/traffic/ in a process of its own (bench/traffic-records.mjs, so that its
// peak resident set is this work's alone) stay under 200 MB.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("traffic records at scale", () => {
  it("reads and writes 200,000 records with a peak RSS under 200 MB", async () => {
    if (!existsSync(`${ROOT}dist/actions/traffic-read.js`))
      throw new Error("dist/ is missing: run `npm run build` first");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bench/traffic-records.mjs", "--records", "200000", "--json"],
      { cwd: ROOT, timeout: 170_000 },
    );
    const result = JSON.parse(stdout) as { records: number; written: number; peakRssMb: number };
    expect(result.records).toBe(200_000);
    expect(result.written).toBe(200_000);
    expect(result.peakRssMb).toBeLessThan(200);
  }, 180_000);
});
