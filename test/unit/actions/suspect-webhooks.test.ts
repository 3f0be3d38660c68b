import { describe, expect, it } from "vitest";
import type { ActionContext } from "../../../src/actions/action.js";
import type { JsonObject } from "../../../src/core/plan.js";
import { findSuspectWebhooks, hostAllowed, suspectLine } from "../../../src/actions/find-suspect-webhooks.js";
import {
  checkReplacementUrl,
  parseWebhookDecision,
  resolveWebhookDecisions,
} from "../../../src/actions/resolve-webhook-decisions.js";
import { ScriptedPrompter, type Prompter } from "../../../src/io/prompter.js";
import type { ApplicationRecord, AuditEvent, NumberRecord } from "../../../src/vonage/gateway.js";

function app(id: string, capabilities: Record<string, unknown>): ApplicationRecord {
  return { id, name: `app-${id}`, publicKey: undefined, config: { capabilities } };
}

const voice = (answer: string, event: string) => ({
  voice: {
    webhooks: {
      answer_url: { address: answer, http_method: "GET" },
      fallback_answer_url: { address: "https://hooks.example.com/fallback" },
      event_url: { address: event, http_method: "POST" },
    },
  },
});

const ours = app("a1", {
  ...voice("https://hooks.example.com/answer", "https://hooks.example.com/event"),
  messages: { webhooks: { inbound_url: { address: "https://m.example.org/in" } } },
});
const changed = app("a2", {
  ...voice("https://user:Pa55word-xyz@evil.example.net/answer", "https://hooks.example.com/event"),
  network_apis: { redirect_uri: "https://only-here.example.io/cb" },
});
const number: NumberRecord = {
  country: "GB",
  msisdn: "447700900001",
  appId: undefined,
  raw: { msisdn: "447700900001", moHttpUrl: "https://sms.example.biz/in", voiceCallbackType: "app" },
};

function context(
  options: { events?: AuditEvent[]; prompter?: Prompter; outputs?: Map<string, JsonObject> } = {},
): ActionContext {
  const gateway = {
    apiKey: "abcd1234",
    listApplications: async () => [ours, changed],
    listNumbers: async () => [number],
    getAccountSettings: async () => ({
      moCallbackUrl: "https://hooks.example.com/mo",
      drCallbackUrl: "https://dr.example.dev/dr",
      maxCallsPerSecond: undefined,
      raw: {},
    }),
    listAuditEvents: async () => ({ available: true as const, value: options.events ?? [] }),
  };
  return {
    gateway,
    prompter: options.prompter,
    outputs: options.outputs ?? new Map(),
  } as unknown as ActionContext;
}

function appEvent(appId: string): AuditEvent {
  return {
    id: `e-${appId}`,
    eventType: "APP_UPDATE",
    createdAt: "2026-11-21T00:00:00",
    source: "DEVAPI",
    sourceIp: "203.0.113.66",
    userEmail: undefined,
    raw: { context: { appId } },
  };
}

describe("webhooks.allowedHosts rules", () => {
  it("allows an exact host, and with *.domain every host below the domain but not the domain itself", () => {
    expect(hostAllowed("hooks.example.com", ["hooks.example.com"])).toBe(true);
    expect(hostAllowed("HOOKS.example.com", ["hooks.example.com"])).toBe(true);
    expect(hostAllowed("a.b.example.com", ["*.example.com"])).toBe(true);
    expect(hostAllowed("example.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("evilexample.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("hooks.example.com.evil.net", ["hooks.example.com"])).toBe(false);
  });
});

describe("findSuspectWebhooks", () => {
  it("with allowedHosts, checks every application address, redirect_uri, number URL field and account callback", async () => {
    const scan = await findSuspectWebhooks(context(), { allowedHosts: ["hooks.example.com"] });
    expect(scan.rule).toBe("allowedHosts");
    expect(scan.suspects.map((s) => `${s.owner} ${s.path} ${s.host}`).sort()).toEqual([
      "account drCallbackUrl dr.example.dev",
      "application capabilities.messages.webhooks.inbound_url m.example.org",
      "application capabilities.network_apis.redirect_uri only-here.example.io",
      "application capabilities.voice.webhooks.answer_url evil.example.net",
      "number moHttpUrl sms.example.biz",
    ]);
  });

  it("without allowedHosts, suspects are hosts seen only in applications the audit log shows changed, and the notes say how to set it", async () => {
    const scan = await findSuspectWebhooks(context({ events: [appEvent("a2")] }), {
      compromisedSince: "2026-11-20T00:00:00Z",
    });
    expect(scan.rule).toBe("audit");
    // hooks.example.com is also used elsewhere: not a suspect, though a2 was changed.
    expect(scan.suspects.map((s) => s.host).sort()).toEqual(["evil.example.net", "only-here.example.io"]);
    expect(scan.notes.join(" ")).toMatch(/webhooks\.allowedHosts is not set.*set webhooks\.allowedHosts/);
  });

  it("without allowedHosts, ignores applications this run created (its replacements)", async () => {
    const outputs = new Map<string, JsonObject>([["applications:x/create", { newId: "a2" }]]);
    const scan = await findSuspectWebhooks(context({ events: [appEvent("a2")], outputs }), {
      compromisedSince: "2026-11-20T00:00:00Z",
    });
    expect(scan.suspects).toEqual([]);
  });

  it("shows a suspect's URL with its userinfo password redacted", async () => {
    const scan = await findSuspectWebhooks(context(), { allowedHosts: ["*.example.com"] });
    const line = scan.suspects.map(suspectLine).find((l) => l.includes("evil.example.net"));
    expect(line).toContain("https://user:[redacted]@evil.example.net/answer");
    expect(line).not.toContain("Pa55word-xyz");
  });
});

describe("webhook decisions", () => {
  it("parses keep, clear and replace with an https URL, and refuses anything else", () => {
    expect(parseWebhookDecision("evil.example.net clear")).toEqual({
      match: "evil.example.net",
      decision: { kind: "clear" },
    });
    expect(parseWebhookDecision("evil.example.net replace https://hooks.example.com/a")).toEqual({
      match: "evil.example.net",
      decision: { kind: "replace", url: "https://hooks.example.com/a" },
    });
    expect(parseWebhookDecision("evil.example.net drop")).toMatch(/expected/);
    expect(parseWebhookDecision("evil.example.net replace http://hooks.example.com/a")).toMatch(/https/);
    expect(checkReplacementUrl("https://u:p@hooks.example.com/a")).toMatch(/user:password/);
  });

  it("applies the config's decisions (a URL's wins over its host's) and leaves the rest undecided", async () => {
    const suspects = (await findSuspectWebhooks(context(), { allowedHosts: ["hooks.example.com"] })).suspects;
    const resolved = await resolveWebhookDecisions(context(), changed, {
      suspects,
      decisions: ["evil.example.net clear"],
      ask: false,
    });
    const hooks = (resolved.config.capabilities as { voice: { webhooks: Record<string, unknown> } }).voice
      .webhooks;
    expect(hooks.answer_url).toBeUndefined();
    expect(hooks.event_url).toEqual({ address: "https://hooks.example.com/event", http_method: "POST" });
    expect(resolved.undecided.map((s) => s.host)).toEqual(["only-here.example.io"]);
    expect(resolved.decisions).toEqual([
      expect.objectContaining({ decision: "clear", url: "https://user:[redacted]@evil.example.net/answer" }),
    ]);
  });

  it("asks the operator about each undecided one when asked to, and replaces with the typed URL", async () => {
    const suspects = (await findSuspectWebhooks(context(), { allowedHosts: ["hooks.example.com"] })).suspects;
    const prompter = new ScriptedPrompter([
      { match: "evil.example.net/answer", answer: "keep" },
      { match: /Suspect webhook: https:\/\/only-here/, answer: "replace" },
      { match: "Replacement for", answer: "https://hooks.example.com/cb" },
    ]);
    const resolved = await resolveWebhookDecisions(context({ prompter }), changed, {
      suspects,
      decisions: [],
      ask: true,
    });
    expect(resolved.undecided).toEqual([]);
    const caps = resolved.config.capabilities as Record<string, Record<string, unknown>>;
    expect(caps.network_apis?.redirect_uri).toBe("https://hooks.example.com/cb");
    expect(resolved.decisions.map((d) => `${d.decision} ${d.by}`)).toEqual([
      "keep operator",
      "replace operator",
    ]);
  });
});
