// A simulator for end-to-end tests: started in the test process on port 0, with request hooks that can be
// (un)registered after the start (runCli's kill triggers use them) and the admin calls the tests need.
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from "../../../src/simulator/index.js";
import type { SimState } from "../../../src/simulator/index.js";

export interface RequestInfo {
  method: string;
  path: string;
  apiKey: string | undefined;
}

/** Called before the simulator processes request number `count` (1-based, API requests only). */
export type RequestHook = (count: number, info: RequestInfo) => void;

export interface E2eSimulator extends RunningSimulator {
  /** Registers a hook; returns its removal. */
  onRequest(hook: RequestHook): () => void;
  /** The state the simulator started with (secret values included). */
  initialState: SimState;
  /** GET /_sim/state, through HTTP as an outside observer would. */
  fetchState(): Promise<SimState>;
  /** The simulated dashboard's auto-reload switch (POST /_sim/dashboard/autoreload). */
  setAutoReload(enabled: boolean): Promise<void>;
  /** Env that points the CLI at this simulator with the operator's legitimate primary credentials. */
  env(): Record<string, string>;
}

export async function startE2eSimulator(
  options: Omit<SimulatorOptions, "onRequest" | "port"> = {},
): Promise<E2eSimulator> {
  const hooks = new Set<RequestHook>();
  const sim = await startSimulator({
    ...options,
    port: 0,
    onRequest: (count, info) => {
      for (const hook of [...hooks]) hook(count, info);
    },
  });
  const admin = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sim.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  const initialState = sim.dumpState();
  const e2e: E2eSimulator = {
    url: sim.url,
    adminToken: sim.adminToken,
    get primary() {
      return sim.primary;
    },
    get meta() {
      return sim.meta;
    },
    unreachableSmsWebhooks: sim.unreachableSmsWebhooks,
    requestCount: () => sim.requestCount(),
    requests: () => sim.requests(),
    dumpState: () => sim.dumpState(),
    setFaults: (f: Parameters<RunningSimulator["setFaults"]>[0]) => sim.setFaults(f),
    close: () => sim.close(),
    initialState,
    onRequest(hook: RequestHook) {
      hooks.add(hook);
      return () => {
        hooks.delete(hook);
      };
    },
    async fetchState() {
      return (await (await admin("GET", "/_sim/state")).json()) as SimState;
    },
    async setAutoReload(enabled: boolean) {
      await admin("POST", "/_sim/dashboard/autoreload", { enabled });
    },
    env() {
      return {
        VONAGE_API_KEY: sim.primary.apiKey,
        VONAGE_API_SECRET: sim.primary.apiSecret,
        VONAGE_API_HOST: sim.url,
        VONAGE_REST_HOST: sim.url,
      };
    },
  };
  return e2e;
}

/** The mutating API requests in a request log (the empty settings POST is a read). */
export function writeRequests(sim: RunningSimulator): { method: string; path: string; query: string }[] {
  return sim
    .requests()
    .filter(
      (r) => r.method !== "GET" && !(r.method === "POST" && r.path === "/account/settings" && r.query === ""),
    )
    .map((r) => ({ method: r.method, path: r.path, query: r.query }));
}
