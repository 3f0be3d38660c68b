// `vonage-ir verify-callback` in-process with the worked vectors of vonage-api-notes.md section 10: the JWT
// callback and the `sig` request pass; tampering, a wrong secret and bad flags each fail with their own code.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { main } from "../../../src/cli/main.js";
import { signCallbackToken } from "../../../src/security/index.js";
import {
  BODY,
  SIGNATURE_SECRET,
  SMS_MD5HASH,
  SMS_PARAMS,
  SMS_SHA256HMAC,
  TOKEN,
} from "../security/vectors.js";

// The worked vectors of vonage-api-notes.md section 10, shared with the library's own tests.
const SECRET = SIGNATURE_SECRET;
const SIG_PARAMS = SMS_PARAMS;
const SHA256HMAC = SMS_SHA256HMAC;
const MD5HASH = SMS_MD5HASH;
const NOW = ["--now", "1700000000"];

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vonage-ir-verify-"));
  await writeFile(join(dir, "body.json"), BODY);
  await writeFile(join(dir, "tampered.json"), BODY.replace("delivered", "failed"));
  // Same JSON, re-serialised with spaces: not the bytes Vonage hashed.
  await writeFile(join(dir, "reserialised.json"), JSON.stringify(JSON.parse(BODY), null, 1));
  await writeFile(
    join(dir, "sig-sha256.json"),
    JSON.stringify({ ...SIG_PARAMS, sig: SHA256HMAC.toUpperCase() }),
  );
  await writeFile(join(dir, "sig-md5.json"), JSON.stringify({ ...SIG_PARAMS, sig: MD5HASH }));
  await writeFile(
    join(dir, "sig-tampered.json"),
    JSON.stringify({ ...SIG_PARAMS, text: "Hello", sig: SHA256HMAC }),
  );
  await writeFile(join(dir, "sig-none.json"), JSON.stringify(SIG_PARAMS));
  await writeFile(join(dir, "not-json.json"), "msisdn=1");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    Object.assign(
      new Writable({
        write(chunk: Buffer | string, _e, cb) {
          into.push(chunk.toString());
          cb();
        },
      }),
      { isTTY: false },
    );
  const io: CliIo = {
    stdin: Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), { isTTY: false }),
    stdout: sink(out),
    stderr: sink(err),
    env: options.env ?? { VONAGE_SIGNATURE_SECRET: SECRET },
    cwd: dir,
    signal: new AbortController().signal,
  };
  const code = await main(["verify-callback", ...argv], io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("verify-callback: signed callbacks (JWT)", () => {
  it("accepts the worked vector and prints the claims", async () => {
    const { code, stdout, stderr } = await run(["--body-file", "body.json", "--token", TOKEN, ...NOW]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^valid\n/);
    expect(stdout).toContain("  jti: c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5\n");
    expect(stdout).toContain("  api_key: abcd1234\n");
    expect(stdout).toContain("  iat: 1700000000\n");
  });

  it("accepts the vector given as a header, with the expected api_key and application_id, as JSON", async () => {
    const { code, stdout } = await run([
      "--body-file",
      "body.json",
      "--header",
      `Bearer ${TOKEN}`,
      "--api-key",
      "abcd1234",
      "--application-id",
      "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
      "--json",
      ...NOW,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { v: number; valid: boolean; claims: Record<string, unknown> };
    expect(doc).toMatchObject({
      v: 1,
      valid: true,
      claims: { iss: "Vonage", application_id: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab" },
    });
  });

  it("takes the secret from stdin with --secret-stdin", async () => {
    const { code } = await run(["--body-file", "body.json", "--token", TOKEN, "--secret-stdin", ...NOW], {
      env: {},
      stdin: `${SECRET}\nignored\n`,
    });
    expect(code).toBe(0);
  });

  it.each([
    ["a tampered body", ["--body-file", "tampered.json", "--token", TOKEN], "payload-hash-mismatch"],
    ["a re-serialised body", ["--body-file", "reserialised.json", "--token", TOKEN], "payload-hash-mismatch"],
    [
      "a wrong api_key",
      ["--body-file", "body.json", "--token", TOKEN, "--api-key", "ffff0000"],
      "wrong-api-key",
    ],
    [
      "a wrong application_id",
      [
        "--body-file",
        "body.json",
        "--token",
        TOKEN,
        "--application-id",
        "bbbbbbbb-bbbb-cccc-dddd-0123456789ab",
      ],
      "wrong-application-id",
    ],
    ["a malformed header", ["--body-file", "body.json", "--header", `Basic ${TOKEN}`], "malformed-header"],
    ["a malformed token", ["--body-file", "body.json", "--token", "not.a-token"], "malformed-token"],
  ])("rejects %s (exit 1, its own reason)", async (_name, argv, reason) => {
    const { code, stdout } = await run([...argv, ...NOW]);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`^invalid: ${reason}: `));
  });

  it("rejects a wrong secret as bad-signature", async () => {
    const { code, stdout } = await run(["--body-file", "body.json", "--token", TOKEN, ...NOW], {
      env: { VONAGE_SIGNATURE_SECRET: "WrongSignatureSecret-0000000000000" },
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^invalid: bad-signature: /);
  });

  it("rejects an old token by the clock, and honours --tolerance", async () => {
    const late = ["--body-file", "body.json", "--token", TOKEN, "--now", "1700000600"];
    const old = await run(late);
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/^invalid: iat-out-of-tolerance: token issued 600 s ago/);
    expect((await run([...late, "--tolerance", "900"])).code).toBe(0);
    // Without --now the real clock applies: the 2023 vector is long expired.
    expect((await run(["--body-file", "body.json", "--token", TOKEN])).stdout).toMatch(
      /iat-out-of-tolerance/,
    );
  });

  it("rejects alg none and RS256 (key confusion) as unsupported-algorithm, in JSON", async () => {
    const [, payload, signature] = TOKEN.split(".");
    for (const header of ['{"alg":"none","typ":"JWT"}', '{"alg":"RS256","typ":"JWT"}']) {
      const forged = `${Buffer.from(header).toString("base64url")}.${payload ?? ""}.${header.includes("none") ? "" : (signature ?? "")}`;
      const { code, stdout } = await run(["--body-file", "body.json", "--token", forged, "--json", ...NOW]);
      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({ v: 1, valid: false, reason: "unsupported-algorithm" });
    }
  });

  it("verifies a token it did not get from the notes (signCallbackToken round trip)", async () => {
    const token = signCallbackToken(
      {
        iat: 1700000000,
        jti: "11111111-2222-4333-8444-555555555555",
        iss: "Vonage",
        payload_hash: "682c2247fc8bf5831c5ff49ee9d036c5d0db8063f9e1d85754ffa87e8b54f27c",
      },
      SECRET,
    );
    expect((await run(["--body-file", "body.json", "--token", token, ...NOW])).code).toBe(0);
  });
});

describe("verify-callback: signed requests (sig)", () => {
  it("accepts the sha256hmac vector (uppercase hex, as Vonage sends it)", async () => {
    const { code, stdout } = await run([
      "--sig-params",
      "sig-sha256.json",
      "--algorithm",
      "sha256hmac",
      ...NOW,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^valid\n/);
    expect(stdout).toContain("  text: Hello & welcome=yes\n");
    expect(stdout).not.toContain("sig:");
  });

  it("accepts the md5hash vector", async () => {
    expect((await run(["--sig-params", "sig-md5.json", "--algorithm", "md5hash", ...NOW])).code).toBe(0);
  });

  it("rejects tampered params, the wrong algorithm, a wrong secret, a missing sig and an old timestamp", async () => {
    expect(
      (await run(["--sig-params", "sig-tampered.json", "--algorithm", "sha256hmac", ...NOW])).stdout,
    ).toMatch(/^invalid: bad-signature: /);
    expect((await run(["--sig-params", "sig-sha256.json", "--algorithm", "sha512hmac", ...NOW])).code).toBe(
      1,
    );
    expect(
      (
        await run(["--sig-params", "sig-sha256.json", "--algorithm", "sha256hmac", ...NOW], {
          env: { VONAGE_SIGNATURE_SECRET: "WrongSignatureSecret-0000000000000" },
        })
      ).stdout,
    ).toMatch(/^invalid: bad-signature: /);
    expect(
      (await run(["--sig-params", "sig-none.json", "--algorithm", "sha256hmac", ...NOW])).stdout,
    ).toMatch(/^invalid: missing-sig: /);
    const old = await run(["--sig-params", "sig-md5.json", "--algorithm", "md5hash", "--now", "1700001000"]);
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/^invalid: timestamp-out-of-tolerance: timestamp is 1000 s old/);
  });
});

describe("verify-callback: usage", () => {
  it("never takes the secret from a flag", async () => {
    for (const flag of ["--secret", "--signature-secret"]) {
      const { code, stderr } = await run([
        "--body-file",
        "body.json",
        "--token",
        TOKEN,
        flag,
        SECRET,
        ...NOW,
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^error: unknown option/i);
      expect(stderr).not.toContain(SECRET);
    }
  });

  it.each([
    [
      "no secret in the environment",
      ["--body-file", "body.json", "--token", TOKEN],
      "VONAGE_SIGNATURE_SECRET",
    ],
    ["nothing to verify", [], "nothing to verify"],
    [
      "both --token and --header",
      ["--body-file", "body.json", "--token", TOKEN, "--header", `Bearer ${TOKEN}`],
      "exactly one",
    ],
    ["neither --token nor --header", ["--body-file", "body.json"], "exactly one"],
    ["a missing body file", ["--body-file", "nope.json", "--token", TOKEN], "cannot read"],
    [
      "an unknown algorithm",
      ["--sig-params", "sig-md5.json", "--algorithm", "crc32"],
      "--algorithm must be one of",
    ],
    ["--sig-params without --algorithm", ["--sig-params", "sig-md5.json"], "--algorithm must be one of"],
    [
      "--algorithm with a JWT",
      ["--body-file", "body.json", "--token", TOKEN, "--algorithm", "md5hash"],
      "--sig-params only",
    ],
    ["params that are not JSON", ["--sig-params", "not-json.json", "--algorithm", "md5hash"], "not JSON"],
    ["a bad --now", ["--body-file", "body.json", "--token", TOKEN, "--now", "soon"], "--now"],
  ])("exits 2 on %s", async (name, argv, message) => {
    const { code, stderr } = await run(argv, name === "no secret in the environment" ? { env: {} } : {});
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
