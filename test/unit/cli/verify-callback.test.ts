// `vonage-ir verify-callback` in-process with the worked vectors of vonage-api-notes.md section 10: the JWT
// callback and the `sig` request pass; tampering, a wrong secret and bad flags each fail with their own code.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { main } from "../../../src/cli/main.js";
import { payloadHash, signCallbackToken, signRequest } from "../../../src/security/index.js";
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
  await writeFile(join(dir, "huge-body.json"), "");
  await truncate(join(dir, "huge-body.json"), 8 * 1024 * 1024 + 1);
  execFileSync("mkfifo", [join(dir, "fifo")]);
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

/** A JWT over body.json with the vector's claims and `extra`, signed with the vector's secret. */
function tokenWith(extra: Record<string, unknown>): string {
  return signCallbackToken(
    {
      iat: 1700000000,
      jti: "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
      iss: "Vonage",
      payload_hash: payloadHash(BODY),
      ...extra,
    },
    SECRET,
  );
}

/** Writes `params` signed with sha256hmac (a JSON text, so `__proto__` stays an own key) and returns the file name. */
async function signedParamsFile(name: string, params: Record<string, string>): Promise<string> {
  const sig = signRequest(params, SECRET, "sha256hmac");
  const entries = [...Object.entries(params), ["sig", sig]];
  await writeFile(
    join(dir, name),
    `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`,
  );
  return name;
}

const SHA256 = ["--algorithm", "sha256hmac"];

describe("verify-callback: hostile callbacks", () => {
  it("checks exp and nbf when the token carries them", async () => {
    const expired = await run([
      "--body-file",
      "body.json",
      "--token",
      tokenWith({ exp: 1699999000 }),
      ...NOW,
    ]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toBe("invalid: expired: token expired 1000 s ago (tolerance 300 s)\n");
    const early = await run(["--body-file", "body.json", "--token", tokenWith({ nbf: 1700001000 }), ...NOW]);
    expect(early.stdout).toMatch(/^invalid: not-yet-valid: /);
    const malformed = await run(["--body-file", "body.json", "--token", tokenWith({ exp: "never" }), ...NOW]);
    expect(malformed.stdout).toMatch(/^invalid: malformed-claim: claim exp is "never"/);
  });

  it("prints claim names and values without control characters, escape sequences or unbounded length", async () => {
    const token = tokenWith({
      note: "\u001b[2J\u001b[Hok\nvalid\n  api_key: forged",
      "x\u001b]0;title\u0007\ny": "z",
      long: "L".repeat(5000),
    });
    const { code, stdout } = await run(["--body-file", "body.json", "--token", token, ...NOW]);
    expect(code).toBe(0);
    expect(stdout.replace(/\n/g, "")).not.toMatch(/\p{Cc}/u);
    // One line per claim: a value cannot add a line of its own.
    expect(stdout.split("\n").filter((line) => line.startsWith("  api_key"))).toEqual([]);
    expect(stdout).toContain("  note: ok valid   api_key: forged\n");
    expect(stdout).toContain("  x y: z\n");
    expect(stdout).toContain(`  long: ${"L".repeat(300)}… [4700 more characters cut]\n`);
  });

  it("escapes C1 and bidi controls in --json, which JSON.stringify leaves raw", async () => {
    const token = tokenWith({ note: "a\u009b2Jb\u202ec" });
    const { code, stdout } = await run(["--body-file", "body.json", "--token", token, "--json", ...NOW]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(stdout).toContain('"note":"a\\u009b2Jb\\u202ec"');
    expect((JSON.parse(stdout) as { claims: { note: string } }).claims.note).toBe("a\u009b2Jb\u202ec");
  });

  it.each([["1e300"], ["86401"], ["-1"], ["1.5"], ["Infinity"], ["0x10"], [" 60"], [""]])(
    "refuses --tolerance %j with the allowed range (exit 2)",
    async (tolerance) => {
      const { code, stderr } = await run([
        "--body-file",
        "body.json",
        "--token",
        TOKEN,
        `--tolerance=${tolerance}`,
        ...NOW,
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain("--tolerance must be seconds, a whole number from 0 to 86400");
    },
  );

  it("accepts --tolerance 0 and 86400", async () => {
    const late = ["--body-file", "body.json", "--token", TOKEN, "--now", "1700086400"];
    expect((await run([...late, "--tolerance", "86400"])).code).toBe(0);
    expect((await run([...NOW, "--body-file", "body.json", "--token", TOKEN, "--tolerance", "0"])).code).toBe(
      0,
    );
  });

  it("refuses a --now that is no date (1e300 made every token fresh)", async () => {
    for (const now of ["1e300", "99999999999999", "1700000000.5"]) {
      const { code, stderr } = await run(["--body-file", "body.json", "--token", TOKEN, "--now", now]);
      expect(code, now).toBe(2);
      expect(stderr).toContain("--now must be a Unix time in seconds, a whole number from 0 to 253402300799");
    }
  });

  it("signs __proto__, constructor and prototype parameters like any other", async () => {
    const params = { ...SIG_PARAMS, ["__proto__"]: "p", constructor: "c", prototype: "q" };
    const file = await signedParamsFile("sig-proto.json", params);
    const { code, stdout } = await run(["--sig-params", file, ...SHA256, ...NOW]);
    expect(stdout).toMatch(/^valid\n/);
    expect(code).toBe(0);
    expect(stdout).toContain("  __proto__: p\n");
    expect(stdout).toContain("  constructor: c\n");
  });

  it("rejects an unsigned __proto__ parameter added to a signed request", async () => {
    const text = JSON.stringify({ ...SIG_PARAMS, sig: SHA256HMAC }).replace("{", '{"__proto__":"added",');
    await writeFile(join(dir, "sig-proto-added.json"), text);
    const { code, stdout } = await run(["--sig-params", "sig-proto-added.json", ...SHA256, ...NOW]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^invalid: bad-signature: /);
  });

  it("refuses a parameter given twice (exit 2)", async () => {
    const text = JSON.stringify({ ...SIG_PARAMS, sig: SHA256HMAC }).replace("{", '{"\\u0074imestamp":"1",');
    await writeFile(join(dir, "sig-duplicate.json"), text);
    const { code, stderr } = await run(["--sig-params", "sig-duplicate.json", ...SHA256, ...NOW]);
    expect(code).toBe(2);
    expect(stderr).toContain('parameter "timestamp" appears more than once');
  });

  it("calls a signed request without timestamp invalid, unless --allow-no-timestamp", async () => {
    const { timestamp: _t, ...params } = SIG_PARAMS;
    const file = await signedParamsFile("sig-no-timestamp.json", params);
    const strict = await run(["--sig-params", file, ...SHA256, ...NOW]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^invalid: missing-timestamp: the parameters have no timestamp/);
    const allowed = await run(["--sig-params", file, ...SHA256, "--allow-no-timestamp", ...NOW]);
    expect(allowed.code).toBe(0);
    // The flag does not loosen a timestamp that is there.
    const old = await run([
      "--sig-params",
      "sig-md5.json",
      "--algorithm",
      "md5hash",
      "--allow-no-timestamp",
      "--now",
      "1700001000",
    ]);
    expect(old.stdout).toMatch(/^invalid: timestamp-out-of-tolerance: /);
    const jwt = await run(["--body-file", "body.json", "--token", TOKEN, "--allow-no-timestamp", ...NOW]);
    expect(jwt.code).toBe(2);
    expect(jwt.stderr).toContain("--allow-no-timestamp applies to --sig-params only");
  });

  it("takes a timestamp only as decimal seconds (Number() also reads hex and exponents)", async () => {
    for (const timestamp of ["0x6553f100", "1.7e9", " 1700000000"]) {
      const file = await signedParamsFile("sig-odd-timestamp.json", { ...SIG_PARAMS, timestamp });
      const { stdout } = await run(["--sig-params", file, ...SHA256, ...NOW]);
      expect(stdout, timestamp).toBe(
        "invalid: timestamp-out-of-tolerance: timestamp is not a number of seconds\n",
      );
    }
  });

  it("reads only regular files of bounded size", async () => {
    const cases = [
      [["--body-file", "fifo", "--token", TOKEN], "--body-file fifo: not a regular file"],
      [["--body-file", "/dev/zero", "--token", TOKEN], "--body-file /dev/zero: not a regular file"],
      [["--body-file", "huge-body.json", "--token", TOKEN], "larger than 8 MiB"],
      [["--sig-params", "fifo", ...SHA256], "--sig-params fifo: not a regular file"],
      [["--sig-params", ".", ...SHA256], "--sig-params .: not a regular file"],
    ] as const;
    for (const [argv, message] of cases) {
      const { code, stderr } = await run([...argv, ...NOW]);
      expect(code, message).toBe(2);
      expect(stderr).toContain(message);
    }
  });
});
