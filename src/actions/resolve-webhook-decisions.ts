// What happens to a suspect webhook of an application that is recreated or rekeyed: kept, cleared or replaced, as
// `webhooks.decisions` in the config or the operator (asked while planning) decides; never silently carried over.
import { z } from "zod";
import { foreignText } from "../core/foreign-text.js";
import { redactText } from "../core/redact.js";
import type { ApplicationRecord } from "../vonage/gateway.js";
import type { ActionContext } from "./action.js";
import type { JsonObject } from "../core/plan.js";
import { describeSite, type SuspectWebhook } from "./find-suspect-webhooks.js";

export type WebhookDecision = { kind: "keep" } | { kind: "clear" } | { kind: "replace"; url: string };

export interface WebhookDecisionRule {
  /** A webhook URL (exactly as the plan shows it) or a host. */
  match: string;
  decision: WebhookDecision;
}

/** A decision as the plan, the journal and the report record it (URLs redacted). */
export interface RecordedWebhookDecision extends JsonObject {
  application: string;
  applicationName: string;
  path: string;
  url: string;
  decision: "keep" | "clear" | "replace";
  replacement: string | null;
  by: "config" | "operator";
}

export const DECISIONS_KEY = "webhooks.decisions";
const FORMAT = `"<url or host> keep", "<url or host> clear" or "<url or host> replace <https url>"`;

/** A replacement webhook: https, and no user:password (it would be redacted from the plan and lost). */
export function checkReplacementUrl(value: string): true | string {
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    return "not a URL: type a full https:// URL";
  }
  if (parsed.protocol !== "https:") return "the replacement must be an https:// URL";
  if (parsed.username !== "" || parsed.password !== "")
    return "no user:password in the URL (the plan redacts it, so it could not be sent)";
  return true;
}

export function parseWebhookDecision(entry: string): WebhookDecisionRule | string {
  const [match, kind, url, ...rest] = entry.trim().split(/\s+/);
  if (!match || !kind || rest.length > 0) return `expected ${FORMAT}`;
  if (kind === "keep" || kind === "clear") {
    return url === undefined ? { match, decision: { kind } } : `expected ${FORMAT}`;
  }
  if (kind !== "replace" || url === undefined) return `expected ${FORMAT}`;
  const valid = checkReplacementUrl(url);
  return valid === true ? { match, decision: { kind: "replace", url } } : valid;
}

/** The `webhooks.decisions` param of an action: a list of rules, each checked when the plan starts. */
export const webhookDecisionsParam = z.array(z.string()).superRefine((entries, check) => {
  entries.forEach((entry, index) => {
    const parsed = parseWebhookDecision(entry);
    if (typeof parsed === "string") check.addIssue({ code: "custom", path: [index], message: parsed });
  });
});

/** The rule for a webhook: one naming its exact URL wins over one naming its host. */
export function decisionFor(
  rules: readonly string[],
  hook: { url: string; host: string },
): WebhookDecision | undefined {
  const parsed = rules
    .map(parseWebhookDecision)
    .filter((r): r is WebhookDecisionRule => typeof r !== "string");
  const shown = redactText(hook.url);
  return (
    parsed.find((r) => r.match === hook.url || r.match === shown)?.decision ??
    parsed.find((r) => r.match.toLowerCase() === hook.host)?.decision
  );
}

function at(config: JsonObject, path: string): { parent: JsonObject; key: string } | undefined {
  const keys = path.split(".");
  const last = keys.pop();
  let node: unknown = config;
  for (const key of keys) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as JsonObject)[key];
  }
  if (last === undefined || typeof node !== "object" || node === null || Array.isArray(node))
    return undefined;
  return { parent: node as JsonObject, key: last };
}

/**
 * Applies a decision to a copy's configuration. `clear` removes the whole webhook entry (address and method): the
 * Application API's request schema makes no webhook required, so nothing else has to be dropped.
 */
function applyDecision(config: JsonObject, hook: SuspectWebhook, decision: WebhookDecision): void {
  const place = at(config, hook.path);
  if (!place) return;
  const value = place.parent[place.key];
  if (decision.kind === "clear") {
    delete place.parent[place.key];
  } else if (decision.kind === "replace") {
    if (typeof value === "string") place.parent[place.key] = decision.url;
    else if (typeof value === "object" && value !== null && !Array.isArray(value))
      value.address = decision.url;
  }
}

/**
 * Applies decisions recorded at plan time to a configuration read later (a rekey PUTs the application as it is at
 * the PUT): a decision applies only where the webhook still has the URL it was made for; one changed since is left
 * as it now is (webhooks.review lists it again if it is still a suspect).
 */
export function applyRecordedDecisions(
  config: JsonObject,
  decisions: readonly RecordedWebhookDecision[],
): RecordedWebhookDecision[] {
  const applied: RecordedWebhookDecision[] = [];
  for (const d of decisions) {
    const place = at(config, d.path);
    if (!place) continue;
    const value = place.parent[place.key];
    const url =
      typeof value === "string"
        ? value
        : typeof value === "object" &&
            value !== null &&
            !Array.isArray(value) &&
            typeof value.address === "string"
          ? value.address
          : undefined;
    if (url === undefined || redactText(url) !== d.url) continue;
    if (d.decision === "clear") delete place.parent[place.key];
    else if (d.decision === "replace" && d.replacement !== null) {
      if (typeof value === "string") place.parent[place.key] = d.replacement;
      else if (typeof value === "object" && value !== null && !Array.isArray(value))
        value.address = d.replacement;
    }
    applied.push(d);
  }
  return applied;
}

/** The recorded decisions a change's params carry (`webhookDecisions`), as the plan journaled them. */
export function recordedDecisions(value: unknown): RecordedWebhookDecision[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (d): d is RecordedWebhookDecision =>
      typeof d === "object" &&
      d !== null &&
      !Array.isArray(d) &&
      typeof (d as JsonObject).path === "string" &&
      typeof (d as JsonObject).url === "string" &&
      ["keep", "clear", "replace"].includes(String((d as JsonObject).decision)),
  );
}

async function ask(ctx: ActionContext, hook: SuspectWebhook): Promise<WebhookDecision> {
  const prompter = ctx.prompter;
  if (!prompter) throw new Error("asking about a webhook needs a prompter");
  const kind = await prompter.select<"keep" | "clear" | "replace">({
    message: `Suspect webhook: ${describeSite(hook)} (${foreignText(hook.why)}). What should the application keep?`,
    choices: [
      { value: "clear", name: "clear: remove this webhook" },
      { value: "replace", name: "replace: with a URL you type (https)" },
      { value: "keep", name: "keep: it is ours after all (carried over as it is)" },
    ],
  });
  if (kind !== "replace") return { kind };
  const url = await prompter.input({
    message: `Replacement for ${describeSite(hook)} (https URL):`,
    validate: checkReplacementUrl,
  });
  return { kind: "replace", url: url.trim() };
}

/**
 * The configuration to send for `app` (name included) with every decided suspect webhook kept, cleared or replaced,
 * the decisions as recorded, and the suspects still undecided (left as they are). With `ask` and a prompter, the
 * operator is asked about each suspect the config does not decide (one question per URL).
 */
export async function resolveWebhookDecisions(
  ctx: ActionContext,
  app: ApplicationRecord,
  options: { suspects: readonly SuspectWebhook[]; decisions: readonly string[]; ask: boolean },
): Promise<{ config: JsonObject; decisions: RecordedWebhookDecision[]; undecided: SuspectWebhook[] }> {
  const config = JSON.parse(JSON.stringify({ ...app.config, name: app.name })) as JsonObject;
  const decisions: RecordedWebhookDecision[] = [];
  const undecided: SuspectWebhook[] = [];
  const answered = new Map<string, WebhookDecision>();
  for (const hook of options.suspects) {
    if (hook.owner !== "application" || hook.ownerId !== app.id) continue;
    let decision = decisionFor(options.decisions, hook);
    let by: RecordedWebhookDecision["by"] = "config";
    if (decision === undefined && options.ask && ctx.prompter) {
      decision = answered.get(hook.url) ?? (await ask(ctx, hook));
      answered.set(hook.url, decision);
      by = "operator";
    }
    if (decision === undefined) {
      undecided.push(hook);
      continue;
    }
    applyDecision(config, hook, decision);
    decisions.push({
      application: app.id,
      applicationName: app.name,
      path: hook.path,
      url: redactText(hook.url),
      decision: decision.kind,
      replacement: decision.kind === "replace" ? decision.url : null,
      by,
    });
  }
  return { config, decisions, undecided };
}

/** One line for the plan and the report. */
export function decisionLine(d: RecordedWebhookDecision): string {
  const what =
    d.decision === "replace"
      ? `replaced by ${d.replacement ?? "?"}`
      : d.decision === "clear"
        ? "cleared"
        : "kept";
  return foreignText(
    `webhook ${d.url} of application "${d.applicationName}" (${d.application}) ${d.path}: ${what} (decided by ${d.by === "config" ? DECISIONS_KEY : "the operator"})`,
  );
}
