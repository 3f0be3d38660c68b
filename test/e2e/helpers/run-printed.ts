// Runs a command exactly as the CLI printed it for the operator to paste: the line is taken from the CLI's own
// output and handed to `sh -c` in the same directory with the same env, so a hint that only reads well (a
// relative path from elsewhere, a missing --config, an unquoted space, `npx`) fails here as it would at 3 a.m.
import { expect } from "vitest";
import { spawnCli, type CliResult, type RunCliOptions } from "./run-cli.js";

/** The text after `label` on the line of `output` where it appears (the last such line: the one left on screen). */
export function printedLine(output: string, label: string): string {
  const lines = output.split("\n").filter((line) => line.includes(label));
  const line = lines.at(-1);
  expect(line, `no line with "${label}" in:\n${output}`).toBeDefined();
  return (line ?? "").slice((line ?? "").indexOf(label) + label.length).trim();
}

/** `sh -c <line>` with the CLI's env and cwd (and optional extra env), as the operator's shell would run it. */
export function runPrinted(line: string, options: RunCliOptions): Promise<CliResult> {
  return spawnCli("sh", ["-c", line], options, `sh -c ${line}`);
}
