// One error taxonomy for the whole tool. Errors are thrown where they are found and turned into text and an
// exit code exactly once, in cli/ (see docs in README "Exit codes").

export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  manualPending: 3,
  refused: 4,
  aborted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class VonageIrError extends Error {
  abstract readonly exitCode: ExitCode;
  /** One line that tells the operator what to do next. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Wrong flags, missing arguments, a missing terminal: nothing was changed. */
export class UsageError extends VonageIrError {
  readonly exitCode = ExitCode.usage;
}

export interface ValidationIssue {
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  /** Dotted path inside the document, e.g. `steps[2].with.revoke`. */
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** A malformed runbook, config, plan file or journal: names file, line and path. Nothing was changed. */
export class ValidationError extends VonageIrError {
  readonly exitCode = ExitCode.usage;
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], hint?: string) {
    super(issues.map(formatIssue).join("\n"), hint);
    this.issues = issues;
  }
}

/** A change failed while applying; the run is resumable. */
export class StepFailedError extends VonageIrError {
  readonly exitCode = ExitCode.stepFailed;
  readonly stepId: string;
  readonly changeId: string | undefined;
  constructor(stepId: string, changeId: string | undefined, cause: unknown, hint?: string) {
    super(
      `step ${stepId}${changeId ? ` (change ${changeId})` : ""} failed: ${messageOf(cause)}`,
      hint ?? hintOf(cause),
      { cause },
    );
    this.stepId = stepId;
    this.changeId = changeId;
  }
}

/** Live state no longer matches what a change was planned against (an attacker may still be active). */
export class DriftError extends VonageIrError {
  readonly exitCode = ExitCode.refused;
}

/** Another run holds the account's lock. */
export class LockError extends VonageIrError {
  readonly exitCode = ExitCode.refused;
}

/** The operator aborted (Ctrl-C, "abort" at a prompt). The journal is consistent and the run resumable. */
export class AbortError extends VonageIrError {
  readonly exitCode = ExitCode.aborted;
}

/**
 * The disk refused a write (full, over quota, or failing). Nothing was sent after the write that failed: the
 * run stops, and resumes once there is space.
 */
export class StorageError extends VonageIrError {
  readonly exitCode = ExitCode.stepFailed;
}

const DISK_ERRORS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EIO: "the disk reported an input/output error",
};

/** What a disk error (ENOSPC, EDQUOT, EIO) in `error` or its causes means, or undefined for any other error. */
export function diskProblemOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code in DISK_ERRORS) return `${DISK_ERRORS[code]} (${code})`;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A bug in vonage-ir. */
export class InternalError extends VonageIrError {
  readonly exitCode = ExitCode.stepFailed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(
      message,
      "this is a bug in vonage-ir: please report it with the journal (it holds no secrets)",
      options,
    );
  }
}

/**
 * A Vonage API call failed. The message carries Vonage's title/detail and never the request (the SDK's error
 * object holds the Authorization header; the gateway builds this from status and body only).
 */
export type VonageErrorKind =
  | "auth"
  | "forbidden"
  | "not-found"
  | "validation"
  | "limit"
  | "rate-limited"
  | "server"
  | "unreachable"
  | "timeout"
  | "other";

export class VonageApiError extends VonageIrError {
  readonly exitCode = ExitCode.stepFailed;
  readonly kind: VonageErrorKind;
  readonly status: number | undefined;
  /** The `type` of an RFC 7807 body (e.g. `...#delete-last-secret`), or the `error-code` of rest.nexmo.com. */
  readonly type: string | undefined;
  readonly operation: string;
  constructor(init: {
    kind: VonageErrorKind;
    operation: string;
    message: string;
    status?: number | undefined;
    type?: string | undefined;
    hint?: string | undefined;
  }) {
    super(init.message, init.hint);
    this.kind = init.kind;
    this.status = init.status;
    this.type = init.type;
    this.operation = init.operation;
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function hintOf(error: unknown): string | undefined {
  return error instanceof VonageIrError ? error.hint : undefined;
}
