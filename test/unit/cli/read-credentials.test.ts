import { describe, expect, it } from "vitest";
import { redactText } from "../../../src/core/redact.js";
import { readCredentials } from "../../../src/cli/session.js";
import { fakeIo } from "../../helpers/cli-io.js";

describe("reading credentials", () => {
  it("trims VONAGE_API_SECRET as it trims the secret from --secret-stdin", async () => {
    const env = { VONAGE_API_KEY: " abcd1234 ", VONAGE_API_SECRET: " Trim-Me-Secret-42\n" };
    const fromEnv = await readCredentials({}, fakeIo({ env }).io);
    expect(fromEnv).toEqual({ apiKey: "abcd1234", apiSecret: "Trim-Me-Secret-42" });
    const fromStdin = await readCredentials(
      { "secret-stdin": true },
      fakeIo({ env: { VONAGE_API_KEY: "abcd1234" }, stdin: " Trim-Me-Secret-42 \n" }).io,
    );
    expect(fromStdin).toEqual(fromEnv);
  });

  it("registers the key with the secret: their Basic pair is redacted", async () => {
    const env = { VONAGE_API_KEY: "beef0001", VONAGE_API_SECRET: "Pair-Me-Secret-77" };
    await readCredentials({}, fakeIo({ env }).io);
    const pair = Buffer.from("beef0001:Pair-Me-Secret-77").toString("base64");
    expect(redactText(`echo ${pair}`)).not.toContain(pair.replace(/=+$/, ""));
  });
});
