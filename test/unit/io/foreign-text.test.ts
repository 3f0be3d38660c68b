import { describe, expect, it } from "vitest";
import { CONTROL_MARKER, foreignText } from "../../../src/io/foreign-text.js";

const ESC = "\u001b";

describe("foreignText", () => {
  it("keeps ordinary text, including non-ASCII letters and emoji, as it is", () => {
    expect(foreignText("Acme Ltd — Zürich 🚀")).toBe("Acme Ltd — Zürich 🚀");
  });

  it("removes ANSI escape sequences: colours, cursor moves, screen clears, titles, hyperlinks", () => {
    expect(foreignText(`${ESC}[31mred${ESC}[0m`)).toBe("red");
    expect(foreignText(`a${ESC}[2J${ESC}[H${ESC}[1;1Hb`)).toBe("ab");
    expect(foreignText(`${ESC}]0;fake title\u0007name`)).toBe("name");
    expect(foreignText(`${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\`)).toBe("link");
    expect(foreignText(`x${ESC}7${ESC}8y${ESC}(Bz`)).toBe("xyz");
    // The single-character C1 forms a terminal also honours.
    expect(foreignText("a\u009b2Jb\u009d0;t\u0007c")).toBe("abc");
  });

  it("replaces every other control character, so a value cannot start a new output line", () => {
    expect(foreignText("valid\n  api_key: forged")).toBe(`valid${CONTROL_MARKER}  api_key: forged`);
    expect(foreignText("a\rb\tc\u0000d\u007fe\u0085f\u2028g")).toBe(
      ["a", "b", "c", "d", "e", "f", "g"].join(CONTROL_MARKER),
    );
    expect(foreignText(`lone${ESC}`)).toBe("lone");
  });

  it("replaces bidirectional overrides that reorder what the operator reads", () => {
    expect(foreignText("abc\u202edcba\u2066x\u2069")).toBe(
      `abc${CONTROL_MARKER}dcba${CONTROL_MARKER}x${CONTROL_MARKER}`,
    );
  });

  it("truncates long values and says how many characters were cut", () => {
    expect(foreignText("x".repeat(200))).toBe("x".repeat(200));
    expect(foreignText("x".repeat(20_000))).toBe(`${"x".repeat(200)}… [19800 more characters cut]`);
    expect(foreignText("abcdef", 3)).toBe("abc… [3 more characters cut]");
    expect(foreignText("abc", 0)).toBe("… [3 more characters cut]");
  });

  it("counts after stripping, and never cuts a surrogate pair in half", () => {
    expect(foreignText(`${ESC}[31m${"y".repeat(10)}`, 10)).toBe("y".repeat(10));
    expect(foreignText("ab🚀cd", 3)).toBe("ab… [4 more characters cut]");
  });

  it("shows non-strings as JSON, sanitised the same way", () => {
    expect(foreignText(1700000000)).toBe("1700000000");
    expect(foreignText({ a: [1, true, null] })).toBe('{"a":[1,true,null]}');
    expect(foreignText({ a: "x\u009b2Jy" })).toBe('{"a":"xy"}');
    expect(foreignText(undefined)).toBe("undefined");
    expect(foreignText(10n)).toBe("10n");
    const cycle: Record<string, unknown> = {};
    cycle["self"] = cycle;
    expect(foreignText(cycle)).toBe("[object Object]");
    expect(foreignText({ long: "z".repeat(300) }, 20)).toMatch(
      /^\{"long":"z{11}… \[291 more characters cut\]$/,
    );
  });
});
