// `vonage-ir verify-journal <run-id>|latest`: checks a run's hash-chained journal. Exit 0 intact; 1 naming the
// first line that breaks the chain, a missing tail the report pins, or lines written before the chain.
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ExitCode, UsageError } from "../../core/errors.js";
import { readRunHeaders } from "../../engine/read-run-headers.js";
import { RUN_ID_PATTERN } from "../../engine/run-directory.js";
import { describeVerdict, verifyJournalFile, type JournalVerdict } from "../../engine/verify-journal.js";
import type { Values } from "../command.js";
import type { CliIo } from "../io.js";
import { DEFAULT_OUT } from "../session.js";

const USAGE = "usage: vonage-ir verify-journal <run-id>|latest [--out DIR] [--expect SHA256] [--json]";

/** The run directory of `runId` (`latest`: the newest run there, of VONAGE_API_KEY's account when it is set). */
async function runDirectory(outDir: string, runId: string, io: CliIo): Promise<{ id: string; dir: string }> {
  let id = runId;
  if (runId === "latest") {
    const apiKey = io.env.VONAGE_API_KEY?.trim() || undefined;
    const latest = (await readRunHeaders(outDir)).find((h) => apiKey === undefined || h.account === apiKey);
    if (!latest) throw new UsageError(`no run${apiKey ? ` of account ${apiKey}` : ""} in ${outDir}`, USAGE);
    id = latest.runId;
    io.stderr.write(
      `verify-journal latest: run ${id}, the newest${apiKey ? ` of account ${apiKey}` : ""} in ${outDir}\n`,
    );
  }
  if (!RUN_ID_PATTERN.test(id))
    throw new UsageError(`"${id}" is not a run id (they look like 20261122-193000-a1b2c3)`);
  const dir = join(outDir, id);
  const found = await access(join(dir, "journal.jsonl")).then(
    () => true,
    () => false,
  );
  if (!found)
    throw new UsageError(`no journal of run ${id} in ${outDir}`, "pass the --out directory the run used");
  return { id, dir };
}

function humanLines(id: string, verdict: JournalVerdict): string[] {
  const lines = [`journal of run ${id}: ${describeVerdict(verdict)}`];
  if (verdict.broken) lines.push(`sha256 of its last line now: ${verdict.finalHash}`);
  if (verdict.tornTailBytes > 0) {
    lines.push(
      `note: ${verdict.tornTailBytes} byte(s) after the last newline are a record torn by a crash mid-write; it never happened (a resume cuts it)`,
    );
  }
  if (verdict.reportPin && !verdict.broken) {
    lines.push(`the report.json on disk pins line ${verdict.reportPin.lines}: it matches`);
  }
  return lines;
}

export default async function verifyJournal(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [runId, ...extra] = positionals;
  if (!runId || extra.length > 0) throw new UsageError("expected one run id (or latest)", USAGE);
  const expect = values.expect as string | undefined;
  if (expect !== undefined && !/^[0-9a-f]{64}$/.test(expect))
    throw new UsageError(
      "--expect takes the 64 hex digits of a sha256 (the report's Journal section)",
      USAGE,
    );
  const out = resolve(io.cwd, (values.out as string | undefined) ?? DEFAULT_OUT);
  const { id, dir } = await runDirectory(out, runId, io);
  const verdict = await verifyJournalFile(dir, { expect });
  const ok = !verdict.broken && verdict.legacyLines === 0;
  if (values.json) {
    const { hashes: _hashes, ...shown } = verdict;
    io.stdout.write(`${JSON.stringify({ runId: id, ok, ...shown })}\n`);
  } else {
    io.stdout.write(`${humanLines(id, verdict).join("\n")}\n`);
  }
  return ok ? ExitCode.ok : ExitCode.stepFailed;
}
