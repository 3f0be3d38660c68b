// `secrets.revoke: immediately` (the default) breaks production still using the old secret from the revoke on:
// the plan and the secrets step's confirm say so before anything is revoked, and name the config key that
// defers the revoke (`after-confirmation`).
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedPrompter, type Prompter } from "../../../src/io/prompter.js";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.js";
import {
  compromiseConfig,
  removeTempDirs,
  runMain,
  simEnv,
  tempDir,
  writeConfig,
} from "../../helpers/cli-io.js";

const WARNING =
  /production still using this secret fails until it has the new one .*set `secrets\.revoke: after-confirmation` in the config/;

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await removeTempDirs();
});

/** The scripted prompter, with what it said and asked in one sequence (to tell what came before a question). */
function loggedPrompter(script: ConstructorParameters<typeof ScriptedPrompter>[0]): {
  prompter: Prompter;
  log: string[];
} {
  const inner = new ScriptedPrompter(script);
  const log: string[] = [];
  const prompter: Prompter = {
    select: (q) => (log.push(`? ${q.message}`), inner.select(q)),
    checkbox: (q) => (log.push(`? ${q.message}`), inner.checkbox(q)),
    input: (q) => (log.push(`? ${q.message}`), inner.input(q)),
    confirm: (q) => (log.push(`? ${q.message}`), inner.confirm(q)),
    say: (text) => (log.push(text), inner.say(text)),
    wait: (label, work) => inner.wait(label, work),
  };
  return { prompter, log };
}

describe("secrets.revoke: immediately", () => {
  it("the secrets step's confirm shows, under each revoke, that production fails and the key to defer it", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const dir = await tempDir();
    const config = await writeConfig(dir, compromiseConfig(sim));
    const { prompter, log } = loggedPrompter([
      { match: "secrets.revoke (", answer: "immediately" },
      { match: "applications.strategy", answer: "rekey" },
      { match: "Start:", answer: true },
      { match: "Your name or email", answer: "ops@example.com" },
      { match: 'of "Rotate the API secret(s)"', answer: false },
      { match: 'of "Replace every application', answer: false },
      { match: 'of "Suspend unknown subaccounts"', answer: false },
      ...Array.from({ length: 8 }, () => ({ match: "is it done?", answer: "later" })),
    ]);
    const result = await runMain(["run", "compromise", "--config", config, "--out", join(dir, "runs")], {
      env: simEnv(sim),
      cwd: dir,
      prompter,
    });
    expect(result.code, result.stderr()).toBe(3);
    const question = log.findIndex((line) => line.includes('of "Rotate the API secret(s)"'));
    expect(question).toBeGreaterThan(0);
    const shown = log[question - 1] ?? "";
    expect(shown).toMatch(/- revoke secret .* \(old\)/);
    expect(shown).toMatch(WARNING);
  });

  it("an unattended dry run's plan names the config key under the revoke", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const dir = await tempDir();
    const config = await writeConfig(dir, compromiseConfig(sim));
    const result = await runMain(["run", "compromise", "--config", config, "--dry-run", "--yes"], {
      env: simEnv(sim),
      cwd: dir,
    });
    expect(result.code, result.stderr()).toBe(0);
    expect(result.stderr()).toMatch(WARNING);
  });

  it("with after-confirmation there is no such warning", async () => {
    sim = await startSimulator({ scenario: "compromised" });
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      ...compromiseConfig(sim),
      secrets: { revokeFirst: sim.meta.attackerSecretIds[0], revoke: "after-confirmation" },
    });
    const result = await runMain(["run", "compromise", "--config", config, "--dry-run", "--yes"], {
      env: simEnv(sim),
      cwd: dir,
    });
    expect(result.code, result.stderr()).toBe(0);
    expect(result.stderr()).toMatch(/- revoke secret/);
    expect(result.stderr()).not.toMatch(WARNING);
  });
});
