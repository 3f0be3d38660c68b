// Quoting for POSIX shells, for the commands the tool prints: a line the operator pastes must reach the
// program with the same words, whatever spaces, quotes or `$` a path holds.

/** One word as a POSIX shell reads it back unchanged: bare when it holds only safe characters, else '…'. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The words quoted and joined into one command line. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
