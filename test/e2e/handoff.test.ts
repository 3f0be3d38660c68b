// Hand-off: a run killed mid-way on one machine is exported to the next responder's age key, imported into another
// out directory under another HOME (the identity on stdin), and resumed there, as printed, to exit 0. The file
// holds no plaintext secret or key line, a wrong identity cannot open it, and the old copy refuses to resume.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shellLine } from "../../src/io/shell-quote.js";
import { e2eRunStarter } from "./helpers/e2e-run.js";
import { printedLine, runPrinted } from "./helpers/run-printed.js";
import { PACKAGE_ROOT, runCli, runIds } from "./helpers/run-cli.js";
import { allSecrets, filesUnder, needlesOf, scanForSecrets, sinkValues } from "./helpers/scan-for-secrets.js";

const start = e2eRunStarter();

/** A compromise run killed at the subaccount suspension: secrets rotated and keys replaced, the rest to do. */
async function killedAtSuspension() {
  const e = await start({ scenario: "compromised" });
  await e.sim.setAutoReload(false);
  const killed = await e.run([], {
    kill: { sim: e.sim, when: (_n, r) => r.method === "PATCH" && r.path.includes("/subaccounts/") },
  });
  expect(killed.killed, killed.stderr).toBe(true);
  const [runId = ""] = await e.runIds();
  return { e, runId };
}
const FAILING = join(PACKAGE_ROOT, "test", "fixtures", "deliver", "failing-target.mjs");
const CHECK = join(PACKAGE_ROOT, "test", "fixtures", "deliver", "service-check.mjs");

describe("hand-off", () => {
  it("export → import under another HOME → resume to exit 0; the old copy refuses; a wrong key cannot open it", async () => {
    const { e, runId } = await killedAtSuspension();
    const sink = join(e.runDir(runId), "secrets");

    const home = join(e.dir, "second-home");
    const keyFile = join(e.dir, "next-responder.key");
    const keygen = await e.cli(["keygen", "--to", keyFile]);
    expect(keygen.code, keygen.stderr).toBe(0);
    const recipient = keygen.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const file = join(e.dir, "handoff.age");
    const exported = await e.cli([
      "export",
      runId,
      "--to",
      file,
      "--recipient",
      recipient,
      "--out",
      e.out,
      "--operator",
      "Alice",
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const sealed = await readFile(file);
    expect(sealed.toString("utf8")).toMatch(
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/,
    );

    // no plaintext secret: every sink value and key line, every secret the account held, in every encoding
    const sinkFiles = await sinkValues(sink);
    expect(sinkFiles.map((f) => f.name)).toEqual(
      expect.arrayContaining([`api-secret-${e.sim.primary.apiKey}`]),
    );
    const needles = sinkFiles.flatMap((f) => needlesOf(f.value));
    expect(needles.length).toBeGreaterThan(5);
    const secrets = await allSecrets([e.sim.initialState, e.sim.dumpState()], [sink], e.sim.adminToken);
    expect(await scanForSecrets([file], [], secrets)).toEqual([]);
    for (const needle of needles) expect(sealed.includes(needle)).toBe(false);

    // the old machine: the run is handed off, its resume refused naming to whom and the file
    const old = await e.resume(runId);
    expect(old.code, old.stderr).toBe(4);
    expect(old.stderr).toContain(`run ${runId} was handed off`);
    expect(old.stderr).toContain(recipient);
    expect(old.stderr).toContain(file);
    const again = await e.cli([
      "export",
      runId,
      "--to",
      join(e.dir, "again.age"),
      "--recipient",
      recipient,
      "--out",
      e.out,
    ]);
    expect(again.code).toBe(4);

    // a wrong identity opens nothing and imports nothing
    const otherKey = join(e.dir, "someone-else.key");
    expect((await e.cli(["keygen", "--to", otherKey])).code).toBe(0);
    const secondEnv = { ...e.sim.env(), HOME: home, VONAGE_IR_STATE_DIR: join(home, "state") };
    await mkdir(home, { recursive: true, mode: 0o700 });
    const wrong = await runCli(["import", file, "--identity", otherKey, "--out", "runs"], {
      cwd: home,
      env: secondEnv,
    });
    e.results.push(wrong);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("is not encrypted to this identity");
    expect(await runIds(join(home, "runs"))).toEqual([]);

    // the key itself as the flag's value is refused, and not echoed
    const identity =
      (await readFile(otherKey, "utf8")).split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "";
    const inArgv = await runCli(["import", file, "--identity", identity, "--out", "runs"], {
      cwd: home,
      env: secondEnv,
    });
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain("never the key itself");
    expect(inArgv.stderr + inArgv.stdout).not.toContain(identity);

    // the next responder: another HOME and out directory, the identity piped on stdin
    const imported = await runCli(["import", file, "--out", "runs"], {
      cwd: home,
      env: { ...secondEnv, VONAGE_IR_OPERATOR: "Bob" },
      stdin: await readFile(keyFile, "utf8"),
    });
    e.results.push(imported);
    expect(imported.code, imported.stderr).toBe(0);
    const newDir = join(home, "runs", runId);
    expect((await stat(newDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(newDir, "secrets"))).mode & 0o777).toBe(0o700);
    for (const path of await filesUnder(newDir)) expect((await stat(path)).mode & 0o077).toBe(0);
    for (const f of await sinkValues(join(newDir, "secrets")))
      expect((await stat(join(newDir, "secrets", f.name))).mode & 0o777).toBe(0o600);
    const twice = await runCli(["import", file, "--out", "runs"], {
      cwd: home,
      env: secondEnv,
      stdin: await readFile(keyFile, "utf8"),
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("refusing to overwrite it");

    // as on another machine, the config path the journal names is not there: a resume names the carried copy
    await rename(e.config, `${e.config}.elsewhere`);
    const noConfig = await runCli(["run", "--resume", runId, "--out", "runs"], { cwd: home, env: secondEnv });
    expect(noConfig.code).toBe(2);
    expect(printedLine(noConfig.stderr, "resume with:")).toBe(printedLine(imported.stderr, "resume with:"));

    const resumed = await runPrinted(printedLine(imported.stderr, "resume with:"), {
      cwd: home,
      env: secondEnv,
    });
    e.results.push(resumed);
    expect(resumed.code, resumed.stderr).toBe(0);
    // the trail: the old copy ends with the hand-off, the new one records the import, then the resume's work
    const oldRecords = (await readFile(join(e.runDir(runId), "journal.jsonl"), "utf8")).trim().split("\n");
    // each record of the hand-off carries who did it (issue 18: an actor on every record)
    expect(JSON.parse(oldRecords.at(-1) ?? "{}")).toMatchObject({
      t: "handoff",
      to: recipient,
      file,
      actor: { user: expect.any(String), host: expect.any(String), operator: "Alice" },
    });
    const newRecords = (await readFile(join(newDir, "journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { t: string });
    const kinds = newRecords.map((r) => r.t);
    expect(kinds.slice(0, oldRecords.length)).toEqual(
      oldRecords
        .map((l) => (JSON.parse(l) as { t: string }).t)
        .slice(0, -1)
        .concat("imported"),
    );
    expect(newRecords.find((r) => r.t === "imported")).toMatchObject({
      actor: { user: expect.any(String), host: expect.any(String), operator: "Bob" },
    });
    expect(kinds).toContain("resume");
    expect(newRecords.at(-1)).toMatchObject({ t: "end", status: "done", exitCode: 0 });
    const state = await e.sim.fetchState();
    expect(
      state.subaccounts.filter(
        (s) => !e.sim.meta.legitimateSubaccountKeys.includes(s.apiKey) && !s.suspended,
      ),
    ).toEqual([]);
    expect(await e.scan()).toEqual([]);
  });

  it("refuses to export a journal whose hash chain is broken (exit 2, the line) unless accepted, then journals it", async () => {
    const { e, runId } = await killedAtSuspension();
    const journal = join(e.runDir(runId), "journal.jsonl");
    // one edited byte on line 3
    const lines = (await readFile(journal, "utf8")).split("\n");
    lines[2] = (lines[2] ?? "").replace('"ts":"2', '"ts":"1');
    await writeFile(journal, lines.join("\n"));
    const keyFile = join(e.dir, "next-responder.key");
    expect((await e.cli(["keygen", "--to", keyFile])).code).toBe(0);
    const recipient = (await e.cli(["keygen", "--to", join(e.dir, "other.key")])).stdout.trim();
    const file = join(e.dir, "handoff.age");
    const argv = ["export", runId, "--to", file, "--recipient", recipient, "--out", e.out];
    const refused = await e.cli(argv);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`${journal}:3:1`);
    expect(refused.stderr).toContain("--accept-broken-journal");
    await expect(stat(file)).rejects.toThrow();
    const accepted = await e.cli([...argv, "--accept-broken-journal"]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toContain("broken at line 3 (--accept-broken-journal)");
    const last = JSON.parse((await readFile(journal, "utf8")).trim().split("\n").at(-1) ?? "{}") as object;
    expect(last).toMatchObject({ t: "handoff", acceptedBrokenJournal: { line: 3 } });
  });

  it("import lists the deliveries and service checks still to run here, and prints a credentials line that runs as printed", async () => {
    const flag = join(tmpdir(), `vonage-ir-handoff-never-${String(process.pid)}-${String(Date.now())}`);
    const e = await start(
      { scenario: "compromised" },
      {
        settings: {
          deliver: [
            {
              name: "store",
              exec: [process.execPath, FAILING, flag],
              for: ["api-secret"],
              retries: 0,
            },
          ],
          verify: [{ name: "health", run: [process.execPath, CHECK, flag], deadlineSeconds: 1 }],
        },
      },
    );
    await e.sim.setAutoReload(false);
    // The target fails: the delivery, the check and the revoke are left for the next responder.
    const first = await e.run();
    expect(first.code, first.stderr).toBe(3);
    const [runId = ""] = await e.runIds();
    const keyFile = join(e.dir, "next.key");
    const keygen = await e.cli(["keygen", "--to", keyFile]);
    expect(keygen.code, keygen.stderr).toBe(0);
    const file = join(e.dir, "handoff.age");
    const exported = await e.cli([
      "export",
      runId,
      "--to",
      file,
      "--recipient",
      keygen.stdout.trim(),
      "--out",
      e.out,
    ]);
    expect(exported.code, exported.stderr).toBe(0);

    const home = join(e.dir, "second-home");
    await mkdir(home, { recursive: true, mode: 0o700 });
    const env = { ...e.sim.env(), HOME: home, VONAGE_IR_STATE_DIR: join(home, "state") };
    const imported = await runCli(["import", file, "--identity", keyFile, "--out", "runs"], {
      cwd: home,
      env,
    });
    e.results.push(imported);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain("Still to run, on this machine when you resume");
    expect(imported.stderr).toContain(
      `  deliver api-secret of ${e.sim.primary.apiKey} to exec:store: runs ${shellLine([process.execPath, FAILING, flag])} (the value on its stdin)`,
    );
    expect(imported.stderr).toContain(
      `  service check health: runs ${shellLine([process.execPath, CHECK, flag])} (must exit 0)`,
    );

    // The credentials line runs as printed: the key and the run's new secret land in the environment.
    const line = printedLine(imported.stderr, "load the credentials without printing the secret:");
    const loaded = await runPrinted(
      `${line} && printf '%s ' "$VONAGE_API_KEY" && printf %s "$VONAGE_API_SECRET" | sha256sum`,
      { cwd: home, env: { PATH: process.env.PATH ?? "" } },
    );
    expect(loaded.code, loaded.stderr).toBe(0);
    const sink = await readFile(
      join(home, "runs", runId, "secrets", `api-secret-${e.sim.primary.apiKey}`),
      "utf8",
    );
    const digest = createHash("sha256").update(sink.trim()).digest("hex");
    expect(loaded.stdout.trim()).toBe(`${e.sim.primary.apiKey} ${digest}  -`);
    expect(await e.scan()).toEqual([]);
  });
});
