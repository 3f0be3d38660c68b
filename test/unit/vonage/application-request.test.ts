// The create/update body built from an application read: response-only fields never reach Vonage, and the
// result validates against the current Application 2.4.1 request schema.
import { describe, expect, it } from "vitest";
import {
  APPLICATION_REQUEST_SHAPE,
  applicationRequestBody,
  type RequestShape,
} from "../../../src/vonage/application-request.js";
import {
  bodyProblems,
  currentSpecDir,
  requestBodySchema,
  SPEC_SKIP_REASON,
} from "../../helpers/current-spec-requests.js";

const APP_SPEC = "vonage-application-v2-openapi.yml";

/** An application as a GET answers it today: request fields, and the response-only ones Vonage adds. */
function readApplication(): Record<string, unknown> {
  return {
    id: "78d335fa-323d-0114-9c3d-d6f0d48968cf",
    name: "Support line",
    keys: { public_key: "OLD-PEM", private_key: "SHOULD-NEVER-TRAVEL" },
    capabilities: {
      voice: {
        webhooks: {
          answer_url: { address: "https://example.com/answer", http_method: "GET", connect_timeout: 500 },
          fallback_answer_url: { address: "https://fallback.example.com/answer", http_method: "GET" },
          event_url: { address: "https://example.com/event", http_method: "POST", socket_timeout: 3000 },
        },
        signed_callbacks: true,
        conversations_ttl: 12,
        leg_persistence_time: 7,
        region: "eu-west",
        payment_enabled: false,
        payments: { gateways: [{ type: "stripe", mode: "test" }] },
      },
      rtc: {
        webhooks: { event_url: { address: "https://example.com/rtc", http_method: "POST" } },
        signed_callbacks: true,
        leg_persistence_time: 5,
      },
      messages: {
        version: "v1",
        webhooks: {
          inbound_url: { address: "https://example.com/inbound", http_method: "POST" },
          status_url: { address: "https://example.com/status", http_method: "POST" },
        },
        authenticate_inbound_media: true,
      },
      vbc: {},
      verify: {
        version: "v2",
        webhooks: { status_url: { address: "https://example.com/verify", http_method: "POST" } },
      },
      video: {
        webhooks: { archive_status: { address: "https://example.com/archive", active: true } },
        storage: { server_side_encryption: false, end_to_end_encryption: false, cloud_storage: false },
      },
    },
    privacy: { improve_ai: false },
    _links: { self: { href: "/v2/applications/78d335fa-323d-0114-9c3d-d6f0d48968cf" } },
  };
}

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], value);
}

describe("applicationRequestBody", () => {
  const body = applicationRequestBody(readApplication(), "NEW-PEM");

  it.each([
    "id",
    "_links",
    "keys.private_key",
    "capabilities.verify.version",
    "capabilities.voice.payment_enabled",
    "capabilities.voice.payments",
    "capabilities.rtc.leg_persistence_time",
    "capabilities.messages.authenticate_inbound_media",
  ])("drops the response-only field %s", (field) => {
    expect(at(readApplication(), field)).toBeDefined();
    expect(at(body, field)).toBeUndefined();
  });

  it("keeps every request-schema field as read, and sends our key", () => {
    const read = readApplication();
    expect(body.name).toBe("Support line");
    expect(body.keys).toEqual({ public_key: "NEW-PEM" });
    expect(at(body, "capabilities.voice.webhooks")).toEqual(at(read, "capabilities.voice.webhooks"));
    expect(at(body, "capabilities.voice.leg_persistence_time")).toBe(7);
    expect(at(body, "capabilities.voice.region")).toBe("eu-west");
    expect(at(body, "capabilities.messages.version")).toBe("v1");
    expect(at(body, "capabilities.video")).toEqual(at(read, "capabilities.video"));
    expect(at(body, "capabilities.vbc")).toEqual({});
    expect(body.privacy).toEqual({ improve_ai: false });
  });

  it("keeps a capability whose read held only response-only fields, empty, so it stays enabled", () => {
    const only = applicationRequestBody({ name: "v", capabilities: { verify: { version: "v2" } } }, "K");
    expect(only.capabilities).toEqual({ verify: {} });
  });

  it("drops fields Vonage does not know at all, and objects where values belong", () => {
    const odd = applicationRequestBody(
      { name: "x", type: "voice", capabilities: { voice: { region: { nested: 1 } }, future: {} } },
      "K",
    );
    expect(odd).toEqual({ name: "x", capabilities: { voice: {} }, keys: { public_key: "K" } });
  });
});

describe.runIf(currentSpecDir !== undefined)("applicationRequestBody against Application 2.4.1", () => {
  it("validates against the create request schema (closed objects)", () => {
    const problems = bodyProblems(
      APP_SPEC,
      "/v2/applications",
      "POST",
      "application/json",
      JSON.stringify(applicationRequestBody(readApplication(), "NEW-PEM")),
    );
    expect(problems).toEqual([]);
  });

  it("the GET body as read does not (the reason for the builder)", () => {
    const problems = bodyProblems(
      APP_SPEC,
      "/v2/applications",
      "POST",
      "application/json",
      JSON.stringify(readApplication()),
    );
    expect(problems.join("\n")).toMatch(/additional properties \(id\)/);
    expect(problems.join("\n")).toMatch(/\(payment_enabled\)/);
  });

  it("the shape has exactly the fields of the create request schema", () => {
    const schema = requestBodySchema(APP_SPEC, "/v2/applications", "POST")?.schema;
    const tree = (node: unknown): RequestShape => {
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (!props) return (node as { type?: string }).type === "object" ? "empty" : "value";
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, tree(v)]));
    };
    const fromSpec = tree(schema) as Record<string, RequestShape>;
    // keys is the one field built, not copied: the new public key.
    const { keys: _keys, ...copied } = fromSpec;
    expect(APPLICATION_REQUEST_SHAPE).toEqual(copied);
  });
});

describe.skipIf(currentSpecDir !== undefined)("applicationRequestBody against Application 2.4.1", () => {
  it.skip(SPEC_SKIP_REASON, () => undefined);
});
