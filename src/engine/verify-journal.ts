// A run directory's journal checked end to end: the hash chain (journal-chain.ts), then what the chain alone
// cannot see, a tail cut off after whole lines: the report on disk (and a hash from a copy of it, `--expect`)
// pins the journal's last record when it was written, and that record must still be there.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ValidationError } from "../core/errors.js";
import { verifyChain, type ChainBreak, type ChainVerdict } from "./journal-chain.js";

export interface JournalVerdict extends ChainVerdict {
  /** The last record the run's report.json pinned, when it has one. */
  reportPin?: { lines: number; finalHash: string } | undefined;
}

async function readPin(runDir: string): Promise<JournalVerdict["reportPin"]> {
  const text = await readFile(join(runDir, "report.json"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const pin = (JSON.parse(text) as { journal?: { lines?: unknown; finalHash?: unknown } }).journal;
    return typeof pin?.lines === "number" && typeof pin.finalHash === "string"
      ? { lines: pin.lines, finalHash: pin.finalHash }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Line `lines` must still end in `hash`; else the break the pin shows. */
function pinBreak(
  verdict: ChainVerdict,
  lines: number,
  hash: string,
  source: string,
): ChainBreak | undefined {
  if (lines > verdict.lines) {
    return {
      line: verdict.lines + 1,
      reason: `the journal ends at line ${verdict.lines}, but ${source} pinned ${lines} records: lines ${verdict.lines + 1}-${lines} are missing (a crash tears at most one unfinished line; it cannot remove records already written)`,
    };
  }
  if (lines > 0 && verdict.hashes[lines - 1] !== hash) {
    return { line: lines, reason: `line ${lines} is not the record ${source} pinned (sha256 ${hash})` };
  }
  return undefined;
}

/** The record a copy of the report names (`--expect`), wherever the journal has grown since. */
function expectBreak(verdict: ChainVerdict, hash: string): ChainBreak | undefined {
  if (verdict.hashes.includes(hash)) return undefined;
  return {
    line: verdict.lines,
    reason: `no line of the journal has the sha256 ${hash} given with --expect: records were changed or removed since that report was written`,
  };
}

export async function verifyJournalFile(
  runDir: string,
  options: { expect?: string | undefined } = {},
): Promise<JournalVerdict> {
  const path = join(runDir, "journal.jsonl");
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ValidationError([
      { file: path, path: "", message: `cannot read journal (${(error as NodeJS.ErrnoException).code})` },
    ]);
  }
  const verdict: JournalVerdict = verifyChain(bytes);
  verdict.reportPin = await readPin(runDir);
  const pin = verdict.reportPin;
  verdict.broken ??=
    (pin && pinBreak(verdict, pin.lines, pin.finalHash, "the run's report.json")) ??
    (options.expect ? expectBreak(verdict, options.expect) : undefined);
  return verdict;
}

/** A verdict as one line: what verify-journal prints and a refused resume names. */
export function describeVerdict(verdict: JournalVerdict): string {
  if (verdict.broken) return `line ${verdict.broken.line}: ${verdict.broken.reason}`;
  if (verdict.legacyLines > 0) {
    return `lines 1-${verdict.legacyLines} carry no chain hash (written by a version before the hash chain): they cannot be verified`;
  }
  return `intact: ${verdict.lines} records chained from the genesis hash; sha256 of the last: ${verdict.finalHash}`;
}
