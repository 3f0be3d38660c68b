// The commands the tool prints for the operator to paste (resume, apply, report, load the new secret): complete
// (every --config and --out the run used) and runnable from the operator's shell as printed: the program as that
// shell finds it, paths that resolve from the current directory, words shell-quoted.
import { accessSync, constants, realpathSync } from "node:fs";
import { delimiter, isAbsolute, join, relative, resolve, sep } from "node:path";
import { shellLine, shellQuote } from "../io/shell-quote.js";
import type { CliIo } from "./io.js";
import { PACKAGE_ROOT } from "./session.js";

/** The installed entry point of this copy of vonage-ir. */
export const BIN_PATH = join(PACKAGE_ROOT, "bin", "vonage-ir.js");

type Where = Pick<CliIo, "cwd" | "env">;

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * `vonage-ir` when the operator's shell would run this very copy under that name (the first `vonage-ir` on PATH
 * is it); otherwise `node <absolute path of bin/vonage-ir.js>`, which runs it from anywhere. Never `npx
 * vonage-ir`: outside the clone it would fetch whatever package of that name the registry holds.
 */
export function programWords(where: Where): string[] {
  const self = realpathOrSelf(BIN_PATH);
  for (const dir of (where.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(where.cwd, dir), "vonage-ir");
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The shell runs the first one it finds: if that is another copy, ours needs its full path.
    if (realpathOrSelf(candidate) === self) return ["vonage-ir"];
    break;
  }
  return ["node", BIN_PATH];
}

/** A path as it resolves from the current directory: relative below it, absolute elsewhere. */
export function printedPath(path: string, where: Where): string {
  const absolute = resolve(where.cwd, path);
  const below = relative(where.cwd, absolute);
  if (below === "") return ".";
  if (below.startsWith("..") || isAbsolute(below)) return absolute;
  // A word like `-x` or `~x` would read as a flag or be expanded: anchor it to the current directory.
  return /^[-~]/.test(below) ? `.${sep}${below}` : below;
}

/** `vonage-ir <args>` as the operator can paste it here. */
export function printedCommand(where: Where, args: readonly string[]): string {
  return shellLine([...programWords(where), ...args]);
}

/** What a run used that a later command needs again: the config file (if any) and the out directory. */
export interface RunLocation {
  configFile?: string | undefined;
  out: string;
}

function locationArgs(where: Where, location: RunLocation): string[] {
  return [
    ...(location.configFile ? ["--config", printedPath(location.configFile, where)] : []),
    "--out",
    printedPath(location.out, where),
  ];
}

export function printedResume(where: Where, runId: string, location: RunLocation): string {
  return printedCommand(where, ["run", "--resume", runId, ...locationArgs(where, location)]);
}

export function printedApply(where: Where, planFile: string, location: RunLocation): string {
  return printedCommand(where, ["apply", printedPath(planFile, where), ...locationArgs(where, location)]);
}

export function printedReport(where: Where, runId: string, out: string): string {
  return printedCommand(where, ["report", runId, "--out", printedPath(out, where)]);
}

/** Loads a secret file into the environment without the value ever being typed, echoed or kept in history. */
export function exportSecretCommand(file: string): string {
  return `export VONAGE_API_SECRET="$(cat ${shellQuote(file)})"`;
}
