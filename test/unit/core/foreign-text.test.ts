import { describe, expect, it } from "vitest";
import { CONTROL_MARKER, foreignText, terminalText } from "../../../src/core/foreign-text.js";

const ESC = "\u001b";

describe("foreignText", () => {
  it("keeps ordinary text, including non-ASCII letters and emoji, as it is", () => {
    expect(foreignText("Acme Ltd — Zürich 🚀")).toBe("Acme Ltd — Zürich 🚀");
    expect(foreignText("support-messages (ünïcode, 日本)")).toBe("support-messages (ünïcode, 日本)");
  });

  it("removes ANSI escape sequences: colours, cursor moves, screen clears, titles, hyperlinks", () => {
    expect(foreignText(`${ESC}[31mred${ESC}[0m`)).toBe("red");
    expect(foreignText(`a${ESC}[2J${ESC}[H${ESC}[1;1Hb`)).toBe("ab");
    expect(foreignText(`${ESC}]0;fake title\u0007name`)).toBe("name");
    expect(foreignText(`${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\`)).toBe("link");
    expect(foreignText(`x${ESC}7${ESC}8y${ESC}(Bz`)).toBe("xyz");
    // The single-character C1 forms a terminal also honours.
    expect(foreignText("a\u009b2Jb\u009d0;t\u0007c")).toBe("abc");
    expect(foreignText(`lone${ESC}`)).toBe("lone");
  });

  it("turns line breaks into spaces, so a value cannot start a new output line", () => {
    expect(foreignText("valid\n  api_key: forged")).toBe("valid   api_key: forged");
    expect(foreignText("a\nb\tc\rd\u2028e")).toBe("a b c d e");
  });

  it("replaces every other control character and bidirectional override with a visible marker", () => {
    expect(foreignText("c\u0000d\u007fe\u0085f")).toBe(["c", "d", "e", "f"].join(CONTROL_MARKER));
    expect(foreignText("abc\u202edcba\u2066x\u2069")).toBe(
      `abc${CONTROL_MARKER}dcba${CONTROL_MARKER}x${CONTROL_MARKER}`,
    );
    const hostile = "shop\u001b[2J\u001b[31m\u001b]0;owned\u0007\u009b1m\r\u202eevil";
    expect(foreignText(hostile)).toBe(`shop ${CONTROL_MARKER}evil`);
  });

  it("truncates long values and says how many characters were cut", () => {
    expect(foreignText("x".repeat(300))).toBe("x".repeat(300));
    expect(foreignText("x".repeat(20_000))).toBe(`${"x".repeat(300)}… [19700 more characters cut]`);
    expect(foreignText("abcdef", 3)).toBe("abc… [3 more characters cut]");
    expect(foreignText("abc", 0)).toBe("… [3 more characters cut]");
  });

  it("bounds a 20 MB value cheaply and counts what was sent", () => {
    const shown = foreignText("x".repeat(20_000_000), 300);
    expect(shown).toMatch(/^x{300}… \[19999700 more characters cut\]$/);
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

describe("terminalText", () => {
  it("keeps our own line breaks and removes every control and escape sequence", () => {
    const hostile = "shop\u001b[2J\u001b[31m\u001b]0;owned\u0007\u009b1m\r\u202eevil";
    expect(terminalText(`line 1\n  ${hostile}`)).toBe("line 1\n  shopevil");
  });

  it("bounds a long text with a marker", () => {
    expect(terminalText("x".repeat(20_000_000), 1000)).toMatch(/^x{1000}… \[19999000 more characters cut\]$/);
  });
});
