// The trail a second responder can trust (issue 18, items 1 and 2): every record says who wrote it, each is
// chained to the one before by its sha256, `verify-journal` names the first line an edit, a removal, a swap or a
// cut tail breaks (a crash's torn last line is not a break), and a resume refuses a broken chain unless told.
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GENESIS, lineHash } from "../../../src/engine/journal-chain.js";
import { readJournal } from "../../../src/engine/journal.js";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

const FIXTURE = resolve(import.meta.dirname, "../../fixtures/runbooks/manual-only.yaml");

afterEach(removeTempDirs);

interface Run {
  dir: string;
  out: string;
  runId: string;
  journal: string;
}

/** The manual-only runbook run unattended: it ends with exit 3 (two steps need a person), resumable. */
async function pendingRun(env: Record<string, string> = {}, argv: string[] = []): Promise<Run> {
  const dir = await tempDir();
  const runbook = join(dir, "manual-only.yaml");
  await copyFile(FIXTURE, runbook);
  const out = join(dir, "runs");
  const result = await runMain(["run", runbook, "--yes", "--out", out, ...argv], {
    cwd: dir,
    env: { ...offlineEnv, ...env },
  });
  expect(result.code, result.stderr()).toBe(3);
  const [runId = ""] = (await readdir(out)).filter((name) => /^\d{8}-/.test(name));
  return { dir, out, runId, journal: join(out, runId, "journal.jsonl") };
}

async function lines(run: Run): Promise<string[]> {
  return (await readFile(run.journal, "utf8")).split("\n").slice(0, -1);
}

async function rewrite(run: Run, edit: (lines: string[]) => string[], tail = "\n"): Promise<void> {
  const edited = edit(await lines(run));
  await writeFile(run.journal, edited.length ? `${edited.join("\n")}${tail}` : "");
}

function verify(run: Run, ...extra: string[]) {
  return runMain(["verify-journal", run.runId, "--out", run.out, ...extra], { cwd: run.dir });
}

describe("the actor", () => {
  it("is on every record: the OS user, the host and the operator's name from --operator", async () => {
    const run = await pendingRun({}, ["--operator", "Alice Oncall"]);
    const records = (await lines(run)).map((line) => JSON.parse(line) as { actor?: unknown });
    expect(records.length).toBeGreaterThan(5);
    for (const record of records) {
      expect(record.actor).toEqual({ user: userInfo().username, host: hostname(), operator: "Alice Oncall" });
    }
    const report = await readFile(join(run.out, run.runId, "report.md"), "utf8");
    expect(report).toMatch(/run started for account abcd1234 \(by Alice Oncall \(\S+@\S+\)\)/);
  });

  it("takes the name from VONAGE_IR_OPERATOR, and without one records the user and host alone", async () => {
    const named = await pendingRun({ VONAGE_IR_OPERATOR: "bob@example.com" });
    const [first] = await lines(named);
    expect(JSON.parse(first ?? "{}")).toMatchObject({ actor: { operator: "bob@example.com" } });
    const anonymous = await pendingRun();
    for (const line of await lines(anonymous)) {
      expect(JSON.parse(line)).toMatchObject({ actor: { user: userInfo().username, host: hostname() } });
      expect(JSON.parse(line)).not.toHaveProperty("actor.operator");
    }
  });
});

describe("the hash chain", () => {
  it("starts at the genesis hash and chains each record to the sha256 of the line before it", async () => {
    const run = await pendingRun();
    const all = await lines(run);
    const prevs = all.map((line) => (JSON.parse(line) as { prev: string }).prev);
    expect(prevs[0]).toBe(GENESIS);
    for (let i = 1; i < all.length; i++) expect(prevs[i]).toBe(lineHash(Buffer.from(`${all[i - 1]}\n`)));
    const header = JSON.parse(all[0] ?? "{}") as Record<string, unknown>;
    expect(header.tool).toEqual({ name: "vonage-ir", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(header.runbook).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(header.configHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("verify-journal exits 0 on a clean run, with the final hash the report's footer gives", async () => {
    const run = await pendingRun();
    const result = await verify(run);
    expect(result.code, result.stdout()).toBe(0);
    const final = lineHash(Buffer.from(`${(await lines(run)).at(-1)}\n`));
    expect(result.stdout()).toContain(`intact: ${(await lines(run)).length} records`);
    expect(result.stdout()).toContain(final);
    const report = await readFile(join(run.out, run.runId, "report.md"), "utf8");
    expect(report).toContain(`sha256 of the last: \`${final}\``);
    expect((await verify(run, "--expect", final)).code).toBe(0);
    const latest = await runMain(["verify-journal", "latest", "--out", run.out], { cwd: run.dir });
    expect(latest.code).toBe(0);
    expect(latest.stderr()).toContain(`verify-journal latest: run ${run.runId}`);
    const json = await verify(run, "--json");
    expect(JSON.parse(json.stdout())).toMatchObject({ ok: true, finalHash: final, legacyLines: 0 });
  });

  it("names the edited line when one byte of it changed", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) => all.map((line, i) => (i === 3 ? line.replace('"ts":"2', '"ts":"1') : line)));
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toContain("line 4: line 4 was changed after it was written");
  });

  it("names the line where a record was removed", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) => all.filter((_, i) => i !== 4));
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toMatch(
      /line 5: line 5 \(seq 6\) does not follow line 4 \(seq 4\): a line was removed/,
    );
  });

  it("names the first line of a swapped pair", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) => {
      const swapped = [...all];
      [swapped[3], swapped[4]] = [all[4] ?? "", all[3] ?? ""];
      return swapped;
    });
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toMatch(/^journal of run \S+: line 4: /);
    expect(result.stdout()).toContain("removed, inserted or moved here");
  });

  it("finds whole records cut off the tail (the report pinned them), which no crash explains", async () => {
    const run = await pendingRun();
    const before = (await lines(run)).length;
    const pinnedHash = lineHash(Buffer.from(`${(await lines(run)).at(-1)}\n`));
    await rewrite(run, (all) => all.slice(0, -2));
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toContain(
      `line ${before - 1}: the journal ends at line ${before - 2}, but the run's report.json pinned ${before} records`,
    );
    // Rebuilding the report beside the journal hides the cut from it; a copy of the report (its hash) does not.
    const rebuilt = await runMain(["report", run.runId, "--out", run.out], { cwd: run.dir });
    expect(rebuilt.code).toBe(0);
    expect((await verify(run)).code).toBe(0);
    const copied = await verify(run, "--expect", pinnedHash);
    expect(copied.code).toBe(1);
    expect(copied.stdout()).toContain(`no line of the journal has the sha256 ${pinnedHash}`);
  });

  it("ignores a crash's torn last line (no newline), and says so", async () => {
    const run = await pendingRun();
    const torn = '{"t":"resume","mode":"non-interact';
    await writeFile(run.journal, `${await readFile(run.journal, "utf8")}${torn}`);
    const result = await verify(run);
    expect(result.code, result.stdout()).toBe(0);
    expect(result.stdout()).toContain(
      `${torn.length} byte(s) after the last newline are a record torn by a crash`,
    );
  });

  it("reads a journal written before the chain (reports and resumes work) but cannot call it intact", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) =>
      all.map((line) => {
        const {
          prev: _prev,
          actor: _actor,
          tool: _tool,
          ...old
        } = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify(old);
      }),
    );
    await writeFile(join(run.out, run.runId, "report.json"), "{}");
    expect((await readJournal(run.journal)).records.length).toBeGreaterThan(5);
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toMatch(
      /lines 1-\d+ carry no chain hash \(written by a version before the hash chain\)/,
    );
    const resumed = await runMain(["run", "--resume", run.runId, "--yes", "--out", run.out], {
      cwd: run.dir,
      env: offlineEnv,
    });
    expect(resumed.code, resumed.stderr()).toBe(3);
  });

  it("refuses a header that names the tool but lost its chain hash: a chained journal made to look old", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) =>
      all.map((line) => {
        const { prev: _prev, ...rest } = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify(rest);
      }),
    );
    const result = await verify(run);
    expect(result.code).toBe(1);
    expect(result.stdout()).toContain("line 1: no chain hash");
  });
});

describe("a resume", () => {
  it("refuses a broken chain with exit 2 naming the line, and goes on with --accept-broken-journal (journaled)", async () => {
    const run = await pendingRun();
    await rewrite(run, (all) => all.map((line, i) => (i === 2 ? line.replace('"ts":"2', '"ts":"1') : line)));
    const argv = ["run", "--resume", run.runId, "--yes", "--out", run.out];
    const refused = await runMain(argv, { cwd: run.dir, env: offlineEnv });
    expect(refused.code).toBe(2);
    expect(refused.stderr()).toContain(`${run.journal}:3:1`);
    expect(refused.stderr()).toContain("--accept-broken-journal");
    const accepted = await runMain([...argv, "--accept-broken-journal", "--operator", "Carol"], {
      cwd: run.dir,
      env: offlineEnv,
    });
    expect(accepted.code, accepted.stderr()).toBe(3);
    expect(accepted.stderr()).toContain("broken at line 3 (--accept-broken-journal)");
    const resume = (await readJournal(run.journal)).records.find((r) => r.t === "resume");
    expect(resume).toMatchObject({
      acceptedBrokenJournal: { line: 3 },
      actor: { operator: "Carol" },
    });
    // Still broken where it was: accepting it does not make it intact.
    expect((await verify(run)).stdout()).toContain("line 3:");
  });

  it("of an intact journal goes on and keeps the chain whole", async () => {
    const run = await pendingRun();
    const resumed = await runMain(["run", "--resume", run.runId, "--yes", "--out", run.out], {
      cwd: run.dir,
      env: { ...offlineEnv, VONAGE_IR_OPERATOR: "Dave" },
    });
    expect(resumed.code).toBe(3);
    expect((await verify(run)).code).toBe(0);
  });
});
