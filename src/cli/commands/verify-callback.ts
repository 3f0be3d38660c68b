// `vonage-ir verify-callback`: checks one captured callback, a signed JWT callback (body file + token) or a signed
// request (`sig` parameters), with the signature secret from the environment or stdin, never from argv.
import { resolve } from "node:path";
import { ExitCode, UsageError } from "../../core/errors.js";
import { foreignText } from "../../core/foreign-text.js";
import { registerSecret } from "../../core/redact.js";
import { readUserFile } from "../../io/read-user-file.js";
import {
  DEFAULT_TOLERANCE_SECONDS,
  MemoryReplayStore,
  SIGNATURE_ALGORITHMS,
  verifySignedCallback,
  verifySignedRequest,
  type SignatureAlgorithm,
  type VerifyResult,
} from "../../security/index.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { readStdinSecret } from "../session.js";

type Outcome = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string; message: string };

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A day: more leeway than that is no freshness check at all. */
const MAX_TOLERANCE_SECONDS = 86_400;
/** 9999-12-31T23:59:59Z, the last second a Date shows with four year digits. */
const MAX_NOW_SECONDS = 253_402_300_799;
/** Far above any webhook body or parameter set, far below what would exhaust memory. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_PARAMS_BYTES = 1024 * 1024;

function parseSeconds(
  value: string | undefined,
  flag: string,
  what: string,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: `1e300`, `0x10`, ` 5` and `Infinity` are all numbers to Number().
  const n = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n <= max))
    throw new UsageError(
      `${flag} must be ${what}, a whole number from 0 to ${max}, not "${foreignText(value, 40)}"`,
    );
  return n;
}

async function readSignatureSecret(values: Values, io: CliIo): Promise<string> {
  let secret = io.env.VONAGE_SIGNATURE_SECRET;
  if (values["secret-stdin"]) {
    secret = await readStdinSecret(
      io,
      "signature secret",
      "pass-cli show vonage-signature | vonage-ir verify-callback ... --secret-stdin",
    );
  }
  if (!secret)
    throw new UsageError(
      "missing signature secret: VONAGE_SIGNATURE_SECRET is not set",
      "export VONAGE_SIGNATURE_SECRET (dashboard → Settings) or pipe it with --secret-stdin; secrets are never taken from arguments",
    );
  registerSecret(secret);
  return secret;
}

async function readInputFile(path: string, cwd: string, flag: string, maxBytes: number): Promise<Buffer> {
  const read = await readUserFile(resolve(cwd, path), maxBytes);
  if ("problem" in read) {
    const why = read.code === undefined ? read.problem : `cannot read the file (${read.problem})`;
    throw new UsageError(`${flag} ${foreignText(path, 100)}: ${why}`);
  }
  return read.bytes;
}

interface Checks {
  now: Date;
  tolerance: number;
}

async function verifyJwt(values: Values, io: CliIo, secret: string, checks: Checks): Promise<Outcome> {
  const bodyFile = str(values["body-file"]) ?? "";
  const token = str(values.token);
  const header = str(values.header);
  // The body is hashed exactly as captured: re-serialised JSON would not match payload_hash.
  const rawBody = await readInputFile(bodyFile, io.cwd, "--body-file", MAX_BODY_BYTES);
  const apiKey = str(values["api-key"]);
  const applicationId = str(values["application-id"]);
  const result: VerifyResult = await verifySignedCallback({
    authorization: header ?? `Bearer ${token ?? ""}`,
    rawBody,
    signatureSecret: secret,
    now: checks.now,
    toleranceSeconds: checks.tolerance,
    // One invocation sees one token: a fresh store (replay protection needs a long-lived verifier).
    replayStore: new MemoryReplayStore(),
    ...(apiKey === undefined ? {} : { expectedApiKey: apiKey }),
    ...(applicationId === undefined ? {} : { expectedApplicationId: applicationId }),
  });
  return result.ok ? { ok: true, claims: result.claims } : result;
}

/**
 * The names of keys that occur more than once in a flat JSON object (`JSON.parse` silently keeps the last one, a
 * web framework may keep the first: the file would not say which request was signed).
 */
function duplicateKeys(json: string): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  // Walks the text string by string from the start, so every quote reached opens a string (the text is valid
  // JSON); a string followed by a colon is a key, and values were checked to be scalars already.
  for (const [, string, colon] of json.matchAll(/("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|[^"]+/g)) {
    if (string === undefined || colon === undefined) continue;
    const key = JSON.parse(string) as string;
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
  }
  return [...duplicates];
}

async function readSigParams(file: string, cwd: string): Promise<Record<string, string>> {
  const shown = foreignText(file, 100);
  const text = (await readInputFile(file, cwd, "--sig-params", MAX_PARAMS_BYTES)).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--sig-params ${shown}: not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--sig-params ${shown}: expected a JSON object of the request's parameters`);
  // No prototype: `__proto__`, `constructor` and `prototype` are parameters like any other, and are signed.
  const params = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") params[key] = value;
    else if (typeof value === "number" || typeof value === "boolean") params[key] = String(value);
    else
      throw new UsageError(
        `--sig-params ${shown}: parameter "${foreignText(key, 64)}" is not a string or number`,
      );
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0)
    throw new UsageError(
      `--sig-params ${shown}: parameter ${duplicates.map((key) => `"${foreignText(key, 64)}"`).join(", ")} appears more than once`,
      "a request with a repeated parameter is ambiguous: keep the parameters exactly as received, once each",
    );
  return params;
}

async function verifySig(values: Values, io: CliIo, secret: string, checks: Checks): Promise<Outcome> {
  const algorithm = str(values.algorithm)?.toLowerCase() ?? "";
  const params = await readSigParams(str(values["sig-params"]) ?? "", io.cwd);
  if (!params.sig) return { ok: false, reason: "missing-sig", message: "the parameters have no sig" };
  if (!verifySignedRequest(params, secret, algorithm as SignatureAlgorithm)) {
    return {
      ok: false,
      reason: "bad-signature",
      message: `sig does not match the parameters under the signature secret (${algorithm})`,
    };
  }
  const { tolerance, now } = checks;
  const timestamp = params.timestamp;
  if (timestamp === undefined) {
    // Without a timestamp a captured request verifies forever: stale unless the operator says it may be.
    if (!values["allow-no-timestamp"])
      return {
        ok: false,
        reason: "missing-timestamp",
        message:
          "the parameters have no timestamp, so their freshness cannot be checked (pass --allow-no-timestamp to accept a signature without it)",
      };
  } else {
    const age = /^\d{1,12}$/.test(timestamp) ? now.getTime() / 1000 - Number(timestamp) : Number.NaN;
    if (Number.isNaN(age))
      return {
        ok: false,
        reason: "timestamp-out-of-tolerance",
        message: "timestamp is not a number of seconds",
      };
    if (Math.abs(age) > tolerance)
      return {
        ok: false,
        reason: "timestamp-out-of-tolerance",
        message: `timestamp is ${Math.round(Math.abs(age))} s ${age >= 0 ? "old" : "in the future"} (tolerance ${tolerance} s)`,
      };
  }
  const { sig: _sig, ...claims } = params;
  return { ok: true, claims };
}

/** JSON whose strings carry no character a terminal acts on: JSON.stringify leaves C1 and bidi controls raw. */
function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export default async function verifyCallback(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument "${foreignText(positionals[0] ?? "", 64)}"`,
      "pass the body with --body-file",
    );
  const sigMode = values["sig-params"] !== undefined;
  if (!sigMode && values.algorithm !== undefined)
    throw new UsageError("--algorithm applies to --sig-params only (JWT callbacks are always HS256)");
  if (!sigMode && values["allow-no-timestamp"] !== undefined)
    throw new UsageError(
      "--allow-no-timestamp applies to --sig-params only (a JWT callback without iat is always invalid)",
    );
  if (!sigMode && values["body-file"] === undefined)
    throw new UsageError(
      "nothing to verify: pass --body-file with --token/--header, or --sig-params with --algorithm",
      "vonage-ir verify-callback --help",
    );
  if (sigMode) {
    for (const flag of ["body-file", "token", "header", "api-key", "application-id"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --sig-params`);
    }
    const algorithm = str(values.algorithm)?.toLowerCase();
    if (algorithm === undefined || !(SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm))
      throw new UsageError(
        `--algorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")}${algorithm === undefined ? "" : `, not "${foreignText(algorithm, 40)}"`}`,
        "the dashboard's Settings → signature method",
      );
  } else if ((values.token === undefined) === (values.header === undefined)) {
    throw new UsageError("pass exactly one of --token <JWT> or --header 'Bearer <JWT>'");
  }
  const tolerance =
    parseSeconds(str(values.tolerance), "--tolerance", "seconds", MAX_TOLERANCE_SECONDS) ??
    DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = parseSeconds(str(values.now), "--now", "a Unix time in seconds", MAX_NOW_SECONDS);
  const now = nowSeconds === undefined ? new Date() : new Date(nowSeconds * 1000);
  // Flags are checked before the secret is read, so a usage error never consumes stdin.
  const secret = await readSignatureSecret(values, io);
  const checks = { now, tolerance };
  const outcome = sigMode
    ? await verifySig(values, io, secret, checks)
    : await verifyJwt(values, io, secret, checks);
  // Claims and messages carry what the sender put in the token or the request: shown sanitised and bounded.
  if (values.json) {
    io.stdout.write(
      `${terminalSafeJson(outcome.ok ? { v: 1, valid: true, claims: outcome.claims } : { v: 1, valid: false, reason: outcome.reason, message: foreignText(outcome.message, 500) })}\n`,
    );
  } else if (outcome.ok) {
    io.stdout.write(
      `valid\n${Object.entries(outcome.claims)
        .map(([key, value]) => `  ${foreignText(key, 64)}: ${foreignText(value)}\n`)
        .join("")}`,
    );
  } else {
    io.stdout.write(`invalid: ${outcome.reason}: ${foreignText(outcome.message, 500)}\n`);
  }
  return outcome.ok ? ExitCode.ok : ExitCode.stepFailed;
}
