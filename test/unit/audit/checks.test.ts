// Every posture check fires on a simulator state built for it, and `clean` stays quiet (real HTTP, real SDK).
import { afterEach, describe, expect, it } from "vitest";
import { collectPosture } from "../../../src/actions/collect-posture.js";
import {
  MANUAL_CHECKS,
  runChecks,
  type CheckOptions,
  type Finding,
} from "../../../src/actions/posture-checks.js";
import { startSimulator, type RunningSimulator, type SimState } from "../../../src/simulator/index.js";
import { auditTime, cleanState, DAY, gatewayFor, isoSeconds, startWith } from "./audit-fixtures.js";

let sim: RunningSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function audit(
  mutate: (state: SimState) => void,
  options: Partial<CheckOptions> = {},
): Promise<{ findings: Finding[]; state: SimState }> {
  sim = await startWith(mutate);
  const gateway = gatewayFor(sim);
  const data = await collectPosture(gateway, { since: options.since });
  return { findings: runChecks(data, { now: new Date(), ...options }), state: sim.dumpState() };
}

const above = (findings: Finding[]) => findings.filter((f) => f.severity !== "info");
const ids = (findings: Finding[]) => findings.map((f) => f.id);

describe("posture checks on clean", () => {
  it("finds nothing above info on clean but its 400-day-old secret, and lists the manual checks", async () => {
    const { findings, state } = await audit(() => undefined);
    const secretId = state.primary.secrets[0]?.id ?? "";
    // clean's only secret was created 400 days before "now": past the default 365-day rotation age.
    expect(above(findings)).toEqual([
      expect.objectContaining({
        id: "secrets.old",
        severity: "low",
        detail: expect.stringContaining(secretId),
      }),
    ]);
    expect(findings.filter((f) => f.manual)).toEqual(MANUAL_CHECKS);
    expect(MANUAL_CHECKS.map((f) => f.id)).toEqual([
      "manual.mfa",
      "manual.ip-allowlist",
      "manual.fraud-defender",
      "manual.low-balance-alert",
      "manual.secondary-users",
    ]);
    expect(MANUAL_CHECKS.every((f) => f.severity === "info" && f.manual === true)).toBe(true);
  });

  it("finds nothing above info on clean with a 500-day secret age, nor with its own subaccount allowed", async () => {
    const { findings, state } = await audit(() => undefined, { secretMaxAgeDays: 500 });
    expect(above(findings)).toEqual([]);
    const allowed = runChecks(await collectPosture(gatewayFor(sim as RunningSimulator)), {
      now: new Date(),
      secretMaxAgeDays: 500,
      allowSubaccounts: state.subaccounts.map((s) => s.apiKey),
    });
    expect(above(allowed)).toEqual([]);
    expect(ids(allowed)).not.toContain("subaccounts.review");
  });
});

describe("each posture check fires on a state built for it", () => {
  it("secrets.multiple: a second primary secret", async () => {
    const { findings } = await audit(
      (s) => {
        s.primary.secrets.push({
          id: "0f0f0f0f-1111-4222-8333-444444444444",
          createdAt: isoSeconds(Date.now() - DAY),
          value: "Extra5ecretValue",
        });
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({
        id: "secrets.multiple",
        severity: "medium",
        detail: expect.stringContaining("0f0f0f0f-1111-4222-8333-444444444444"),
      }),
    ]);
  });

  it("secrets.multiple also for a subaccount", async () => {
    const { findings } = await audit(
      (s) => {
        const sub = s.subaccounts[0];
        sub?.secrets.push({
          id: "1f0f0f0f-1111-4222-8333-444444444444",
          createdAt: isoSeconds(Date.now() - DAY),
          value: "Extra5ecretValue",
        });
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({ id: "secrets.multiple", detail: expect.stringContaining("subaccount") }),
    ]);
  });

  it("secrets.old: respects secretMaxAgeDays", async () => {
    const { findings } = await audit(
      (s) => {
        const secret = s.primary.secrets[0];
        if (secret) secret.createdAt = isoSeconds(Date.now() - 320 * DAY);
      },
      { secretMaxAgeDays: 300 },
    );
    expect(ids(above(findings))).toEqual(["secrets.old"]);
    expect(findings[0]?.detail).toMatch(/320 days ago/);
  });

  it("applications.webhook-not-https: a plain-http event_url", async () => {
    const { findings } = await audit(
      (s) => {
        const voice = (
          s.applications[0]?.capabilities as { voice: { webhooks: { event_url: { address: string } } } }
        ).voice;
        voice.webhooks.event_url.address = "http://collector.example.net/event";
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({
        id: "applications.webhook-not-https",
        severity: "high",
        detail: expect.stringContaining("voice.event_url is http://collector.example.net/event"),
      }),
    ]);
  });

  it("applications.webhook-not-post: low for a GET status webhook, info for Vonage's default GET answer_url", async () => {
    const { findings } = await audit(
      (s) => {
        const messages = (
          s.applications[0]?.capabilities as {
            messages: { webhooks: { status_url: { http_method: string } } };
          }
        ).messages;
        messages.webhooks.status_url.http_method = "GET";
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({
        id: "applications.webhook-not-post",
        severity: "low",
        detail: expect.stringContaining("messages.status_url uses GET"),
      }),
    ]);
    expect(findings).toContainEqual(
      expect.objectContaining({
        id: "applications.webhook-not-post",
        severity: "info",
        detail: expect.stringContaining("voice.answer_url"),
      }),
    );
  });

  it("applications.unsigned-callbacks: voice and rtc with signed_callbacks false", async () => {
    const { findings } = await audit(
      (s) => {
        const caps = s.applications[0]?.capabilities as Record<string, Record<string, unknown>>;
        (caps.voice as Record<string, unknown>).signed_callbacks = false;
        caps.rtc = {
          webhooks: { event_url: { address: "https://hooks.example.com/rtc", http_method: "POST" } },
          signed_callbacks: false,
        };
      },
      { secretMaxAgeDays: 500 },
    );
    const unsigned = above(findings).filter((f) => f.id === "applications.unsigned-callbacks");
    expect(unsigned.map((f) => f.severity)).toEqual(["medium", "medium"]);
    expect(unsigned.map((f) => f.title)).toEqual(["Voice callbacks not signed", "RTC callbacks not signed"]);
    expect(above(findings)).toHaveLength(2);
  });

  it("applications.unsigned-callbacks stays quiet when signed_callbacks is true", async () => {
    const { findings } = await audit(
      (s) => {
        const caps = s.applications[0]?.capabilities as Record<string, Record<string, unknown>>;
        (caps.voice as Record<string, unknown>).signed_callbacks = true;
      },
      { secretMaxAgeDays: 500 },
    );
    expect(ids(findings)).not.toContain("applications.unsigned-callbacks");
  });

  it("account.callback-not-https: plain-http mo and dr callbacks", async () => {
    const { findings } = await audit(
      (s) => {
        s.primary.settings.moCallbackUrl = "http://hooks.example.com/inbound-sms";
        s.primary.settings.drCallbackUrl = "http://hooks.example.com/dr";
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings).map((f) => [f.id, f.severity])).toEqual([
      ["account.callback-not-https", "high"],
      ["account.callback-not-https", "high"],
    ]);
  });

  it("balance.auto-reload: auto-reload on", async () => {
    const { findings } = await audit(
      (s) => {
        s.primary.autoReload = true;
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({ id: "balance.auto-reload", severity: "medium" }),
    ]);
  });

  it("subaccounts.not-allowed: high for an active unknown subaccount, low for a suspended one", async () => {
    let known = "";
    const { findings, state } = await audit(
      (s) => {
        known = s.subaccounts[0]?.apiKey ?? "";
        s.subaccounts.push(
          {
            ...structuredClone(s.subaccounts[0]!),
            apiKey: "bad00001",
            name: "svc-backup",
            secrets: [
              {
                id: "2f0f0f0f-1111-4222-8333-444444444444",
                createdAt: isoSeconds(Date.now() - 2 * DAY),
                value: "Sub5ecretValueA",
              },
            ],
          },
          {
            ...structuredClone(s.subaccounts[0]!),
            apiKey: "bad00002",
            name: "old-test",
            suspended: true,
            secrets: [
              {
                id: "3f0f0f0f-1111-4222-8333-444444444444",
                createdAt: isoSeconds(Date.now() - 2 * DAY),
                value: "Sub5ecretValueB",
              },
            ],
          },
        );
      },
      { secretMaxAgeDays: 500 },
    );
    expect(state.subaccounts).toHaveLength(3);
    const allowed = runChecks(await collectPosture(gatewayFor(sim as RunningSimulator)), {
      now: new Date(),
      secretMaxAgeDays: 500,
      allowSubaccounts: [known],
    });
    expect(above(allowed).map((f) => [f.id, f.severity, f.detail.slice(0, 19)])).toEqual([
      ["subaccounts.not-allowed", "high", "subaccount bad00001"],
      ["subaccounts.not-allowed", "low", "subaccount bad00002"],
    ]);
    // Without an allow list it is a review item, not a finding.
    expect(above(findings)).toEqual([]);
    expect(findings).toContainEqual(
      expect.objectContaining({ id: "subaccounts.review", detail: expect.stringContaining("bad00001") }),
    );
  });

  it("suspects.created-after: a secret, a subaccount and audit events created after --since", async () => {
    const since = new Date(Date.now() - 3 * DAY).toISOString();
    const { findings } = await audit(
      (s) => {
        s.primary.secrets.push({
          id: "4f0f0f0f-1111-4222-8333-444444444444",
          createdAt: isoSeconds(Date.now() - DAY),
          value: "Attack3rSecretX",
        });
        s.subaccounts.push({
          ...structuredClone(s.subaccounts[0]!),
          apiKey: "bad00003",
          name: "svc-new",
          createdAt: isoSeconds(Date.now() - DAY),
          secrets: [
            {
              id: "5f0f0f0f-1111-4222-8333-444444444444",
              createdAt: isoSeconds(Date.now() - DAY),
              value: "Sub5ecretValueC",
            },
          ],
        });
        s.auditEvents.push({
          id: "6f0f0f0f-1111-4222-8333-444444444444",
          event_type: "ACCOUNT_SECRET_CREATE",
          event_type_description: "API secret created",
          created_at: auditTime(Date.now() - DAY),
          account_id: s.primary.apiKey,
          source: "CD",
          source_description: "Customer Dashboard",
          user_email: "intruder@example.net",
          source_ip: "203.0.113.66",
          context: {},
        });
      },
      { secretMaxAgeDays: 500, allowSubaccounts: undefined },
    );
    const withSince = runChecks(await collectPosture(gatewayFor(sim as RunningSimulator), { since }), {
      now: new Date(),
      secretMaxAgeDays: 500,
      since,
    });
    const suspects = withSince.filter((f) => f.id === "suspects.created-after");
    expect(suspects.every((f) => f.severity === "high")).toBe(true);
    expect(suspects.map((f) => f.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("secret 4f0f0f0f-1111-4222-8333-444444444444"),
        expect.stringContaining("subaccount bad00003"),
        expect.stringContaining("audit-event 6f0f0f0f-1111-4222-8333-444444444444"),
      ]),
    );
    // `until` (the posture.audit step's run start) leaves out what was created later, e.g. the run's own changes.
    const data = await collectPosture(gatewayFor(sim as RunningSimulator), { since });
    const until = new Date(Date.now() - 2 * DAY).toISOString();
    expect(
      runChecks(data, { now: new Date(), since, until }).filter((f) => f.id === "suspects.created-after"),
    ).toEqual([]);
    // Without --since there is nothing to compare against: no suspects.
    expect(ids(findings)).not.toContain("suspects.created-after");
  });

  it("numbers.missing-application: a number linked to an application id that does not exist", async () => {
    const { findings, state } = await audit(
      (s) => {
        const n = s.numbers[0];
        if (n) {
          n.appId = "99999999-9999-4999-8999-999999999999";
          n.voiceCallbackValue = n.appId;
        }
      },
      { secretMaxAgeDays: 500 },
    );
    expect(above(findings)).toEqual([
      expect.objectContaining({
        id: "numbers.missing-application",
        severity: "medium",
        detail: expect.stringContaining(state.numbers[0]?.msisdn ?? "?"),
      }),
    ]);
  });

  it("subaccounts.unavailable and suspects.audit-unavailable: an account without those APIs", async () => {
    sim = await startSimulator({
      port: 0,
      state: cleanState(),
      subaccountsAvailable: false,
      auditAvailable: false,
    });
    const since = new Date(Date.now() - DAY).toISOString();
    const findings = runChecks(await collectPosture(gatewayFor(sim), { since }), {
      now: new Date(),
      since,
      secretMaxAgeDays: 500,
      allowSubaccounts: [],
    });
    expect(above(findings)).toEqual([]);
    expect(ids(findings)).toEqual(
      expect.arrayContaining(["subaccounts.unavailable", "suspects.audit-unavailable"]),
    );
  });

  it("finds the attacker's work on compromised", async () => {
    sim = await startSimulator({ port: 0, scenario: "compromised" });
    const since = sim.meta.compromisedSince ?? "";
    const data = await collectPosture(gatewayFor(sim), { since });
    const findings = runChecks(data, {
      now: new Date(),
      since,
      allowSubaccounts: sim.meta.legitimateSubaccountKeys,
    });
    const found = new Set(ids(above(findings)));
    for (const id of [
      "secrets.multiple",
      "applications.webhook-not-https",
      "balance.auto-reload",
      "subaccounts.not-allowed",
      "suspects.created-after",
    ]) {
      expect(found).toContain(id);
    }
    const notAllowed = findings.filter((f) => f.id === "subaccounts.not-allowed");
    expect(notAllowed).toHaveLength(sim.meta.attackerSubaccountKeys.length);
    for (const key of sim.meta.attackerSecretIds) {
      expect(findings.some((f) => f.id === "suspects.created-after" && f.detail.includes(key))).toBe(true);
    }
  });
});
