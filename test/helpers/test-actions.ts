// Small actions for engine tests (they never ship): `test.counter` applies one change per key to an
// in-memory store and counts every call; `test.gateway-write` writes through the gateway, so a dry run can
// be proven to send nothing. Plus a fake gateway that records calls, and `runWithRegistry`, which drives
// executeRun() with a test registry the way `vonage-ir run` drives it with the shipped one.
import { givenActor } from "../../src/cli/actor.js";
import { resolve } from "node:path";
import { z } from "zod";
import type { Action, Registry } from "../../src/actions/action.js";
import { createRegistry } from "../../src/actions/registry.js";
import { executeRun } from "../../src/cli/execute-run.js";
import { loadResume } from "../../src/cli/load-resume.js";
import type { CliIo } from "../../src/cli/io.js";
import { reportError } from "../../src/cli/main.js";
import { createPrompter } from "../../src/cli/prompter-factory.js";
import { completeInputs, detectMode, loadRunbookAndConfig } from "../../src/cli/session.js";
import { UsageError } from "../../src/core/errors.js";
import { GATEWAY_METHODS, type Gateway, type GatewayMethod } from "../../src/vonage/gateway.js";

export interface CounterStore {
  /** key → how many times a change for it was applied (the "live state"). */
  values: Map<string, number>;
  /** Every apply call, in order (keys). */
  applied: string[];
  /** Every reconcile call, in order (keys). */
  reconciled: string[];
  /** Every warmUp call: the keys still to apply, and how many changes were applied before it. */
  warmedUp: { keys: string[]; appliedBefore: number }[];
  /** Keys whose precondition fails (live state drifted). */
  drifted: Set<string>;
  /** Keys whose apply throws (before changing anything). */
  failing: Set<string>;
  /** Keys whose apply waits until the run's signal is aborted (a change still in flight at the SIGINT). */
  waitForAbort: Set<string>;
  /** Applying this key aborts `controller` (as a SIGINT arriving while the change is in flight). */
  abortOnApply?: { key: string; controller: AbortController } | undefined;
}

export function createCounterStore(): CounterStore {
  return {
    values: new Map(),
    applied: [],
    warmedUp: [],
    reconciled: [],
    drifted: new Set(),
    failing: new Set(),
    waitForAbort: new Set(),
  };
}

const counterParams = z.strictObject({ keys: z.array(z.string()).min(1) });

export function counterAction(store: CounterStore): Action<z.infer<typeof counterParams>> {
  return {
    id: "test.counter",
    title: "Test: count a key up by one",
    why: "engine tests: counts every apply and reconcile",
    params: counterParams,
    async plan(_ctx, params) {
      return {
        changes: params.keys.map((key) => ({
          id: key,
          kind: "update" as const,
          target: `counter ${key}`,
          before: store.values.get(key) ?? 0,
          after: (store.values.get(key) ?? 0) + 1,
          reversible: false,
          idempotent: false,
          params: { key },
        })),
      };
    },
    describe: (change) => `count ${String(change.params.key)} up`,
    warmUp(changes) {
      store.warmedUp.push({
        keys: changes.map((c) => String(c.params.key)),
        appliedBefore: store.applied.length,
      });
    },
    async checkPrecondition(_ctx, change) {
      const key = String(change.params.key);
      return store.drifted.has(key) ? `counter ${key} was changed by someone else` : undefined;
    },
    async apply(ctx, change) {
      const key = String(change.params.key);
      if (store.waitForAbort.has(key) && !ctx.signal.aborted) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      }
      store.applied.push(key);
      if (store.failing.has(key)) throw new Error(`counter ${key} is broken`);
      if (store.abortOnApply?.key === key) store.abortOnApply.controller.abort("SIGINT");
      store.values.set(key, (store.values.get(key) ?? 0) + 1);
      return { status: "done", output: { key, value: store.values.get(key) ?? 0 } };
    },
    async reconcile(_ctx, change) {
      const key = String(change.params.key);
      store.reconciled.push(key);
      const value = store.values.get(key);
      return value === undefined ? undefined : { status: "done", output: { key, value } };
    },
  };
}

const gatewayWriteParams = z.strictObject({ secretId: z.string() });

/** Revokes a secret through the gateway: the write a dry run must never send. */
export const gatewayWriteAction: Action<z.infer<typeof gatewayWriteParams>> = {
  id: "test.gateway-write",
  title: "Test: revoke a secret through the gateway",
  why: "engine tests: a write that goes through the gateway",
  params: gatewayWriteParams,
  async plan(ctx, params) {
    const secrets = await ctx.gateway.listSecrets(ctx.gateway.apiKey);
    return {
      changes: [
        {
          id: `revoke/${params.secretId}`,
          kind: "delete" as const,
          target: `secret ${params.secretId}`,
          before: secrets.length,
          reversible: false,
          idempotent: true,
          params: { secretId: params.secretId },
        },
      ],
    };
  },
  describe: (change) => `revoke ${String(change.params.secretId)}`,
  async apply(ctx, change) {
    await ctx.gateway.revokeSecret(ctx.gateway.apiKey, String(change.params.secretId));
    return { status: "done" };
  },
};

export function createTestRegistry(store: CounterStore): Registry {
  return createRegistry({ actions: [counterAction(store), gatewayWriteAction] as Action<never>[] });
}

export interface FakeGateway {
  gateway: Gateway;
  calls: { method: GatewayMethod; kind: "read" | "write" }[];
  writes(): GatewayMethod[];
}

/** A gateway that answers every read with nothing and records every call. */
export function createFakeGateway(apiKey = "test1234"): FakeGateway {
  const calls: FakeGateway["calls"] = [];
  const build = (): Gateway => {
    const methods: Record<string, unknown> = {};
    for (const method of Object.keys(GATEWAY_METHODS) as GatewayMethod[]) {
      methods[method] = async () => {
        calls.push({ method, kind: GATEWAY_METHODS[method] });
        return method === "listSecrets" ? [] : undefined;
      };
    }
    return { ...methods, apiKey, withSecret: () => build() } as unknown as Gateway;
  };
  return {
    gateway: build(),
    calls,
    writes: () => calls.filter((c) => c.kind === "write").map((c) => c.method),
  };
}

export interface RegistryRunOptions {
  registry: Registry;
  io: CliIo;
  gateway: Gateway;
  out: string;
  runbook?: string | undefined;
  config?: string | undefined;
  resume?: string | undefined;
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  concurrency?: number | undefined;
}

/** `vonage-ir run` with a test registry and gateway; returns the exit code as main() would. */
export async function runWithRegistry(options: RegistryRunOptions): Promise<number> {
  const { registry, io } = options;
  try {
    const mode = detectMode({ yes: options.yes ?? true }, io, { mutates: !options.dryRun });
    const out = resolve(io.cwd, options.out);
    const resume = options.resume
      ? { runId: options.resume, journal: await loadResume(out, options.resume) }
      : undefined;
    const loaded = await loadRunbookAndConfig(
      resume ? resume.journal.header.runbook.file : options.runbook,
      options.config,
      io,
      registry,
    );
    if (resume && resume.journal.header.runbook.hash !== loaded.runbookHash)
      throw new UsageError("the runbook changed since the run started");
    const prompter = await createPrompter(mode, io, () => "resume");
    const inputs = await completeInputs(loaded.loaded.runbook, loaded.config, prompter, loaded.config.file);
    return await executeRun({
      io,
      mode,
      registry,
      loaded,
      inputs,
      attestations: loaded.config.attest,
      gateway: options.gateway,
      prompter,
      actor: givenActor({}, io),
      out,
      concurrency: options.concurrency ?? 1,
      dryRun: Boolean(options.dryRun),
      breakLock: false,
      resume,
    });
  } catch (error) {
    return reportError(error, io, false);
  }
}
