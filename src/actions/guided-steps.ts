// Guided steps that prepare something for the operator before the manual part: a signature-secret
// candidate (in the sink), an IP allow-listing request text, and a support-ticket draft built from the
// journal (checked to contain no secret).
import { join } from "node:path";
import { z } from "zod";
import { fingerprint } from "../security/fingerprint.js";
import { generateSignatureSecret } from "../security/generate-signature-secret.js";
import { writePrivateFile } from "../security/private-file.js";
import { InternalError } from "../core/errors.js";
import { redactText } from "../core/redact.js";
import type { Action, ActionContext } from "./action.js";
import type { JsonObject } from "../core/plan.js";
import { manualDraft, runManualChange } from "./manual.js";
import { trafficLines } from "./traffic-report.js";
import { buildReport } from "./build-report.js";

const SIGNATURE_SINK_NAME = "signature-secret-candidate";

/** Refuses to write text that contains any secret this process knows (belt and braces over redaction). */
async function writeChecked(path: string, text: string): Promise<void> {
  if (redactText(text) !== text)
    throw new InternalError(`refused to write ${path}: it would contain a secret`);
  await writePrivateFile(path, text);
}

export const rotateSignatureSecret: Action<Record<string, never>> = {
  id: "signature-secret.rotate",
  title: "Generate a signature-secret candidate and guide its rotation in the dashboard",
  why: "the signature secret signs webhooks; with it an attacker can forge callbacks your servers trust",
  params: z.strictObject({}),
  async plan(ctx) {
    return {
      changes: [
        manualDraft(ctx.step.id, "Set a new signature secret in the dashboard", {
          instructions: `A strong candidate (48 characters) is written to the run's secrets/ directory as
"${SIGNATURE_SINK_NAME}" (0600; it is never printed). In the Dashboard → API settings → "Signature secret":
paste it, keep the signing method (SHA-256 HMAC / JWT signed webhooks), and save. Then deploy it to every
service that verifies Vonage webhooks: Messages and Dispatch callbacks (signed JWT, on by default), Voice and
RTC callbacks of applications with signed_callbacks, and SMS inbound webhooks signed with "sig".
Until every verifier has the new secret, their signature checks fail: deploy first if you can.`,
          evidence: [],
        }),
      ],
    };
  },
  describe: () => "manual: set a new signature secret (candidate generated into the sink)",
  undo: () => ({
    kind: "irreversible",
    reason:
      "the signature secret was replaced in the dashboard: the old one may be the attacker's, and a compromised credential is never set back",
  }),
  async prepare(ctx) {
    const existing = (await ctx.sink.exists(SIGNATURE_SINK_NAME))
      ? await ctx.sink.read(SIGNATURE_SINK_NAME)
      : undefined;
    const value = existing ?? generateSignatureSecret();
    const written = existing
      ? { path: join(ctx.sink.dir, SIGNATURE_SINK_NAME), fingerprint: fingerprint(value) }
      : await ctx.sink.write(SIGNATURE_SINK_NAME, value);
    return { sinkName: SIGNATURE_SINK_NAME, path: written.path, fingerprint: written.fingerprint };
  },
  async apply(ctx, change, prepared) {
    ctx.prompter?.say(`    Candidate: ${String(prepared.path)} (${String(prepared.fingerprint)})`);
    const outcome = await runManualChange(ctx, change, new Map());
    if (outcome.status !== "done") return outcome;
    return {
      ...outcome,
      output: { ...outcome.output, path: prepared.path ?? null, fingerprint: prepared.fingerprint ?? null },
    };
  },
};

export function allowlistRequestText(account: string, addresses: readonly string[]): string {
  const list =
    addresses.length > 0
      ? addresses.map((a) => `  - ${a}`).join("\n")
      : "  - (fill in: the public IP addresses or CIDR ranges of our servers)";
  return `Subject: Please enable IP allow-listing for API key ${account}

Hello Vonage support,

our account (API key ${account}) was compromised and we have rotated its credentials. To make any leaked
credential useless from elsewhere, please restrict API access for this key (and its subaccounts) to these
addresses:

${list}

Requests from any other address should be rejected. Please confirm when it is active, and tell us how we
can change the list later.

Thank you.
`;
}

export const requestIpAllowlist: Action<{ addresses?: string[] | undefined }> = {
  id: "ip-allowlist.request",
  title: "Write the IP allow-listing request for Vonage support and guide sending it",
  why: "with an IP allow-list, a leaked secret is useless from anywhere else",
  params: z.strictObject({ addresses: z.array(z.string().min(1)).optional() }),
  async plan(ctx, params) {
    const addresses = params.addresses ?? [];
    const draft = manualDraft(ctx.step.id, "Send the IP allow-listing request to Vonage support", {
      instructions: `The request text is written to ip-allowlist-request.txt in the run directory${addresses.length === 0 ? " (no ipAllowlist in the config: fill in the addresses)" : ` for ${addresses.join(", ")}`}.
Send it from the Dashboard → Support (or help.nexmo.com → Submit a request), then record the ticket number.`,
      evidence: [
        {
          id: "ticket",
          label: "Support ticket number for the allow-listing request",
          required: true,
          pattern: "\\S",
        },
      ],
    });
    return { changes: [{ ...draft, params: { ...draft.params, addresses } }] };
  },
  describe: (change) =>
    `manual: request IP allow-listing (${Array.isArray(change.params.addresses) && change.params.addresses.length > 0 ? change.params.addresses.join(", ") : "addresses to fill in"})`,
  async prepare(ctx, change) {
    const addresses = Array.isArray(change.params.addresses) ? change.params.addresses.map(String) : [];
    const path = join(ctx.runDir, "ip-allowlist-request.txt");
    await writeChecked(path, allowlistRequestText(ctx.gateway.apiKey, addresses));
    return { path };
  },
  async apply(ctx, change, prepared) {
    ctx.prompter?.say(`    Request text: ${String(prepared.path)}`);
    return runManualChange(ctx, change, new Map());
  },
};

/** A support-ticket draft from the journal: what happened, what was done, when. No secret, by construction and by check. */
export async function supportTicketDraft(ctx: ActionContext): Promise<string> {
  const state = await ctx.journal.read();
  const report = buildReport(state, ctx.clock.now());
  const done = report.changes.filter(
    (c) => c.status === "done" && c.kind !== "manual" && c.kind !== "write-file",
  );
  const manual = report.changes.filter((c) => c.kind === "manual");
  const lines = [
    `Subject: Account compromise: API key ${report.account}: containment done, please review`,
    "",
    "Hello Vonage support,",
    "",
    `our Vonage account (API key ${report.account}) was compromised${typeof ctx.inputs.compromisedSince === "string" ? ` on or after ${ctx.inputs.compromisedSince}` : ""}. We ran our incident procedure (run ${report.runId}, started ${report.startedAt}).`,
    "",
    "What we found (created after the compromise time):",
    ...(report.suspects.length > 0
      ? report.suspects.map((s) => {
          const o = s as Record<string, unknown>;
          return `  - ${String(o.kind)} ${String(o.id)} created ${String(o.createdAt)}: ${String(o.detail)}`;
        })
      : ["  - nothing flagged automatically"]),
    "",
    ...(report.attention.length > 0
      ? [
          "Webhooks pointing at hosts we did not allow (the attacker may receive our traffic there):",
          ...report.attention.map((line) => `  - ${line}`),
          ...report.webhookDecisions.map((line) => `  - ${line}`),
          "",
        ]
      : []),
    ...(report.traffic
      ? [
          "Traffic since the compromise (Reports API; please review these charges):",
          ...trafficLines(report.traffic).map((line) => `  - ${line}`),
          "",
        ]
      : []),
    "What we did:",
    ...(done.length > 0 ? done.map((c) => `  - ${c.summary}`) : ["  - (no automated change yet)"]),
    ...manual.map((c) => `  - ${c.summary}: ${c.status}`),
    "",
    "Please:",
    "  - check the account for activity we cannot see (traffic, logins, API keys, IP allow-list changes);",
    "  - advise on fraudulent charges since the compromise time;",
    "  - lock changes to the account's MFA contacts until we confirm them;",
    "  - tell us anything else we should rotate or review.",
    "",
    "Evidence (a snapshot with a sha256 manifest) and a full report are available on request.",
    `Evidence manifest sha256: ${report.evidenceManifestSha256 ?? "(none)"}`,
    "",
    "Thank you.",
    "",
  ];
  return withZones(lines.join("\n"));
}

/**
 * Every time in the ticket with its zone: the Audit API's stamps have none (they are UTC), and a reader in another
 * zone must not take them for local times. A bare date is midnight UTC, as everywhere else in vonage-ir.
 */
export function withZones(text: string): string {
  return text
    .replace(
      /\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?!\d|[.:]\d|[zZ]|[+-]\d{2}:?\d{2})/g,
      "$1Z",
    )
    .replace(/\b(\d{4}-\d{2}-\d{2})(?![\dT:-])/g, "$1T00:00:00Z");
}

export const contactSupport: Action<Record<string, never>> = {
  id: "support.contact",
  title: "Draft a support ticket from the journal and record its number",
  why: "Vonage can check for abuse you cannot see, reverse fraudulent charges and lock MFA changes",
  params: z.strictObject({}),
  async plan(ctx) {
    return {
      changes: [
        manualDraft(ctx.step.id, "Open a support ticket with Vonage", {
          instructions: `A ticket draft (what happened, what was done, when; no secrets) is written to support-ticket.md in
the run directory. Open a ticket from the Dashboard → Support (or help.nexmo.com → Submit a request), paste
the draft, attach the report if asked, and record the ticket number.`,
          evidence: [{ id: "ticket", label: "Support ticket number", required: true, pattern: "\\S" }],
        }),
      ],
    };
  },
  describe: () => "manual: open a Vonage support ticket (draft written from the journal)",
  async prepare(ctx): Promise<JsonObject> {
    const path = join(ctx.runDir, "support-ticket.md");
    await writeChecked(path, await supportTicketDraft(ctx));
    return { path };
  },
  async apply(ctx, change, prepared) {
    ctx.prompter?.say(`    Ticket draft: ${String(prepared.path)}`);
    return runManualChange(ctx, change, new Map());
  },
};
