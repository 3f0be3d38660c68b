import { describe, expect, it } from "vitest";
import {
  normaliseApplication,
  normaliseSubaccount,
  normaliseNumber,
} from "../../../src/vonage/sdk/normalise-records.js";
import { numberUpdateParams } from "../../../src/vonage/sdk/number-update.js";
import { unreadableNumberFields } from "../../../src/vonage/unreadable-number-fields.js";
import { toWireKeys } from "../../../src/vonage/wire-keys.js";

describe("normalising SDK output to wire keys", () => {
  it("drops the camelCase twins the applications SDK adds, at every depth", () => {
    const sdk = {
      id: "app-1",
      name: "shop",
      keys: { public_key: "PEM", publicKey: "PEM" },
      capabilities: {
        voice: {
          webhooks: {
            answer_url: { address: "https://a", http_method: "GET" },
            answerUrl: { address: "https://a", http_method: "GET", httpMethod: "GET" },
          },
          signed_callbacks: true,
          signedCallbacks: true,
        },
      },
      privacy: { improve_ai: false, improveAi: false },
    };
    expect(normaliseApplication(sdk)).toEqual({
      id: "app-1",
      name: "shop",
      publicKey: "PEM",
      config: {
        name: "shop",
        capabilities: {
          voice: {
            webhooks: { answer_url: { address: "https://a", http_method: "GET" } },
            signed_callbacks: true,
          },
        },
        privacy: { improve_ai: false },
      },
    });
  });

  it("keeps camelCase keys that have no snake twin", () => {
    expect(toWireKeys({ moHttpUrl: "x", list: [{ a_b: 1, aB: 1 }] })).toEqual({
      moHttpUrl: "x",
      list: [{ a_b: 1 }],
    });
  });

  it("reads subaccounts in either casing", () => {
    const wire = {
      api_key: "sub1",
      name: "s",
      suspended: true,
      created_at: "t",
      use_primary_account_balance: false,
    };
    const camel = {
      apiKey: "sub1",
      name: "s",
      suspended: true,
      createdAt: "t",
      usePrimaryAccountBalance: false,
    };
    expect(normaliseSubaccount(camel)).toEqual(normaliseSubaccount(wire));
    expect(normaliseSubaccount(camel).raw).toEqual(wire);
  });

  it("re-sends a number's callbacks with app_id, never the deprecated voiceCallbackType=app", () => {
    const number = normaliseNumber({
      country: "GB",
      msisdn: "447700900001",
      moHttpUrl: "https://mo",
      voiceCallbackType: "app",
      voiceCallbackValue: "old-app",
      messagesCallbackType: "app",
      app_id: "old-app",
      features: ["VOICE"],
    });
    expect(number.appId).toBe("old-app");
    expect(numberUpdateParams(number, "new-app")).toEqual({
      country: "GB",
      msisdn: "447700900001",
      applicationId: "new-app",
      moHttpUrl: "https://mo",
    });
  });

  it("names the fields a relink may clear: those /account/numbers cannot show, for the number's features", () => {
    const of = (raw: Record<string, unknown>) => unreadableNumberFields(normaliseNumber(raw));
    expect(of({ msisdn: "1", features: ["VOICE"] })).toEqual(["voiceStatusCallback"]);
    expect(of({ msisdn: "1", features: ["SMS", "MMS"] })).toEqual(["moSmppSysType"]);
    expect(of({ msisdn: "1", features: ["SMS", "VOICE"] })).toEqual(["voiceStatusCallback", "moSmppSysType"]);
    expect(of({ msisdn: "1" })).toEqual(["voiceStatusCallback", "moSmppSysType"]);
    // Shown by the read (an older API, a simulator): re-sent, so not at risk.
    expect(of({ msisdn: "1", features: ["VOICE"], voiceStatusCallback: "https://s" })).toEqual([]);
  });

  it("leaves sip/tel voice routing as it was", () => {
    const number = normaliseNumber({
      country: "US",
      msisdn: "15550100",
      voiceCallbackType: "sip",
      voiceCallbackValue: "sip:x@example.com",
      voiceStatusCallback: "https://status",
      moHttpUrl: "",
    });
    expect(number.appId).toBeUndefined();
    expect(numberUpdateParams(number, "new-app")).toEqual({
      country: "US",
      msisdn: "15550100",
      applicationId: "new-app",
      voiceCallbackType: "sip",
      voiceCallbackValue: "sip:x@example.com",
      voiceStatusCallback: "https://status",
    });
  });
});
