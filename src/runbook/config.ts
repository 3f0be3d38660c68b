// The config file (`--config vonage-ir.yaml`): values for a runbook's inputs (nested maps or dotted keys,
// e.g. `secrets: { revokeFirst: ... }` = `secrets.revokeFirst`), attestations of manual steps, and a few
// run settings. Validated against the runbook's declared inputs with file:line:path errors.
import { createHash } from "node:crypto";
import { z } from "zod";
import { UsageError, ValidationError, type ValidationIssue } from "../core/errors.js";
import type { Attestation } from "../actions/action.js";
import type { InputSpec, Runbook } from "./schema.js";
import {
  describeValue,
  echoKey,
  parseYamlSource,
  zodIssues,
  type PathSegment,
  type YamlSource,
} from "./yaml-source.js";
import { MiB, readUserFile } from "../io/read-user-file.js";
import { INSTANT_HINT, parseInstant } from "./parse-instant.js";
import { deliverSchema, verifySchema, type DeliveryConfig } from "../actions/delivery-config.js";

export const RESERVED_CONFIG_KEYS = [
  "runbook",
  "out",
  "concurrency",
  "attest",
  "notify",
  "deliver",
  "verify",
] as const;

/** `notify:` in the config: where a run POSTs its events (the URL is a secret: never echoed in a message). */
export interface NotifyConfig {
  url: string;
  format: "json" | "slack";
  timeoutSeconds: number | undefined;
}

export interface RunConfig {
  file: string | undefined;
  runbook: string | undefined;
  out: string | undefined;
  concurrency: number | undefined;
  /** Input values given by the config, keyed by input name. */
  values: Record<string, unknown>;
  attest: Record<string, Attestation>;
  /** Where new credentials go and the service checks before an old one is revoked (`deliver:`, `verify:`). */
  delivery: DeliveryConfig | undefined;
  /**
   * Canonical text of the inputs the config gives, hashed into the journal and a saved plan. Attestations are
   * not in it: adding `attest:` entries after an exit 3 and resuming is how an unattended run closes manual steps.
   */
  canonical: string;
  /** A digest per input the config gives, journaled so a resume names the input that changed. */
  inputDigests: Record<string, string>;
  notify?: NotifyConfig | undefined;
}

/** How far ahead of this machine's clock a date may be (another machine's clock, a typed minute). */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The input whose value is when the incident began: attestations dated before it need a note. */
export const COMPROMISED_SINCE = "compromisedSince";

/** When a config is checked: now, and for a resume when the run first started. */
export interface ConfigTime {
  now: Date;
  runStartedAt?: string | undefined;
}

/** A point in time as a person types it (see parse-instant.ts), resolved to the instant the tool uses. */
const instantSchema = z.string({ error: INSTANT_HINT }).transform((text, ctx) => {
  const instant = parseInstant(text);
  if (instant !== undefined) return instant;
  ctx.addIssue({ code: "custom", message: INSTANT_HINT });
  return z.NEVER;
});

const attestationSchema = z.strictObject({
  by: z.string().trim().min(1, "who did the step: a name or email"),
  at: instantSchema,
  note: z.string().optional(),
  evidence: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
});

const settingsSchema = z.object({
  runbook: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  attest: z.record(z.string(), attestationSchema).optional(),
  notify: z
    .strictObject({
      // The message never quotes the value: the URL is a credential.
      url: z
        .string({ error: "an http(s) URL" })
        .refine(isHttpUrl, { error: "must be an http:// or https:// URL" }),
      format: z.enum(["json", "slack"]).default("json"),
      timeoutSeconds: z.number().min(0.1).max(60).optional(),
    })
    .optional(),
  deliver: deliverSchema.optional(),
  verify: verifySchema.optional(),
});

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export function inputValueSchema(spec: InputSpec): z.ZodType {
  switch (spec.type) {
    case "string":
      return z.string();
    case "number":
      return z.number();
    case "boolean":
      return z.boolean();
    case "datetime":
      return instantSchema;
    case "enum":
      return z.enum(spec.values as [string, ...string[]]);
    case "list":
      return z.array(z.string());
  }
}

export async function readConfigSource(file: string): Promise<YamlSource> {
  const read = await readUserFile(file, MiB);
  if ("problem" in read) throw new UsageError(`cannot read config ${file}: ${read.problem}`);
  return parseYamlSource(file, read.bytes.toString("utf8"));
}

/** The `runbook:` a config names, read before the runbook is loaded. */
export function configRunbook(source: YamlSource): string | undefined {
  return configSetting(source, "runbook");
}

/** The `out:` a config names, read before the runbook is loaded (a resume finds its journal there). */
export function configOut(source: YamlSource): string | undefined {
  return configSetting(source, "out");
}

function configSetting(source: YamlSource, key: "runbook" | "out"): string | undefined {
  const data = source.data;
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const value = (data as Record<string, unknown>)[key];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

export function emptyConfig(): RunConfig {
  return {
    file: undefined,
    runbook: undefined,
    out: undefined,
    concurrency: undefined,
    values: {},
    attest: {},
    delivery: undefined,
    canonical: canonicalJson({ values: {} }),
    inputDigests: {},
  };
}

type Settings = z.infer<typeof settingsSchema>;
type StepsById = ReadonlyMap<string, Runbook["steps"][number]>;

/**
 * Pure: the config checked against the runbook, every problem at once (file:line:path). Phases: the run settings,
 * the input values, each attestation's step and evidence, the date-time inputs, each attestation's date.
 */
export function validateConfig(
  source: YamlSource,
  runbook: Runbook,
  time: ConfigTime = { now: new Date() },
): RunConfig {
  const data = source.data ?? {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ValidationError([source.issue([], "a config file must be a map of keys to values")]);
  }
  const issues: ValidationIssue[] = [];
  const record = data as Record<string, unknown>;
  const settings = parseSettings(source, record, issues);
  const values = inputValues(source, runbook, record, issues);
  const steps: StepsById = new Map(runbook.steps.map((s) => [s.id, s]));
  const attested = settings?.attest ?? {};
  checkAttestedSteps(source, runbook, steps, attested, issues);
  const future = futureInputIssues(source, runbook, values, time.now);
  issues.push(...future);
  // A compromisedSince refused as in the future is one error, not one more per attestation.
  const since = future.some((i) => i.path === COMPROMISED_SINCE) ? undefined : values[COMPROMISED_SINCE];
  const attest = datedAttestations(source, steps, attested, since, time, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return runConfig(source, settings, values, attest);
}

/** The reserved keys (runbook, out, attest, notify, ...); undefined when they do not validate. */
function parseSettings(
  source: YamlSource,
  record: Record<string, unknown>,
  issues: ValidationIssue[],
): Settings | undefined {
  const settings = settingsSchema.safeParse(
    Object.fromEntries(
      RESERVED_CONFIG_KEYS.filter((k) => k in record).map((k) => [
        k,
        k === "attest" ? evidenceAsWritten(source, record[k]) : record[k],
      ]),
    ),
  );
  if (!settings.success) issues.push(...zodIssues(source, settings.error.issues));
  return settings.data;
}

/** The values of the runbook's inputs, each key dotted (`a.b: 1`) or nested (`a: { b: 1 }`) but not both. */
function inputValues(
  source: YamlSource,
  runbook: Runbook,
  record: Record<string, unknown>,
  issues: ValidationIssue[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const walk = (value: unknown, path: string[]) => {
    const name = path.join(".");
    const spec = runbook.inputs[name];
    if (spec && given.has(name)) {
      issues.push(
        source.issue(path as PathSegment[], `"${echoKey(name)}" is given twice (dotted and nested)`, true),
      );
      return;
    }
    if (spec) {
      given.add(name);
      const parsed = inputValueSchema(spec).safeParse(asWritten(source, spec, value, path));
      if (parsed.success) values[name] = parsed.data;
      else issues.push(...zodIssues(source, parsed.error.issues, path));
      return;
    }
    const grouped = Object.keys(runbook.inputs).filter((input) => input.startsWith(`${name}.`));
    // A group whose keys are all commented out (`applications:` alone) gives nothing: not an error.
    if (grouped.length > 0 && value === null) return;
    if (grouped.length > 0 && value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
      return;
    }
    if (grouped.length > 0) {
      issues.push(
        source.issue(
          path as PathSegment[],
          `expected a map of ${grouped.join(", ")}, received ${describeValue(value, path)}`,
        ),
      );
      return;
    }
    issues.push(
      source.issue(
        path as PathSegment[],
        `unknown key "${echoKey(name)}": runbook ${runbook.id} has no such input (inputs: ${Object.keys(runbook.inputs).join(", ") || "none"})`,
        true,
      ),
    );
  };
  for (const [key, value] of Object.entries(record)) {
    if ((RESERVED_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    walk(value, [key]);
  }
  return values;
}

/** Each attested step exists, and its evidence meets the same pattern an operator's answer must. */
function checkAttestedSteps(
  source: YamlSource,
  runbook: Runbook,
  steps: StepsById,
  attested: NonNullable<Settings["attest"]>,
  issues: ValidationIssue[],
): void {
  for (const [stepId, attestation] of Object.entries(attested)) {
    const step = steps.get(stepId);
    if (!step) {
      issues.push(
        source.issue(["attest", stepId], `no step "${echoKey(stepId)}" in runbook ${runbook.id}`, true),
      );
      continue;
    }
    // Attested evidence meets the same pattern an operator's answer must (the runbook rules compiled it).
    for (const field of step.manual?.evidence ?? []) {
      const value = attestation.evidence?.[field.id];
      if (value === undefined || field.pattern === undefined) continue;
      if (!new RegExp(field.pattern).test(value.trim())) {
        issues.push(source.issue(["attest", stepId, "evidence", field.id], `must match ${field.pattern}`));
      }
    }
  }
}

/** The attestations of known steps whose dates hold (or are explained by a note), marked when before the run. */
function datedAttestations(
  source: YamlSource,
  steps: StepsById,
  attested: NonNullable<Settings["attest"]>,
  since: unknown,
  time: ConfigTime,
  issues: ValidationIssue[],
): Record<string, Attestation> {
  const attest: Record<string, Attestation> = {};
  for (const [stepId, a] of Object.entries(attested)) {
    if (!steps.has(stepId)) continue;
    const dated = attestationDateRule(a, since, time);
    if (dated && (dated.always || a.note === undefined || a.note.trim() === "")) {
      issues.push(source.issue(["attest", stepId, "at"], dated.message));
      continue;
    }
    attest[stepId] = {
      by: a.by,
      at: a.at,
      note: a.note,
      evidence: a.evidence,
      ...(dated ? { beforeRun: dated.label } : {}),
    };
  }
  return attest;
}

/** The validated config as a run uses it, with the canonical text and digests of what it gives. */
function runConfig(
  source: YamlSource,
  settings: Settings | undefined,
  values: Record<string, unknown>,
  attest: Record<string, Attestation>,
): RunConfig {
  const delivery = deliveryOf(settings?.deliver, settings?.verify);
  return {
    file: source.file,
    runbook: settings?.runbook,
    out: settings?.out,
    concurrency: settings?.concurrency,
    values,
    attest,
    delivery,
    canonical: canonicalJson(delivery ? { values, delivery } : { values }),
    inputDigests: {
      ...digestInputs(values),
      ...(delivery ? digestInputs({ deliver: delivery.targets, verify: delivery.checks }) : {}),
    },
    notify: settings?.notify && {
      url: settings.notify.url,
      format: settings.notify.format,
      timeoutSeconds: settings.notify.timeoutSeconds,
    },
  };
}

/** Undefined when the config configures neither: the run behaves as before delivery existed. */
function deliveryOf(
  targets: DeliveryConfig["targets"] | undefined,
  checks: DeliveryConfig["checks"] | undefined,
): DeliveryConfig | undefined {
  if (!targets?.length && !checks?.length) return undefined;
  return { targets: targets ?? [], checks: checks ?? [] };
}

/** One digest per input value, so a resume can say which input changed without journaling the values. */
export function digestInputs(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16),
    ]),
  );
}

/** A date-time input is when something happened (the compromise began): one in the future is a typo. */
function futureInputIssues(
  source: YamlSource,
  runbook: Runbook,
  values: Record<string, unknown>,
  now: Date,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    const value = values[name];
    if (spec.type !== "datetime" || typeof value !== "string") continue;
    if (Date.parse(value) > now.getTime() + CLOCK_SKEW_MS) {
      issues.push(
        source.issue(
          name.split(".") as PathSegment[],
          `${value} is in the future (now is ${isoSeconds(now)}): it says when something happened; check the date and its zone`,
        ),
      );
    }
  }
  return issues;
}

/**
 * Why an attestation's date is suspect, if it is: in the future (never accepted: nobody can have done it yet),
 * before the compromise began or before the run first started (accepted only with a `note` saying why).
 */
function attestationDateRule(
  attestation: { at: string },
  compromisedSince: unknown,
  time: ConfigTime,
): { message: string; label: string; always: boolean } | undefined {
  const at = Date.parse(attestation.at);
  if (at > time.now.getTime() + CLOCK_SKEW_MS) {
    return {
      always: true,
      label: "",
      message: `${attestation.at} is in the future (now is ${isoSeconds(time.now)}, 5 minutes of clock skew allowed): attest a step once it is done, with the time it was done`,
    };
  }
  const noteHint =
    "add `note:` saying why it still counts (the report then shows it as attested before the run), or attest it with the time it was done during the run";
  if (typeof compromisedSince === "string" && at < Date.parse(compromisedSince)) {
    return {
      always: false,
      label: `attested before the run (dated before compromisedSince ${compromisedSince})`,
      message: `${attestation.at} is before compromisedSince (${compromisedSince}): what was done before the compromise began does not contain it; ${noteHint}`,
    };
  }
  const started = time.runStartedAt ?? isoSeconds(time.now);
  if (at < Date.parse(started) - CLOCK_SKEW_MS) {
    const which = time.runStartedAt
      ? `before the run started (${started})`
      : `before this run (now is ${started})`;
    return {
      always: false,
      label: "attested before the run",
      message: `${attestation.at} is ${which}: a step attested before the run may be stale or copied from an example; ${noteHint}`,
    };
  }
  return undefined;
}

function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Evidence is text as written: a phone ending "0123" must not become the number 123. */
function evidenceAsWritten(source: YamlSource, attest: unknown): unknown {
  if (!attest || typeof attest !== "object" || Array.isArray(attest)) return attest;
  return Object.fromEntries(
    Object.entries(attest).map(([stepId, a]) => {
      const evidence = a && typeof a === "object" ? (a as Record<string, unknown>).evidence : undefined;
      if (!evidence || typeof evidence !== "object" || Array.isArray(evidence)) return [stepId, a];
      const written = Object.fromEntries(
        Object.entries(evidence).map(([field, v]) => [
          field,
          typeof v === "number" ? (source.scalarText(["attest", stepId, "evidence", field]) ?? v) : v,
        ]),
      );
      return [stepId, { ...(a as Record<string, unknown>), evidence: written }];
    }),
  );
}

/** Text inputs keep what was written: an all-digit API key like 15749124 is text, not a number. */
function asWritten(source: YamlSource, spec: InputSpec, value: unknown, path: string[]): unknown {
  const text = (at: PathSegment[], v: unknown) => (typeof v === "number" ? (source.scalarText(at) ?? v) : v);
  if (spec.type === "string") return text(path, value);
  if (spec.type === "list" && Array.isArray(value)) return value.map((v, i) => text([...path, i], v));
  return value;
}

export interface ResolvedInputs {
  values: Record<string, unknown>;
  missing: { name: string; spec: InputSpec }[];
}

/** Config values over defaults; required inputs without a value are listed as missing. */
export function resolveInputs(runbook: Runbook, config: RunConfig): ResolvedInputs {
  const values: Record<string, unknown> = {};
  const missing: ResolvedInputs["missing"] = [];
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    const value = config.values[name] ?? spec.default;
    if (value !== undefined) values[name] = value;
    else if (spec.required) missing.push({ name, spec });
  }
  return { values, missing };
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
