// The journal's hash chain: each record's `prev` is the sha256 of the previous line's bytes, newline included
// (`sed -n 'Np' journal.jsonl | sha256sum` prints it), and the first record's is GENESIS. verifyChain checks a
// journal's bytes and names the first line that breaks the chain; it never throws on what it reads.
import { createHash } from "node:crypto";

/** The `prev` of a journal's first record: 64 zeros (documented in README "A tamper-evident journal"). */
export const GENESIS = "0".repeat(64);

/** The sha256 (hex) of one journal line as written: its bytes and its newline. */
export function lineHash(line: Uint8Array): string {
  return createHash("sha256").update(line).digest("hex");
}

/** The hash the next record chains to, from a journal's bytes: its last whole line's, or GENESIS. */
export function chainHead(bytes: Buffer): string {
  const end = bytes.lastIndexOf(0x0a);
  if (end < 0) return GENESIS;
  const start = bytes.lastIndexOf(0x0a, end - 1) + 1;
  return lineHash(bytes.subarray(start, end + 1));
}

export interface ChainBreak {
  /** 1-based line of the journal where the evidence points. */
  line: number;
  reason: string;
}

export interface ChainVerdict {
  /** Whole lines (records) read. */
  lines: number;
  /** The hash of the last whole line (what the report's footer pins), GENESIS for an empty journal. */
  finalHash: string;
  /** The first break, if any. */
  broken?: ChainBreak | undefined;
  /** Leading lines without `prev`: written by a version before the chain (a run started before the upgrade). */
  legacyLines: number;
  /** Bytes after the last newline: a record torn by a crash mid-write, which never happened. */
  tornTailBytes: number;
  /** The hash of every whole line, in order (line n is hashes[n - 1]). */
  hashes: string[];
}

interface Line {
  bytes: Buffer;
  record: Record<string, unknown> | undefined;
}

function splitLines(bytes: Buffer): { lines: Line[]; torn: number } {
  const lines: Line[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
    const line = bytes.subarray(start, end + 1);
    let record: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(line.toString("utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) record = parsed as Line["record"];
    } catch {
      record = undefined;
    }
    lines.push({ bytes: line, record });
    start = end + 1;
  }
  return { lines, torn: bytes.length - start };
}

/** Checks the chain of a journal's bytes (see the module comment); the report pin is checked by the caller. */
export function verifyChain(bytes: Buffer): ChainVerdict {
  const { lines, torn } = splitLines(bytes);
  const hashes = lines.map((l) => lineHash(l.bytes));
  const verdict: ChainVerdict = {
    lines: lines.length,
    finalHash: hashes.at(-1) ?? GENESIS,
    legacyLines: 0,
    tornTailBytes: torn,
    hashes,
  };
  verdict.broken = firstBreak(lines, hashes, verdict);
  return verdict;
}

function firstBreak(lines: Line[], hashes: string[], verdict: ChainVerdict): ChainBreak | undefined {
  // A header that names the tool's version was written by a chaining version: it must be chained from line 1.
  let chained = typeof lines[0]?.record?.tool === "object";
  for (const [index, line] of lines.entries()) {
    const n = index + 1;
    if (!line.record) return { line: n, reason: "not a JSON record (changed after it was written)" };
    const prev = line.record.prev;
    if (prev === undefined && !chained) {
      verdict.legacyLines++;
      continue;
    }
    if (typeof prev !== "string") {
      return { line: n, reason: "no chain hash (prev) where the chain requires one: the line was replaced" };
    }
    chained = true;
    const expected = index === 0 ? GENESIS : hashes[index - 1];
    if (prev !== expected) return mismatch(lines, hashes, index);
  }
  return undefined;
}

/**
 * Line `index` does not chain to the line before it. A gap or reversal of `seq` means lines were removed,
 * inserted or moved here; else one of the two lines was changed: the one the next line's `prev` still matches
 * is intact, so the change is in the line before.
 */
function mismatch(lines: Line[], hashes: string[], index: number): ChainBreak {
  const n = index + 1;
  const seq = lines[index]?.record?.seq;
  const before = lines[index - 1]?.record?.seq;
  if (typeof seq === "number" && typeof before === "number" && seq !== before + 1) {
    return {
      line: n,
      reason: `line ${n} (seq ${seq}) does not follow line ${index} (seq ${before}): a line was removed, inserted or moved here`,
    };
  }
  if (index === 0) return { line: 1, reason: "the first record does not start from the genesis hash" };
  const next = lines[index + 1]?.record?.prev;
  if (next === undefined || next === hashes[index]) {
    return {
      line: index,
      reason: `line ${index} was changed after it was written (line ${n}'s prev does not match it)${next === undefined ? `, or line ${n}'s prev was` : ""}`,
    };
  }
  return {
    line: n,
    reason: `line ${n} was changed after it was written (neither neighbour's hash matches it)`,
  };
}
