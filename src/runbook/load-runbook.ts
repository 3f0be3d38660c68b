// Loads a runbook file: YAML with positions → zod schema → cross-step rules. Every error names file, line,
// column and path. Validation returns data (the runbook plus its source for later positioned errors).
import { ValidationError, UsageError, type ValidationIssue } from "../core/errors.js";
import type { Registry } from "../actions/action.js";
import { runbookSchema, type Runbook } from "./schema.js";
import { parseYamlSource, zodIssues, type YamlSource } from "./yaml-source.js";
import { checkRunbookRules } from "./rules.js";
import { MiB, readUserFile } from "../io/read-user-file.js";

export interface LoadedRunbook {
  runbook: Runbook;
  source: YamlSource;
  /** The file's text, hashed into the journal so a resume can refuse a changed runbook. */
  text: string;
}

export async function loadRunbookFile(file: string, registry: Registry): Promise<LoadedRunbook> {
  const read = await readUserFile(file, MiB);
  if ("problem" in read) {
    throw new UsageError(
      read.code === "ENOENT" ? `runbook not found: ${file}` : `cannot read runbook ${file}: ${read.problem}`,
      "list the shipped runbooks with `vonage-ir list`",
    );
  }
  return parseRunbook(file, read.bytes.toString("utf8"), registry);
}

export function parseRunbook(file: string, text: string, registry: Registry): LoadedRunbook {
  const source = parseYamlSource(file, text);
  const result = runbookSchema.safeParse(source.data);
  if (!result.success) throw new ValidationError(zodIssues(source, result.error.issues));
  const issues: ValidationIssue[] = checkRunbookRules(result.data, source, registry);
  if (issues.length > 0) throw new ValidationError(issues);
  return { runbook: result.data, source, text };
}
