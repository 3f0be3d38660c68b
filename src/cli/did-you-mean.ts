// "Did you mean …?" for commands, flags and runbook ids: the candidate at the smallest edit distance, if it is
// close enough to be what a tired person meant (a typo, a swapped pair, a missing dash), else nothing.

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate within a third of the word's length (at least 1, at most 3 edits), or one that the word
 * is a prefix of (`valid` → `validate`); ties go to the first candidate.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  if (best) return best.candidate;
  if (lower.length >= 3) return candidates.find((candidate) => candidate.toLowerCase().startsWith(lower));
  return undefined;
}

/** `; did you mean `near`?` for a message, or nothing when no candidate is near. */
export function suggestion(word: string | undefined, candidates: readonly string[], prefix = ""): string {
  const near = word === undefined ? undefined : nearest(word, candidates);
  return near === undefined ? "" : `; did you mean \`${prefix}${near}\`?`;
}
