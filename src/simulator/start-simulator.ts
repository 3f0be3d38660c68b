// Starts the fake Vonage API: one node:http server on loopback serving the api.nexmo.com and rest.nexmo.com
// paths, plus the token-protected /_sim/ admin endpoints (admin-routes.ts). Everything per-request (auth,
// faults, the request log) happens in handle-request.ts; the route files only see a parsed, authenticated
// ApiRequest. This module owns the server's lifecycle: listen, load the state, serve, close.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mergeFaults } from "./faults.js";
import { handleRequest } from "./handle-request.js";
import { send } from "./http-exchange.js";
import { isLoopbackHost } from "./loopback-host.js";
import { json } from "./reply.js";
import { clearTimers, createSimServer, loadedPrimary, type SimServer } from "./sim-server.js";
import type { RunningSimulator, SimulatorOptions } from "./simulator-options.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) {
    throw new Error(`refusing to bind the simulator to non-loopback host ${host} without allowNonLoopback`);
  }
  // Listen first: scenario webhooks point at this server's own /_hooks/ paths, so the state needs the URL.
  let handler: Handler = async (_req, res) => {
    send(res, json(503, { error: "simulator starting" }));
  };
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      console.error("simulator: request failed", err);
      if (!res.headersSent) send(res, json(500, { error: "simulator internal error" }));
    });
  });
  const baseUrl = await listen(server, options.port ?? 0, host);
  const sim = createSimServer(options, baseUrl);
  handler = (req, res) => handleRequest(sim, req, res);
  return runningSimulator(sim, server, baseUrl);
}

/** Listens on `port` (0: a free one) and resolves with the server's base URL. */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(":") ? `[${address.address}]` : address.address;
  return `http://${urlHost}:${address.port}`;
}

function runningSimulator(sim: SimServer, server: Server, baseUrl: string): RunningSimulator {
  return {
    url: baseUrl,
    adminToken: sim.adminToken,
    // Getters, so a state loaded later through PUT /_sim/state is reflected.
    get primary() {
      return loadedPrimary(sim);
    },
    get meta() {
      return structuredClone(sim.initial.meta);
    },
    unreachableSmsWebhooks: [...sim.unreachable],
    requestCount: () => sim.count,
    requests: () => sim.log.map((e) => ({ ...e })),
    dumpState: () => structuredClone(sim.ctx.state),
    setFaults: (update) => {
      sim.faults = mergeFaults(sim.faults, update);
      sim.limiter.reset();
    },
    close: async () => {
      clearTimers(sim);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
