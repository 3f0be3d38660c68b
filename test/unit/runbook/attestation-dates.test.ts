// The dates a config states: an attestation dated in the future is refused; one dated before the compromise or
// before the run (its first start, for a resume) is refused unless a note says why, and then carries the
// "attested before the run" label; a date-time input in the future is refused; a bare date is 00:00 UTC.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createRegistry } from "../../../src/actions/registry.js";
import { parseAuditArgs } from "../../../src/cli/commands/audit.js";
import { ValidationError } from "../../../src/core/errors.js";
import { validateConfig, type ConfigTime } from "../../../src/runbook/config.js";
import { parseRunbook } from "../../../src/runbook/load-runbook.js";
import { parseInstant } from "../../../src/runbook/parse-instant.js";
import { parseYamlSource } from "../../../src/runbook/yaml-source.js";

const RUNBOOK = resolve(import.meta.dirname, "../../../runbooks/compromise.yaml");
const runbook = parseRunbook(RUNBOOK, readFileSync(RUNBOOK, "utf8"), createRegistry()).runbook;
const NOW = new Date("2026-12-02T00:00:00Z");

function config(attest: string, time: ConfigTime = { now: NOW }, since = "2026-11-20T08:00:00Z") {
  const text = `compromisedSince: ${since}\nattest:\n  users.review:\n${attest
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}\n`;
  return validateConfig(parseYamlSource("c.yaml", text), runbook, time);
}

function issues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => `${i.line}:${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe("attestation dates", () => {
  it("refuses one dated before the run started, at its line, naming attest.<step>.at", () => {
    expect(issues(() => config("by: a@example.com\nat: 2026-12-01T10:00:00Z"))).toEqual([
      expect.stringMatching(
        /^5:attest\.users\.review\.at: 2026-12-01T10:00:00Z is before this run .*add `note:`/,
      ),
    ]);
  });

  it("accepts one dated before the run with a note, labelled attested before the run", () => {
    const c = config("by: a@example.com\nat: 2026-12-01T10:00:00Z\nnote: done while the run was prepared");
    expect(c.attest["users.review"]?.beforeRun).toBe("attested before the run");
  });

  it("refuses one dated before compromisedSince without a note, and labels it with one", () => {
    expect(issues(() => config("by: a@example.com\nat: 2026-11-19T10:00:00Z"))).toEqual([
      expect.stringMatching(
        /attest\.users\.review\.at: .* is before compromisedSince \(2026-11-20T08:00:00Z\)/,
      ),
    ]);
    const c = config("by: a@example.com\nat: 2026-11-19T10:00:00Z\nnote: rotated by the night shift");
    expect(c.attest["users.review"]?.beforeRun).toMatch(
      /^attested before the run \(dated before compromisedSince/,
    );
  });

  it("refuses one in the future even with a note, beyond 5 minutes of clock skew", () => {
    expect(issues(() => config("by: a@example.com\nat: 2026-12-02T00:06:00Z\nnote: typo-proof"))).toEqual([
      expect.stringMatching(/attest\.users\.review\.at: 2026-12-02T00:06:00Z is in the future/),
    ]);
    expect(config("by: a@example.com\nat: 2026-12-02T00:04:00Z").attest["users.review"]?.beforeRun).toBe(
      undefined,
    );
  });

  it("for a resume, one dated after the run's first start needs no note; one before it does", () => {
    const resume = { now: NOW, runStartedAt: "2026-12-01T09:00:00.000Z" };
    expect(
      config("by: a@example.com\nat: 2026-12-01T10:00:00Z", resume).attest["users.review"],
    ).toMatchObject({
      by: "a@example.com",
      at: "2026-12-01T10:00:00Z",
    });
    expect(issues(() => config("by: a@example.com\nat: 2026-12-01T08:00:00Z", resume))).toEqual([
      expect.stringMatching(/is before the run started \(2026-12-01T09:00:00.000Z\)/),
    ]);
  });
});

describe("date-time inputs and the bare-date rule", () => {
  it("refuses compromisedSince in the future, at its line", () => {
    expect(
      issues(() => config("by: a@example.com\nat: 2026-12-02T00:00:00Z", { now: NOW }, "2026-12-03")),
    ).toEqual([expect.stringMatching(/^1:compromisedSince: 2026-12-03T00:00:00Z is in the future/)]);
  });

  it("a bare date in the config is 00:00 UTC that day, resolved in the values the plan uses", () => {
    const c = config("by: a@example.com\nat: 2026-12-01\nnote: n", { now: NOW }, "2026-11-30");
    expect(c.values.compromisedSince).toBe("2026-11-30T00:00:00Z");
    expect(c.attest["users.review"]?.at).toBe("2026-12-01T00:00:00Z");
  });

  it("audit --since follows the same rule as the config: a bare date is 00:00 UTC, a date-time needs a zone", () => {
    const sinceOf = (since: string) => parseAuditArgs({ since }, []).since;
    expect(sinceOf("2026-11-30")).toBe("2026-11-30T00:00:00Z");
    expect(sinceOf("2026-11-30")).toBe(
      config("by: a\nat: 2026-12-01\nnote: n", { now: NOW }, "2026-11-30").values.compromisedSince,
    );
    // Without a zone it would be the local time of whichever machine runs it.
    expect(() => sinceOf("2026-11-30T08:00:00")).toThrow(/with a zone or a bare date \(00:00 UTC\)/);
  });

  it("parseInstant: a zone is required on a date-time, a bare date is midnight UTC, impossible days are refused", () => {
    expect(parseInstant("2026-11-30")).toBe("2026-11-30T00:00:00Z");
    expect(parseInstant(" 2026-11-30T08:00:00+01:00 ")).toBe("2026-11-30T08:00:00+01:00");
    expect(parseInstant("2026-11-30T08:00:00")).toBeUndefined();
    expect(parseInstant("2026-02-30")).toBeUndefined();
    expect(parseInstant("last tuesday")).toBeUndefined();
  });
});
