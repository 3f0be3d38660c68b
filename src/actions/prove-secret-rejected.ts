// After the old API secrets are revoked: the secret this run started with (the operator's, and the attacker's
// copy of it) must answer 401, through the gateway. Vonage may take a moment to forget a revoked secret, so the
// check is repeated for the propagation window (`secrets.propagationSeconds`) before it fails.
import { fingerprint } from "../security/index.js";
import type { ActionContext, ApplyOutcome } from "./action.js";
import type { ChangeDraft, JsonObject } from "../core/plan.js";

/** Between two attempts while the revoke propagates. */
const RETRY_MS = 2000;

export function proveRejectedDraft(
  apiKey: string,
  base: JsonObject,
  propagationSeconds: number,
  dependsOn: string[],
): ChangeDraft {
  return {
    id: `${apiKey}/prove-old-rejected`,
    kind: "verify",
    target: `the old API secret of ${apiKey}`,
    reversible: true,
    idempotent: true,
    params: { ...base, role: "prove-rejected", propagationSeconds },
    dependsOn,
  };
}

export function describeProveRejected(change: ChangeDraft): string {
  const seconds = change.params.propagationSeconds;
  return `prove the secret this run started with is rejected (401) for ${String(change.params.apiKey)} (retried for ${typeof seconds === "number" ? seconds : 30} s)`;
}

export interface ProveInput {
  apiKey: string;
  newSecret: string;
  propagationSeconds: number;
  /** When the new secret was proven to work (ISO-8601), for the measured time to the old one's rejection. */
  provenAt: string | undefined;
}

function notProvable(reason: string): ApplyOutcome {
  return { status: "done", output: { rejected: null, reason }, note: `not proven: ${reason}` };
}

export async function proveSecretRejected(ctx: ActionContext, input: ProveInput): Promise<ApplyOutcome> {
  const old = ctx.operatorSecret;
  if (old === undefined) return notProvable("the secret this run started with is not known to this process");
  if (old === input.newSecret)
    return notProvable(
      "this process was started with the new secret, so the old one's value is not known here (it was listed as revoked)",
    );
  const started = ctx.clock.now().getTime();
  const deadline = started + input.propagationSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const works = await ctx.gateway.checkCredentials({ apiKey: input.apiKey, apiSecret: old });
    const now = ctx.clock.now();
    if (!works) return rejected(input, now, attempt);
    if (now.getTime() >= deadline) {
      throw new Error(
        `the old API secret of ${input.apiKey} (fingerprint ${fingerprint(old)}) still authenticates ${Math.round((now.getTime() - started) / 1000)} s after it was revoked: Vonage may need longer (resume to check again, or raise secrets.propagationSeconds); if it persists, contact Vonage support`,
      );
    }
    await ctx.clock.sleep(Math.min(RETRY_MS, deadline - now.getTime()), ctx.signal);
  }
}

function rejected(input: ProveInput, now: Date, attempts: number): ApplyOutcome {
  const proven = input.provenAt === undefined ? Number.NaN : Date.parse(input.provenAt);
  const sinceProvenMs = Number.isNaN(proven) ? undefined : now.getTime() - proven;
  return {
    status: "done",
    output: {
      rejected: true,
      attempts,
      rejectedAt: now.toISOString(),
      ...(sinceProvenMs === undefined ? {} : { sinceProvenMs }),
    },
    note:
      sinceProvenMs === undefined
        ? "the old secret answers 401"
        : `the old secret answers 401, ${(sinceProvenMs / 1000).toFixed(1)} s after the new one was proven`,
  };
}
