// Manual changes: things with no API (dashboard users, MFA contacts, ...). Interactive: the operator answers
// done / skip (reason required) / abort and gives the evidence asked for; an optional verifier checks the
// result. Non-interactive: done only when the config attests it (who, when, note), otherwise pending.
import { z } from "zod";
import { AbortError } from "../core/errors.js";
import type { Prompter } from "../io/prompter.js";
import type { Action, ActionContext, ApplyOutcome, Attestation, Registry, Verifier } from "./action.js";
import type { Change, EvidenceField, JsonObject, ManualSpec } from "../core/plan.js";

export const manualParams = z.strictObject({
  title: z.string(),
  instructions: z.string(),
  evidence: z
    .array(
      z.strictObject({
        id: z.string(),
        label: z.string(),
        required: z.boolean(),
        pattern: z.string().optional(),
      }),
    )
    .default([]),
  verify: z.string().optional(),
});
export type ManualParams = z.infer<typeof manualParams>;

/** Runs one manual change: prompts (interactive) or reads the step's attestation (non-interactive). */
export async function runManualChange(
  ctx: ActionContext,
  change: Change,
  verifiers: Registry["verifiers"],
): Promise<ApplyOutcome> {
  const spec = change.manual;
  if (!spec) return { status: "done" };
  const verifier = spec.verify === undefined ? undefined : verifiers.get(spec.verify);

  const prompter = ctx.prompter;
  const attestation = ctx.attestations[change.stepId];
  const missing = spec.evidence.filter((f) => f.required && !attestation?.evidence?.[f.id]);

  // An attestation in the config settles the step in any mode (a person did it and said so in advance).
  if (attestation && missing.length === 0) {
    const settled = await settleByAttestation(ctx, change, attestation, verifier);
    if (settled) return settled;
  }
  if (!prompter) return unattendedOutcome(ctx, change, attestation, missing, verifier);
  return askOperator(ctx, change, spec, prompter, verifier);
}

/**
 * A complete attestation from the config: done when the verifier (if any) agrees; when it does not, pending without
 * a prompter, else undefined (the operator is asked).
 */
async function settleByAttestation(
  ctx: ActionContext,
  change: Change,
  attestation: Attestation,
  verifier: Verifier | undefined,
): Promise<ApplyOutcome | undefined> {
  const prompter = ctx.prompter;
  const verdict = verifier ? await verifier.verify(ctx) : undefined;
  if (!verdict || verdict.ok) {
    const early = attestation.beforeRun ? `, ${attestation.beforeRun}: ${attestation.note ?? ""}` : "";
    prompter?.say(
      `  ✔ ${change.target}: attested in the config by ${attestation.by} at ${attestation.at}${early}`,
    );
    return {
      status: "done",
      note: `attested by ${attestation.by}${early}`,
      output: attestationOutput(attestation, "config"),
    };
  }
  if (!prompter) return { status: "pending", reason: `attested, but verification failed: ${verdict.detail}` };
  prompter.say(`  ✖ attested in the config, but verification failed: ${verdict.detail}`);
  return undefined;
}

/** No one to ask: done only if the verifier proves it, else pending with what the config lacks. */
async function unattendedOutcome(
  ctx: ActionContext,
  change: Change,
  attestation: Attestation | undefined,
  missing: readonly EvidenceField[],
  verifier: Verifier | undefined,
): Promise<ApplyOutcome> {
  if (verifier) {
    const verdict = await verifier.verify(ctx);
    if (verdict.ok)
      return { status: "done", note: `verified: ${verdict.detail}`, output: { verified: verdict.detail } };
  }
  if (!attestation) {
    return {
      status: "pending",
      reason: `needs a person: attest it under "attest.${change.stepId}" in the config, or resume interactively`,
    };
  }
  return {
    status: "pending",
    reason: `the attestation lacks evidence: ${missing.map((f) => `attest.${change.stepId}.evidence.${f.id}`).join(", ")}`,
  };
}

/** The operator answers done (with the evidence, re-asked until the verifier agrees) / skip / later / abort. */
async function askOperator(
  ctx: ActionContext,
  change: Change,
  spec: ManualSpec,
  prompter: Prompter,
  verifier: Verifier | undefined,
): Promise<ApplyOutcome> {
  prompter.say(formatInstructions(change, spec));
  for (;;) {
    const answer = await prompter.select<"done" | "skip" | "later" | "abort">({
      message: `${change.target}: is it done?`,
      choices: [
        { value: "done", name: "Done", description: "I did this; record it (with the evidence asked for)" },
        {
          value: "skip",
          name: "Skip",
          description: "Not applicable or deliberately not done (a reason is required)",
        },
        {
          value: "later",
          name: "Later",
          description: "Leave it pending; the run can be resumed to finish it",
        },
        {
          value: "abort",
          name: "Abort the run",
          description: "Stop here; everything so far is kept and resumable",
        },
      ],
    });
    if (answer === "abort")
      throw new AbortError(
        "aborted by the operator at a manual step",
        `resume with: vonage-ir run --resume ${ctx.runId}`,
      );
    if (answer === "later") return { status: "pending", reason: "left for later by the operator" };
    if (answer === "skip") {
      const reason = await prompter.input({
        message: "Why is it skipped? (recorded in the journal and the report)",
        validate: (value) =>
          value.trim().length >= 3 ? true : "a reason of at least a few words is required",
      });
      return { status: "skipped", reason: reason.trim() };
    }
    const evidence: Record<string, string> = {};
    for (const field of spec.evidence) evidence[field.id] = await askEvidence(ctx, field);
    if (verifier) {
      const verdict = await verifier.verify(ctx);
      if (!verdict.ok) {
        prompter.say(`  ✖ verification failed: ${verdict.detail}`);
        continue;
      }
      prompter.say(`  ✔ verified: ${verdict.detail}`);
    }
    const attestation: Attestation = {
      by: ctx.operator ?? (await operatorName(prompter)),
      at: ctx.clock.now().toISOString(),
      evidence,
    };
    return {
      status: "done",
      note: `done by ${attestation.by}`,
      output: attestationOutput(attestation, "operator"),
    };
  }
}

/** Who is at the terminal: asked at the first attestation of a run, then reused. */
const operators = new WeakMap<Prompter, string>();

async function operatorName(prompter: Prompter): Promise<string> {
  const known = operators.get(prompter);
  if (known) return known;
  const name = (
    await prompter.input({
      message: "Your name or email (recorded with each step you attest in this run)",
      validate: (value) => (value.trim() ? true : "a name is required"),
    })
  ).trim();
  operators.set(prompter, name);
  return name;
}

async function askEvidence(ctx: ActionContext, field: EvidenceField): Promise<string> {
  const pattern = field.pattern === undefined ? undefined : new RegExp(field.pattern);
  const answer = await ctx.prompter!.input({
    message: field.label,
    validate: (value) => {
      const trimmed = value.trim();
      if (field.required && trimmed === "") return "required";
      if (pattern && trimmed !== "" && !pattern.test(trimmed))
        return `answer as the question asks (it must match ${field.pattern})`;
      return true;
    },
  });
  return answer.trim();
}

function attestationOutput(a: Attestation, source: "operator" | "config"): JsonObject {
  return {
    attestation: {
      by: a.by,
      at: a.at,
      ...(a.note === undefined ? {} : { note: a.note }),
      ...(a.beforeRun === undefined ? {} : { beforeRun: a.beforeRun }),
      evidence: a.evidence ?? {},
      source,
    },
  };
}

export function formatInstructions(change: Change, spec: ManualSpec): string {
  const indent = (text: string) =>
    text
      .trimEnd()
      .split("\n")
      .map((line) => `    ${line}`)
      .join("\n");
  const lines = [`\n  ! ${change.target}`, indent(spec.instructions)];
  if (spec.evidence.length > 0)
    lines.push(`    You will be asked for: ${spec.evidence.map((f) => f.label).join("; ")}`);
  return lines.join("\n");
}

export function manualDraft(stepId: string, title: string, spec: ManualSpec, id = "manual") {
  return {
    id,
    kind: "manual" as const,
    target: title,
    reversible: true,
    idempotent: true,
    params: { stepId },
    manual: spec,
  };
}

/** The action behind every `manual:` step of a runbook. */
export function createManualAction(verifiers: () => Registry["verifiers"]): Action<ManualParams> {
  return {
    id: "manual",
    title: "A manual step (instructions, evidence, optional verification)",
    why: "some containment has no API: a person must do it and say so",
    params: manualParams,
    async plan(ctx, params) {
      return {
        changes: [
          manualDraft(ctx.step.id, params.title, {
            instructions: params.instructions,
            evidence: params.evidence,
            verify: params.verify,
          }),
        ],
      };
    },
    describe: (change) => `manual: ${change.target}`,
    apply: (ctx, change) => runManualChange(ctx, change, verifiers()),
  };
}
