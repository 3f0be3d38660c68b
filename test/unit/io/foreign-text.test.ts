import { describe, expect, it } from "vitest";
import { foreignText, terminalText } from "../../../src/io/foreign-text.js";

describe("foreign text", () => {
  it("strips ANSI escape sequences, OSC titles, C1 controls, carriage returns and bidi overrides", () => {
    const hostile = "shop\u001b[2J\u001b[31m\u001b]0;owned\u0007\u009b1m\r\u202eevil";
    expect(foreignText(hostile)).toBe("shopevil");
    expect(terminalText(`line 1\n  ${hostile}`)).toBe("line 1\n  shopevil");
  });

  it("turns line breaks of a foreign value into spaces", () => {
    expect(foreignText("a\nb\tc")).toBe("a b c");
  });

  it("bounds a 20 MB value and says how much was cut", () => {
    const huge = "x".repeat(20_000_000);
    const shown = foreignText(huge, 300);
    expect(shown.length).toBeLessThan(400);
    expect(shown).toMatch(/^x{300}… \[19999700 more characters cut\]$/);
    expect(terminalText(huge, 1000)).toMatch(/^x{1000}… \[19999000 more characters cut\]$/);
  });

  it("leaves ordinary text untouched", () => {
    expect(foreignText("support-messages (ünïcode, 日本)")).toBe("support-messages (ünïcode, 日本)");
  });
});
