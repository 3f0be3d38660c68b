// The notifier on its own: a bounded queue that drops (and says so once) instead of growing, gives up on what is
// left when the run ends, never shows the URL's path, and posts only redacted bodies.
import { afterEach, describe, expect, it } from "vitest";
import { Notifier, describeTarget, notificationBody, type Notification } from "../../../src/io/notify.js";
import { registerSecret } from "../../../src/core/redact.js";
import { webhookReceiver, type Receiver } from "../../helpers/webhook-receiver.js";

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function note(text: string): Notification {
  return {
    event: "step.finished",
    runId: "20261202-000000-abcdef",
    at: "2026-12-02T00:00:00Z",
    text,
    data: {},
  };
}

describe("the notifier", () => {
  it("holds at most queueLimit events, says once that later ones are dropped, and gives up on the rest at close", async () => {
    const slow = await webhookReceiver("/hook/abcdefgh", { delayMs: 10_000 });
    receivers.push(slow);
    const failures: string[] = [];
    const notifier = new Notifier(
      { url: slow.url, format: "json", timeoutMs: 5_000 },
      { queueLimit: 2, onFailure: (f) => failures.push(`${f.event}: ${f.error}`) },
    );
    for (let i = 0; i < 6; i++) notifier.post(note(`step ${i}`));
    // The first is in flight, held by the server.
    for (let waited = 0; slow.raw.length === 0 && waited < 5_000; waited += 20)
      await new Promise((done) => setTimeout(done, 20));
    const started = Date.now();
    await notifier.close(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Two waited; three were dropped (said once).
    expect(failures.filter((f) => f.includes("the queue is full"))).toHaveLength(1);
    expect(failures.some((f) => f.includes("2 notification(s) not sent before the run ended"))).toBe(true);
    expect(slow.bodies).toHaveLength(1);
  });

  it("shows a target as scheme, host and a fingerprint, never its path or query", () => {
    const shown = describeTarget("https://hooks.slack.com/services/T000/B000/XXXXSECRET?x=1");
    expect(shown).toMatch(/^https:\/\/hooks\.slack\.com\/… \(url sha256:[0-9a-f]{8}\)$/);
    expect(shown).not.toContain("XXXXSECRET");
  });

  it("redacts every registered secret from a body, in either format", () => {
    registerSecret("Sup3r-Secret-Value-42");
    for (const format of ["json", "slack"] as const) {
      const body = notificationBody(note("failed: Sup3r-Secret-Value-42 was rejected"), format);
      expect(body).not.toContain("Sup3r-Secret-Value-42");
      expect(body).toContain("[redacted]");
    }
  });
});
