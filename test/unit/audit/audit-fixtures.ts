// Shared by the audit tests: a simulator started from a mutated `clean` state, the real SDK gateway pointed at
// it, and a fake CliIo for calling main() in-process.
import { Readable, Writable } from "node:stream";
import type { CliIo } from "../../../src/cli/io.js";
import {
  buildScenario,
  startSimulator,
  type RunningSimulator,
  type SimState,
} from "../../../src/simulator/index.js";
import { createSdkGateway } from "../../../src/vonage/sdk-gateway.js";
import type { Gateway } from "../../../src/vonage/gateway.js";

export const DAY = 86_400_000;

/** `clean`, placed at the real current time so ages are what they say. */
export function cleanState(): SimState {
  return buildScenario("clean", { now: new Date().toISOString() });
}

export async function startWith(
  mutate: (state: SimState) => void = () => undefined,
): Promise<RunningSimulator> {
  const state = cleanState();
  mutate(state);
  return startSimulator({ port: 0, state });
}

export function gatewayFor(sim: RunningSimulator): Gateway {
  return createSdkGateway({ credentials: sim.primary, apiHost: sim.url, restHost: sim.url });
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function auditTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export interface CapturedIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

function capture(): { stream: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      callback();
    },
  });
  return { stream: Object.assign(stream, { isTTY: false }), text: () => chunks.join("") };
}

export function captureIo(env: Record<string, string | undefined>, stdin = ""): CapturedIo {
  const out = capture();
  const err = capture();
  return {
    io: {
      stdin: Object.assign(Readable.from(stdin === "" ? [] : [stdin]), { isTTY: false }),
      stdout: out.stream,
      stderr: err.stream,
      env,
      cwd: process.cwd(),
      signal: new AbortController().signal,
    },
    stdout: out.text,
    stderr: err.text,
  };
}

export function simEnv(sim: RunningSimulator): Record<string, string> {
  return {
    VONAGE_API_KEY: sim.primary.apiKey,
    VONAGE_API_SECRET: sim.primary.apiSecret,
    VONAGE_API_HOST: sim.url,
    VONAGE_REST_HOST: sim.url,
  };
}
