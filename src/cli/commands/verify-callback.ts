// `vonage-ir verify-callback`: checks one captured callback, a signed JWT callback (body file + token) or a signed
// request (`sig` parameters), with the signature secret from the environment or stdin, never from argv.
import { resolve } from "node:path";
import { ExitCode, UsageError } from "../../engine/errors.js";
import { registerSecret } from "../../io/redact.js";
import { MiB, readUserFile } from "../../io/read-user-file.js";
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
import type { Values } from "../main.js";
import { readStdinSecret } from "../session.js";

type Outcome = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string; message: string };

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function parseSeconds(value: string | undefined, flag: string, options: { min: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < options.min)
    throw new UsageError(
      `${flag} must be a number of seconds${options.min > 0 ? " > 0" : ""}, not "${value}"`,
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

async function readInputFile(path: string, cwd: string, flag: string): Promise<Buffer> {
  // A captured callback body or request is a few KiB; the limit only stops a device or a runaway file.
  const read = await readUserFile(resolve(cwd, path), 16 * MiB);
  if ("problem" in read) throw new UsageError(`${flag} ${path}: cannot read the file (${read.problem})`);
  return read.bytes;
}

async function verifyJwt(values: Values, io: CliIo, secret: string, now: Date): Promise<Outcome> {
  const bodyFile = str(values["body-file"]) ?? "";
  const token = str(values.token);
  const header = str(values.header);
  // The body is hashed exactly as captured: re-serialised JSON would not match payload_hash.
  const rawBody = await readInputFile(bodyFile, io.cwd, "--body-file");
  const tolerance = parseSeconds(str(values.tolerance), "--tolerance", { min: 0 });
  const apiKey = str(values["api-key"]);
  const applicationId = str(values["application-id"]);
  const result: VerifyResult = await verifySignedCallback({
    authorization: header ?? `Bearer ${token ?? ""}`,
    rawBody,
    signatureSecret: secret,
    now,
    // One invocation sees one token: a fresh store (replay protection needs a long-lived verifier).
    replayStore: new MemoryReplayStore(),
    ...(tolerance === undefined ? {} : { toleranceSeconds: tolerance }),
    ...(apiKey === undefined ? {} : { expectedApiKey: apiKey }),
    ...(applicationId === undefined ? {} : { expectedApplicationId: applicationId }),
  });
  return result.ok ? { ok: true, claims: result.claims } : result;
}

async function verifySig(values: Values, io: CliIo, secret: string, now: Date): Promise<Outcome> {
  const algorithm = str(values.algorithm)?.toLowerCase() ?? "";
  const file = str(values["sig-params"]) ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readInputFile(file, io.cwd, "--sig-params")).toString("utf8"));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--sig-params ${file}: not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--sig-params ${file}: expected a JSON object of the request's parameters`);
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") params[key] = value;
    else if (typeof value === "number" || typeof value === "boolean") params[key] = String(value);
    else throw new UsageError(`--sig-params ${file}: parameter "${key}" is not a string or number`);
  }
  if (!params.sig) return { ok: false, reason: "missing-sig", message: "the parameters have no sig" };
  if (!verifySignedRequest(params, secret, algorithm as SignatureAlgorithm)) {
    return {
      ok: false,
      reason: "bad-signature",
      message: `sig does not match the parameters under the signature secret (${algorithm})`,
    };
  }
  const tolerance =
    parseSeconds(str(values.tolerance), "--tolerance", { min: 0 }) ?? DEFAULT_TOLERANCE_SECONDS;
  if (params.timestamp !== undefined) {
    const age = now.getTime() / 1000 - Number(params.timestamp);
    if (!Number.isFinite(age) || Math.abs(age) > tolerance) {
      return {
        ok: false,
        reason: "timestamp-out-of-tolerance",
        message: Number.isFinite(age)
          ? `timestamp is ${Math.round(Math.abs(age))} s ${age >= 0 ? "old" : "in the future"} (tolerance ${tolerance} s)`
          : "timestamp is not a number of seconds",
      };
    }
  }
  const { sig: _sig, ...claims } = params;
  return { ok: true, claims };
}

export default async function verifyCallback(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0] ?? ""}"`, "pass the body with --body-file");
  const sigMode = values["sig-params"] !== undefined;
  if (!sigMode && values.algorithm !== undefined)
    throw new UsageError("--algorithm applies to --sig-params only (JWT callbacks are always HS256)");
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
        `--algorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")}${algorithm === undefined ? "" : `, not "${algorithm}"`}`,
        "the dashboard's Settings → signature method",
      );
  } else if ((values.token === undefined) === (values.header === undefined)) {
    throw new UsageError("pass exactly one of --token <JWT> or --header 'Bearer <JWT>'");
  }
  parseSeconds(str(values.tolerance), "--tolerance", { min: 0 });
  const nowSeconds = parseSeconds(str(values.now), "--now", { min: 0 });
  const now = nowSeconds === undefined ? new Date() : new Date(nowSeconds * 1000);
  // Flags are checked before the secret is read, so a usage error never consumes stdin.
  const secret = await readSignatureSecret(values, io);
  const outcome = sigMode
    ? await verifySig(values, io, secret, now)
    : await verifyJwt(values, io, secret, now);
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(outcome.ok ? { v: 1, valid: true, claims: outcome.claims } : { v: 1, valid: false, reason: outcome.reason, message: outcome.message })}\n`,
    );
  } else if (outcome.ok) {
    io.stdout.write(
      `valid\n${Object.entries(outcome.claims)
        .map(([key, value]) => `  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`)
        .join("")}`,
    );
  } else {
    io.stdout.write(`invalid: ${outcome.reason}: ${outcome.message}\n`);
  }
  return outcome.ok ? ExitCode.ok : ExitCode.stepFailed;
}
