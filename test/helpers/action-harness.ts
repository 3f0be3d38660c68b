// Test harness for actions: a real simulator on loopback, the real SDK gateway pointed at it, a real
// secret sink in a temp dir, and an ActionContext builder (scripted prompter or none, fixed inputs).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal } from "../../src/engine/journal.js";
import type {
  Action,
  ActionContext,
  Attestation,
  Clock,
  DeliverySetup,
  PriorRuns,
} from "../../src/actions/action.js";
import type { Change, ChangeDraft, JsonObject } from "../../src/core/plan.js";
import type { Event } from "../../src/io/events.js";
import type { Prompter } from "../../src/io/prompter.js";
import { registerSecret } from "../../src/core/redact.js";
import { SecretSink } from "../../src/security/secret-sink.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { createReadOnlyGateway } from "../../src/vonage/dry-run-gateway.js";
import type { Gateway } from "../../src/vonage/gateway.js";
import { RequestScheduler } from "../../src/vonage/request-scheduler.js";
import { createSdkGateway } from "../../src/vonage/sdk-gateway.js";

export const testClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, Math.min(ms, 20));
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new Error("aborted"));
      });
    }),
};

export interface Harness {
  sim: RunningSimulator;
  gateway: Gateway;
  sink: SecretSink;
  dir: string;
  events: Event[];
  /** Builds a context; `planning` gives it a read-only gateway as plan() does. */
  context(options?: {
    stepId?: string;
    planning?: boolean;
    prompter?: Prompter;
    inputs?: Record<string, unknown>;
    attestations?: Record<string, Attestation>;
    outputs?: Map<string, JsonObject>;
    priorRuns?: PriorRuns;
    delivery?: DeliverySetup;
  }): ActionContext;
  /** The current primary gateway (after usePrimarySecret). */
  current(): Gateway;
  close(): Promise<void>;
}

let harnessCount = 0;

export async function createHarness(
  simOptions: Parameters<typeof startSimulator>[0] = { scenario: "compromised" },
): Promise<Harness> {
  // Unique per harness, as a run id is per run (a plan's shared reads are keyed by it).
  const runId = `test-run-${++harnessCount}`;
  // The action tests pace for loopback (below), so the simulator's Vonage-like 30 requests/s limit is off unless a
  // test asks for it: rate limiting has tests of its own.
  const sim = await startSimulator({ port: 0, rateLimit: 0, ...simOptions });
  registerSecret(sim.primary.apiSecret);
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-test-"));
  const sink = new SecretSink(join(dir, "secrets"));
  // Paced for loopback: Vonage's pacing (25 requests/s) would only slow the tests down.
  let gateway = createSdkGateway({
    credentials: { apiKey: sim.primary.apiKey, apiSecret: sim.primary.apiSecret },
    apiHost: sim.url,
    restHost: sim.url,
    scheduler: new RequestScheduler({
      ratePerSecond: 10_000,
      burst: 1_000,
      concurrency: 16,
      // The simulator says 30 calls/s in its settings: tests pace freely instead.
      followAccountRate: false,
    }),
  });
  const events: Event[] = [];
  const harness: Harness = {
    sim,
    gateway,
    sink,
    dir,
    events,
    current: () => gateway,
    context(options = {}) {
      const stepId = options.stepId ?? "step";
      return {
        get gateway() {
          return options.planning ? createReadOnlyGateway(gateway) : gateway;
        },
        prompter: options.prompter,
        inputs: options.inputs ?? {},
        attestations: options.attestations ?? {},
        sink,
        runDir: dir,
        runId,
        clock: testClock,
        signal: new AbortController().signal,
        step: { id: stepId, title: stepId },
        outputs: options.outputs ?? new Map(),
        priorRuns: options.priorRuns ?? { secretsCreated: [] },
        emit: (event) => events.push(event),
        progress: () => undefined,
        usePrimarySecret: (secret) => {
          registerSecret(secret);
          gateway = gateway.withSecret(secret);
        },
        registerSecret,
        operatorSecret: sim.primary.apiSecret,
        delivery: options.delivery,
        journal: { read: () => readJournal(join(dir, "journal.jsonl")) },
      };
    },
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A planned draft as the engine makes it a change: id prefixed with the step, action and summary set. */
export function changeOf<P>(action: Action<P>, stepId: string, draft: ChangeDraft): Change {
  return {
    ...draft,
    id: `${stepId}:${draft.id}`,
    stepId,
    action: action.id,
    summary: action.describe(draft),
  };
}
