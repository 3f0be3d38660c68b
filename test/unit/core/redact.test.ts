import { describe, expect, it } from "vitest";
import { REDACTED, redact, redactText, registerApiKey, registerSecret } from "../../../src/core/redact.js";

const KEY = "a1b2c3d4";
const SECRET = "Qw3rty-Secret/Value+1";
const pair = Buffer.from(`${KEY}:${SECRET}`).toString("base64");

describe("redaction", () => {
  registerSecret(SECRET, { apiKey: KEY });

  it("redacts base64 of key:secret after a lowercase or uppercase prefix, and bare", () => {
    for (const text of [`basic ${pair}`, `BASIC ${pair}`, `Basic ${pair}`, `echo: ${pair}`, `${pair}`]) {
      expect(redactText(text)).not.toContain(pair.replace(/=+$/, ""));
    }
    expect(redactText(`authorization: basic ${pair}`)).toBe(`authorization: basic ${REDACTED}`);
  });

  it("redacts the pair of a secret registered before its key", () => {
    registerSecret("Later-Key-Secret-9");
    registerApiKey("ffee0011");
    const late = Buffer.from("ffee0011:Later-Key-Secret-9").toString("base64");
    expect(redactText(`body ${late} end`)).not.toContain(late.replace(/=+$/, ""));
  });

  it("redacts a secret URL-encoded (as in a query string or a form)", () => {
    expect(redactText(`api_secret=${encodeURIComponent(SECRET)}&x=1`)).toBe(`api_secret=${REDACTED}&x=1`);
    const lowerHex = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    expect(redactText(`s=${lowerHex}`)).toBe(`s=${REDACTED}`);
    expect(redactText(`s=${encodeURIComponent(SECRET).replace(/%20/g, "+")}`)).toBe(`s=${REDACTED}`);
  });

  it("redacts a generic bearer or basic token of any case, but leaves prose alone", () => {
    expect(redactText("bearer eyJhbGciOi.J9abc123")).toBe(`bearer ${REDACTED}`);
    expect(redactText("uses basic authentication for webhooks")).toBe(
      "uses basic authentication for webhooks",
    );
  });

  it("redacts the password of a URL's userinfo, and the password wherever it is seen later", () => {
    const url = "https://ops:S3cret-Hook-Pass@hooks.example.com/answer";
    expect(redactText(`answer_url ${url}`)).toBe(
      `answer_url https://ops:${REDACTED}@hooks.example.com/answer`,
    );
    // a copy cut before its `@` (a truncated message) still loses the password
    expect(redactText("… https://ops:S3cret-Hook-Pass")).toBe(`… https://ops:${REDACTED}`);
    expect(redact({ hooks: [{ address: url }] })).toEqual({
      hooks: [{ address: `https://ops:${REDACTED}@hooks.example.com/answer` }],
    });
  });

  it("keeps the fast path: short strings and strings without a secret come back as they are", () => {
    const text = 'application 3f2a9c1e-aaaa-bbbb-cccc-000000000000 "shop"';
    expect(redactText(text)).toBe(text);
    expect(redactText("abc")).toBe("abc");
  });
});
