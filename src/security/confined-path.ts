// Paths built from data (an application id from the account or from a plan file) must land inside the run
// directory: each name is one plain path segment, and the resolved result is checked to stay under its root.
import { isAbsolute, relative, resolve, sep } from "node:path";
import { DriftError } from "../core/errors.js";

const MAX_SEGMENT_LENGTH = 200;

/** One file or directory name: no separator, no `.`/`..`, no NUL or control character, not too long. */
export function isSafePathSegment(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_SEGMENT_LENGTH &&
    name !== "." &&
    name !== ".." &&
    !/[/\\]/.test(name) &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}

/**
 * `root/segment/...`, refusing (exit 4) a segment that is not a plain name or a result outside `root`. Nothing is
 * written before the refusal, so a tampered id cannot reach the file system.
 */
export function confinedPath(root: string, ...segments: string[]): string {
  const bad = segments.find((segment) => !isSafePathSegment(segment));
  if (bad !== undefined) {
    throw new DriftError(
      `refused: ${JSON.stringify(bad.slice(0, 80))} is not a plain file name (a path built from it could leave the run directory)`,
      "an id in the plan or from the account is malformed: make a new plan with `vonage-ir plan --save` and review it",
    );
  }
  const base = resolve(root);
  const path = resolve(base, ...segments);
  const inside = relative(base, path);
  if (inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new DriftError(
      `refused: ${path} is outside the run directory ${base}`,
      "an id in the plan or from the account is malformed: make a new plan with `vonage-ir plan --save` and review it",
    );
  }
  return path;
}
