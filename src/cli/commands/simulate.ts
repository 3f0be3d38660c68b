// `vonage-ir simulate`: the Vonage simulator on loopback until Ctrl-C, with the env lines to point at it.
import { resolve } from "node:path";
import { ExitCode, UsageError } from "../../core/errors.js";
import { MiB, readUserFile } from "../../io/read-user-file.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";

function integer(value: unknown, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${String(value)}"`);
  return n;
}

export default async function simulate(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(" ")}`);
  const { runSimulate, isScenarioName, scenarioNames, parseSimState, isLoopbackHost } =
    await import("../../simulator/index.js");
  const scenario = values.scenario as string | undefined;
  if (scenario !== undefined && !isScenarioName(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}"`, `scenarios: ${scenarioNames.join(", ")}`);
  }
  const mode = values["delete-app-with-numbers"] as string | undefined;
  if (mode !== undefined && mode !== "refuse" && mode !== "orphan") {
    throw new UsageError(`--delete-app-with-numbers must be "refuse" or "orphan", not "${mode}"`);
  }
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !values["allow-non-loopback"]) {
    throw new UsageError(
      `refusing to listen on ${host}: the simulator hands out its secrets to anyone who can reach it`,
      "pass --allow-non-loopback if you really mean it",
    );
  }
  let state;
  const stateFile = values.state as string | undefined;
  if (stateFile) {
    // A state file of the `large` scenario is a few MiB.
    const read = await readUserFile(resolve(io.cwd, stateFile), 256 * MiB);
    if ("problem" in read) throw new UsageError(`cannot read state file ${stateFile}: ${read.problem}`);
    const text = read.bytes.toString("utf8");
    try {
      state = parseSimState(JSON.parse(text));
    } catch (error) {
      throw new UsageError(
        `${stateFile}: ${(error as Error).message}`,
        "see docs/simulator.md for the state format",
      );
    }
  }
  const options = {
    port: integer(values.port, "port", 0, 65535) ?? 0,
    host,
    allowNonLoopback: Boolean(values["allow-non-loopback"]),
    ...(scenario === undefined ? {} : { scenario }),
    ...(state === undefined ? {} : { state }),
    ...(values.latency === undefined ? {} : { latencyMs: integer(values.latency, "latency", 0, 60_000) }),
    ...(values["rate-limit"] === undefined
      ? {}
      : { rateLimit: integer(values["rate-limit"], "rate-limit", 0, 100_000) }),
    ...(mode === undefined ? {} : { deleteAppWithNumbers: mode as "refuse" | "orphan" }),
    ...(values["unreachable-sms-webhooks"] === undefined
      ? {}
      : {
          unreachableSmsWebhooks: integer(
            values["unreachable-sms-webhooks"],
            "unreachable-sms-webhooks",
            0,
            100_000,
          ),
        }),
    ...(values["fraud-rule-management"] ? { fraudRuleManagement: true } : {}),
    ...(values["reports-unavailable"] ? { reportsAvailable: false } : {}),
  };
  await runSimulate(options as Parameters<typeof runSimulate>[0], io.stdout, io.signal);
  return ExitCode.ok;
}
