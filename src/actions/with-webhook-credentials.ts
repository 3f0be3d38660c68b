// A replacement application keeps its webhooks' basic-auth passwords (`https://user:password@host/...`), which
// a plan no longer holds (it is redacted like every output): they are taken back from the live application it
// replaces, URL by URL, and only for a URL that is otherwise exactly the one planned.
import { REDACTED, redactText } from "../core/redact.js";
import type { ApplicationConfig } from "../vonage/gateway.js";
import type { ActionContext } from "./action.js";

const REDACTED_USERINFO = `:${REDACTED}@`;

function strings(value: unknown, into: string[]): string[] {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, into);
  else if (value && typeof value === "object") for (const item of Object.values(value)) strings(item, into);
  return into;
}

function replaceStrings(value: unknown, replace: (text: string) => string): unknown {
  if (typeof value === "string") return replace(value);
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, replace));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, replace)]));
  }
  return value;
}

/** `planned` with each redacted userinfo password restored from `live`, or an error naming the URL. */
export function restoreUserinfo<T>(planned: T, live: unknown, appId: string): T {
  const originals = new Map<string, string>();
  for (const text of strings(live, [])) {
    const shown = redactText(text);
    if (shown !== text && shown.includes(REDACTED_USERINFO)) originals.set(shown, text);
  }
  return replaceStrings(planned, (text) => {
    if (!text.includes(REDACTED_USERINFO)) return text;
    const original = originals.get(text);
    if (original === undefined) {
      throw new Error(
        `a webhook of application ${appId} (${text}) is no longer on it: its password cannot be carried over; plan again`,
      );
    }
    return original;
  }) as T;
}

/** The configuration to create, with the webhook passwords of the application `oldId` it replaces. */
export async function withWebhookCredentials(
  ctx: ActionContext,
  oldId: string,
  config: ApplicationConfig,
): Promise<ApplicationConfig> {
  if (!JSON.stringify(config).includes(REDACTED_USERINFO)) return config;
  const live = await ctx.gateway.getApplication(oldId);
  if (!live) {
    throw new Error(
      `application ${oldId} is gone: the passwords of its webhooks cannot be carried over to its replacement`,
    );
  }
  return restoreUserinfo(config, { ...live.config, name: live.name }, oldId);
}
