// confinedPath: a path built from data (an application id) stays inside its root, whatever the data says.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { confinedPath, isSafePathSegment } from "../../../src/security/confined-path.js";
import { DriftError } from "../../../src/core/errors.js";

const ROOT = "/runs/20260101-000000-abcdef";

describe("confinedPath", () => {
  it("joins plain names under the root", () => {
    expect(confinedPath(ROOT, "evidence", "applications", "af0de0d8-9511.json")).toBe(
      join(ROOT, "evidence", "applications", "af0de0d8-9511.json"),
    );
  });

  it.each([
    ["..", ".."],
    ["../..", "../.."],
    ["a path with a separator", "a/b.json"],
    ["a path that climbs out", "../../../../escaped.json"],
    ["a backslash", "..\\..\\x"],
    ["an absolute path", "/etc/passwd"],
    ["an empty name", ""],
    [".", "."],
    ["a NUL byte", "a\u0000b"],
    ["an escape sequence", "\u001b[2Jx"],
  ])("refuses %s (exit 4), naming it", (_name, segment) => {
    expect(() => confinedPath(ROOT, "evidence", segment)).toThrow(DriftError);
    expect(() => confinedPath(ROOT, "evidence", segment)).toThrow(/is not a plain file name/);
  });

  it("refuses a root-relative result that is the root itself or outside it", () => {
    expect(() => confinedPath(ROOT)).toThrow(/outside the run directory/);
  });

  it("accepts names with dots that are not . or ..", () => {
    expect(isSafePathSegment("...json")).toBe(true);
    expect(isSafePathSegment(".gitignore")).toBe(true);
    expect(isSafePathSegment("x".repeat(201))).toBe(false);
  });
});
