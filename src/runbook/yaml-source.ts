// Parses a YAML file keeping positions, so any later error (zod, cross-step rules, config) can name the
// file, line and column of the offending value.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { ValidationError, type ValidationIssue } from "../core/errors.js";
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";

export type PathSegment = string | number;

export interface YamlSource {
  file: string;
  data: unknown;
  /** Line and column of the value at `path`, or of the nearest existing parent. */
  locate(path: readonly PathSegment[], preferKey?: boolean): { line: number; column: number };
  issue(path: readonly PathSegment[], message: string, preferKey?: boolean): ValidationIssue;
  /** The text of a plain scalar as written (YAML reads `15749124` as a number; an API key is text). */
  scalarText(path: readonly PathSegment[]): string | undefined;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: foreignText(redactText(yamlMessage(error.message)), MAX_ECHO),
        };
      }),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const locate = (path: readonly PathSegment[], preferKey = false) => {
    const offset = offsetOf(doc, path, preferKey);
    const pos = lineCounter.linePos(offset);
    return { line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) };
  };
  const scalarText = (path: readonly PathSegment[]) => {
    const node: unknown = doc.getIn(path, true);
    if (!isScalar(node) || !node.range) return undefined;
    return text.slice(node.range[0], node.range[1]).trim();
  };
  return {
    file,
    data,
    locate,
    scalarText,
    issue: (path, message, preferKey) => ({
      file,
      ...locate(path, preferKey),
      path: formatPath(path),
      message,
    }),
  };
}

function yamlMessage(message: string): string {
  // The yaml package appends a code frame after the first line; our message names line and column already.
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

function offsetOf(doc: Document, path: readonly PathSegment[], preferKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
      );
      if (!pair) return offset;
      const keyStart = rangeStart(pair.key);
      if (last && (preferKey || pair.value === null) && keyStart !== undefined) return keyStart;
      node = pair.value;
      offset = rangeStart(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return node && typeof node === "object" && "range" in node
    ? ((node as Node).range?.[0] ?? undefined)
    : undefined;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/** Turns zod issues into positioned validation issues, with messages that say what was expected. */
export function zodIssues(
  source: YamlSource,
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathSegment[] = [],
): ValidationIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => source.issue([...path, key], `unknown key "${echoKey(key)}"`, true));
    }
    return [source.issue(path, zodMessage(issue, valueAt(source.data, path), path))];
  });
}

/** The value at `path` in parsed data (zod does not keep the input on its issues). */
function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function zodMessage(
  issue: z.core.$ZodIssue,
  input: unknown = issue.input,
  path: readonly PathSegment[] = issue.path as PathSegment[],
): string {
  switch (issue.code) {
    case "invalid_value":
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(" | ")}`;
    case "invalid_type":
      return input === undefined
        ? `required (expected ${issue.expected})`
        : `expected ${issue.expected}, received ${describeValue(input, path)}`;
    case "invalid_union": {
      const literals = issue.errors
        .flat()
        .flatMap((inner) => (inner.code === "invalid_value" ? inner.values : []))
        .map((value) => JSON.stringify(value));
      if (literals.length > 0 && literals.length === issue.errors.length)
        return `expected ${literals.join(" | ")}`;
      return issue.message.replace(/^Invalid input: ?/i, "") || "does not match any allowed form";
    }
    default:
      return issue.message.replace(/^Invalid input: ?/i, "");
  }
}

/** Bound of a value or key echoed in a validation message: a file may be anything (`/etc/passwd`, 1 GB). */
const MAX_ECHO = 80;
/** Keys whose values may be credentials: a message names their type, never their value. */
const SECRET_LOOKING_KEY = /secret|passw|token|key|auth|credential|private|signature|cert/i;

/** A key of a file, as a message echoes it: secrets redacted, bounded, no control characters. */
export function echoKey(key: string): string {
  return foreignText(redactText(key), MAX_ECHO);
}

/**
 * A value found in a file, as a validation message describes it: its type, and its text only when no key on its
 * path may hold a secret (then redacted of known secrets, bounded and cleaned of control characters).
 */
export function describeValue(value: unknown, path: readonly PathSegment[] = []): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  // Shorter than any Vonage secret (8) is safe to show, and says more than a type ("yes" for a boolean).
  if (
    typeof value === "string" &&
    value.length >= 8 &&
    path.some((segment) => typeof segment === "string" && SECRET_LOOKING_KEY.test(segment))
  )
    return `a string (not shown: "${formatPath(path)}" may hold a secret)`;
  return `${typeof value} ${echoValue(value)}`;
}

/** A scalar of a file as a message quotes it (JSON): secrets redacted, bounded, no control characters. */
export function echoValue(value: unknown): string {
  return foreignText(redactText(JSON.stringify(value) ?? String(value)), MAX_ECHO);
}
