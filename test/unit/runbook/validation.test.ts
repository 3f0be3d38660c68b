// Every kind of malformed runbook or config yields `file:line:column path: message`, exits 2 through the
// CLI and runs nothing; every shipped runbook validates.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRegistry } from "../../../src/actions/registry.js";
import { ValidationError } from "../../../src/core/errors.js";
import { validateConfig } from "../../../src/runbook/config.js";
import { parseRunbook } from "../../../src/runbook/load-runbook.js";
import { parseYamlSource } from "../../../src/runbook/yaml-source.js";
import { offlineEnv, removeTempDirs, runMain, tempDir } from "../../helpers/cli-io.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const FIXTURES = join(ROOT, "test/fixtures/runbooks");
const CONFIGS = join(ROOT, "test/fixtures/configs");

afterEach(removeTempDirs);

async function validate(file: string, config?: string) {
  return runMain(["validate", file, ...(config ? ["--config", config] : [])], { cwd: ROOT });
}

const cases: { fixture: string; behaviour: string; expected: string }[] = [
  {
    fixture: "yaml-syntax.yaml",
    behaviour: "a YAML syntax error is reported at the offending line",
    expected: "8:1 Sequence item without - indicator",
  },
  {
    fixture: "duplicate-yaml-key.yaml",
    behaviour: "a key given twice is reported at its second occurrence",
    expected: "5:1 Map keys must be unique",
  },
  {
    fixture: "unknown-top-level-key.yaml",
    behaviour: "an unknown top-level key is reported at the key",
    expected: '5:1 owner: unknown key "owner"',
  },
  {
    fixture: "wrong-type.yaml",
    behaviour: "a value of the wrong type says what was expected and what was found",
    expected: '9:14 steps[0].confirm: expected boolean, received string "yes"',
  },
  {
    fixture: "missing-title.yaml",
    behaviour: "a missing title is reported as required",
    expected: "1:1 title: required (expected string)",
  },
  {
    fixture: "action-and-manual.yaml",
    behaviour: "a step with both action and manual is reported at the step",
    expected: '9:5 steps[1]: a step needs exactly one of "action" or "manual"',
  },
  {
    fixture: "unknown-action.yaml",
    behaviour: "an unknown action is reported at the action value",
    expected: '8:13 steps[0].action: unknown action "secrets.nuke"',
  },
  {
    fixture: "duplicate-step-ids.yaml",
    behaviour: "a duplicate step id names the step that used it first",
    expected: '12:9 steps[2].id: duplicate step id "preflight" (first used by steps[0])',
  },
  {
    fixture: "bad-with-value.yaml",
    behaviour: "a with value the action's own schema rejects lists the allowed values",
    expected: '16:15 steps[2].with.revoke: expected "immediately" | "after-confirmation"',
  },
  {
    fixture: "with-unknown-input.yaml",
    behaviour: "a with template naming an undeclared input is reported at the value",
    expected: '13:20 steps[0].with.revokeFirst: unknown input "secrets.revokeFirts"',
  },
  {
    fixture: "inline-template.yaml",
    behaviour: "an input template inside other text (never substituted) is reported at the value",
    expected:
      '13:20 steps[0].with.revokeFirst: "${inputs.secrets.revokeFirst}" is substituted only as the whole value of a "with" key',
  },
  {
    fixture: "when-unknown-input.yaml",
    behaviour: "a when condition naming an undeclared input is reported at the input",
    expected: '14:14 steps[0].when.input: unknown input "rotat"',
  },
  {
    fixture: "when-type-mismatch.yaml",
    behaviour: "a when condition comparing an input with a value of another type",
    expected: '15:15 steps[0].when.equals: expected a boolean (input "rotate" is a boolean), received "true"',
  },
  {
    fixture: "unknown-verifier.yaml",
    behaviour: "an unknown verifier names the known ones",
    expected: '10:15 steps[0].manual.verify: unknown verifier "mfa.read-back" (known: autoreload.off)',
  },
  {
    fixture: "enum-default-not-a-value.yaml",
    behaviour: "an enum input whose default is not one of its values is reported at the default",
    expected:
      '9:14 inputs.secrets.revoke.default: expected one of the input\'s values: "immediately" | "after-confirmation"',
  },
  {
    fixture: "enum-choice-not-a-value.yaml",
    behaviour: "an enum input that explains a value it does not have is reported at that choice",
    expected:
      '13:16 inputs.applications.strategy.choices.rebuild: not one of the input\'s values: "rekey" | "recreate"',
  },
  {
    fixture: "bad-evidence-pattern.yaml",
    behaviour: "an evidence pattern that is not a regular expression is reported at the pattern",
    expected: "13:20 steps[0].manual.evidence[0].pattern: not a valid regular expression",
  },
];

describe("vonage-ir validate <malformed runbook>", () => {
  for (const { fixture, behaviour, expected } of cases) {
    it(`${behaviour}: exit 2, file:line:column path: message on stderr, nothing on stdout`, async () => {
      const file = join(FIXTURES, fixture);
      const result = await validate(file);
      expect(result.code).toBe(2);
      expect(result.stderr()).toContain(`error: ${file}:${expected}`);
      expect(result.stdout()).toBe("");
    });
  }

  it("returns the same positioned issues as data from parseRunbook", async () => {
    const file = join(FIXTURES, "bad-with-value.yaml");
    const text = await readFile(file, "utf8");
    let caught: unknown;
    try {
      parseRunbook("runbooks/x.yaml", text, createRegistry());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.issues).toEqual([
      {
        file: "runbooks/x.yaml",
        line: 16,
        column: 15,
        path: "steps[2].with.revoke",
        message: 'expected "immediately" | "after-confirmation"',
      },
    ]);
    expect(error.message).toBe(
      'runbooks/x.yaml:16:15 steps[2].with.revoke: expected "immediately" | "after-confirmation"',
    );
  });

  it("reports every issue of a file, not only the first", () => {
    const text = [
      "id: many",
      "title: Many problems",
      "description: two unknown actions",
      "version: 1",
      "steps:",
      "  - id: a",
      "    title: A",
      "    action: nope.one",
      "  - id: b",
      "    title: B",
      "    action: nope.two",
      "",
    ].join("\n");
    expect(() => parseRunbook("x.yaml", text, createRegistry())).toThrow(
      /x\.yaml:8:13 steps\[0\]\.action: unknown action "nope\.one"[^\n]*\nx\.yaml:11:13 steps\[1\]\.action: unknown action "nope\.two"/,
    );
  });
});

describe("vonage-ir run <malformed runbook>", () => {
  it("exits 2 with the positioned message and creates no run directory", async () => {
    const out = join(await tempDir(), "runs");
    const file = join(FIXTURES, "bad-with-value.yaml");
    const result = await runMain(["run", file, "--yes", "--out", out], { cwd: ROOT, env: offlineEnv });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`${file}:16:15 steps[2].with.revoke:`);
    expect(result.stdout()).toBe("");
    expect(existsSync(out)).toBe(false);
  });
});

describe("shipped runbooks", () => {
  const shipped = readdirSync(join(ROOT, "runbooks")).filter((f) => f.endsWith(".yaml"));

  it("ships at least the compromise runbook", () => {
    expect(shipped).toContain("compromise.yaml");
  });

  for (const file of shipped) {
    it(`${file} validates`, async () => {
      const result = await validate(join(ROOT, "runbooks", file));
      expect(result.stderr()).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout()).toMatch(/^ok: runbooks\/.*\.yaml: runbook \S+ v\S+, \d+ steps\n$/);
    });
  }

  it("the example config attests nothing and sets no example address: a copy never marks a step done", async () => {
    const { parse } = await import("yaml");
    const example = parse(await readFile(join(ROOT, "examples", "compromise.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    for (const key of ["attest", "users", "mfa", "ipAllowlist"]) expect(example, key).not.toHaveProperty(key);
  });

  it("the compromise runbook validates by id, with its example config", async () => {
    const example = join(ROOT, "examples", "compromise.yaml");
    const result = await validate("compromise", existsSync(example) ? example : undefined);
    expect(result.stderr()).toBe("");
    expect(result.code).toBe(0);
  });
});

const configCases: { fixture: string; behaviour: string; expected: string }[] = [
  {
    fixture: "unknown-key.yaml",
    behaviour: "an unknown (nested) key names the runbook's inputs",
    expected:
      '3:3 secrets.revokeFirts: unknown key "secrets.revokeFirts": runbook compromise has no such input',
  },
  {
    fixture: "wrong-input-type.yaml",
    behaviour: "a value of the wrong type for an input",
    expected: '2:28 secrets.rotateSubaccounts: expected boolean, received string "yes"',
  },
  {
    fixture: "bad-attestation-date.yaml",
    behaviour: "an attestation date that is not an ISO-8601 date-time",
    expected: "5:9 attest.users.review.at: expected an ISO-8601 date-time with a zone",
  },
  {
    fixture: "group-given-a-value.yaml",
    behaviour: "a group of inputs given a plain value",
    expected:
      '2:10 secrets: expected a map of secrets.revoke, secrets.revokeFirst, secrets.propagationSeconds, secrets.rotateSubaccounts, received a string (not shown: "secrets" may hold a secret)',
  },
  {
    fixture: "given-twice.yaml",
    behaviour: "an input given both dotted and nested",
    expected: '4:3 secrets.revokeFirst: "secrets.revokeFirst" is given twice (dotted and nested)',
  },
  {
    fixture: "deliver-shell-string.yaml",
    behaviour: "a delivery command given as a shell string, not an argv list",
    expected:
      '4:11 deliver[0].exec: expected array, received string "vault kv put secret/vonage api_secret=-"',
  },
  {
    fixture: "deliver-bad-for.yaml",
    behaviour: "a delivery target for a credential it cannot name",
    expected:
      '5:23 deliver[0].for[1]: one of "api-secret", "subaccount:<api key>", "application:<id or name>"',
  },
  {
    fixture: "deliver-dotenv-same-key.yaml",
    behaviour: "two dotenv targets setting the same key of the same file",
    expected:
      "7:41 deliver[1].dotenv.key: VONAGE_API_SECRET in /srv/app/.env is already set by target app-env: one target per key",
  },
  {
    fixture: "deliver-dotenv-two-credentials.yaml",
    behaviour: "a dotenv target for two credentials (both would be written into its one key)",
    expected:
      "5:10 deliver[0].for: a dotenv target sets one key: give it one credential (another target for another key)",
  },
  {
    fixture: "deliver-dotenv-app-name.yaml",
    behaviour: "a dotenv target naming an application by a name several applications may share",
    expected:
      "5:11 deliver[0].for[0]: a dotenv target names an application by its id: a name may be shared by several applications, all written into one key",
  },
  {
    fixture: "verify-unknown-key.yaml",
    behaviour: "a service check with an unknown key",
    expected: '5:5 verify[0].deadline: unknown key "deadline"',
  },
  {
    fixture: "attest-unknown-step.yaml",
    behaviour: "an attestation for a step the runbook does not have",
    expected: '3:3 attest.users.reveiw: no step "users.reveiw" in runbook compromise',
  },
];

describe("vonage-ir validate compromise --config <malformed config>", () => {
  for (const { fixture, behaviour, expected } of configCases) {
    it(`${behaviour}: exit 2 naming file:line:column path`, async () => {
      const file = join(CONFIGS, fixture);
      const result = await validate("compromise", file);
      expect(result.code).toBe(2);
      expect(result.stderr()).toContain(`error: ${file}:${expected}`);
      expect(result.stdout()).toBe("");
    });
  }

  it("reads API keys and evidence as written: all-digit and exponent-like keys are text, leading zeros stay", () => {
    const runbook = parseRunbook(
      join(ROOT, "runbooks", "compromise.yaml"),
      readFileSync(join(ROOT, "runbooks", "compromise.yaml"), "utf8"),
      createRegistry(),
    ).runbook;
    const text = [
      'compromisedSince: "2026-11-20T08:00:00Z"',
      "secrets:",
      "  revokeFirst: 12e45678",
      "subaccounts:",
      "  allow: [15749124, 0a1b2c3d, 00012345]",
      "attest:",
      '  mfa.verify-contacts: { by: me, at: "2026-11-20T09:00:00Z", note: checked before the run, evidence: { phone: 0123, email: a@b.c, matches: yes } }',
      "",
    ].join("\n");
    const config = validateConfig(parseYamlSource("cfg.yaml", text), runbook);
    expect(config.values["subaccounts.allow"]).toEqual(["15749124", "0a1b2c3d", "00012345"]);
    expect(config.values["secrets.revokeFirst"]).toBe("12e45678");
    expect(config.attest["mfa.verify-contacts"]?.evidence?.phone).toBe("0123");
  });

  it("a group whose keys are all commented out is not an error", async () => {
    const result = await validate("compromise", join(CONFIGS, "empty-group.yaml"));
    expect(result.stderr()).toBe("");
    expect(result.code).toBe(0);
  });

  it("a run with a malformed config exits 2 before anything is run", async () => {
    const out = join(await tempDir(), "runs");
    const file = join(CONFIGS, "wrong-input-type.yaml");
    const result = await runMain(["run", "compromise", "--yes", "--config", file, "--out", out], {
      cwd: ROOT,
      env: offlineEnv,
    });
    expect(result.code).toBe(2);
    expect(result.stderr()).toContain(`${file}:2:28 secrets.rotateSubaccounts:`);
    expect(existsSync(out)).toBe(false);
  });
});
