// `--resume latest` and `restore latest`: the newest run of the account in the out directory.
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import { readRunHeaders, type RunHeader } from "../engine/read-run-headers.js";
import type { CliIo } from "./io.js";

/**
 * `--resume latest` (and `restore latest`): the newest run of this account (API key) in the out directory, said
 * aloud; `accept` narrows the runs that count (restore passes over restore runs).
 */
export async function latestRunOf(
  apiKey: string | undefined,
  out: string,
  io: CliIo,
  accept: (header: RunHeader) => boolean = () => true,
  what = "--resume latest",
): Promise<string> {
  if (!apiKey) throw new UsageError(`${what} picks the newest run of VONAGE_API_KEY, which is not set`);
  const outDir = resolve(io.cwd, out);
  const latest = (await readRunHeaders(outDir)).find((header) => header.account === apiKey && accept(header));
  if (!latest) {
    throw new UsageError(
      `no run of account ${apiKey} in ${outDir}`,
      "pass the --out (or the --config with `out:`) the run used, or its run id",
    );
  }
  io.stderr.write(`${what}: run ${latest.runId}, the newest of account ${apiKey} in ${outDir}\n`);
  return latest.runId;
}
