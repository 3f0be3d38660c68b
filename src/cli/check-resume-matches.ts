// What a resume must still share with the run it continues: the runbook and the config's inputs. Attestations
// may be added (that is how an unattended run closes its manual steps after exit 3); a changed input is refused
// by name, since the journaled plan was made with the old value.
import { UsageError } from "../core/errors.js";
import type { JournalState } from "../core/journal-records.js";
import { canonicalJson } from "../runbook/config.js";
import type { Loaded } from "./session.js";
import { sha256 } from "./session.js";

export function checkResumeMatches(runId: string, journal: JournalState, loaded: Loaded): void {
  const header = journal.header;
  if (header.runbook.hash !== loaded.runbookHash) {
    throw new UsageError(
      `the runbook ${header.runbook.file} changed since run ${runId} started`,
      "a resume must apply the runbook it planned: restore it, or start a new run",
    );
  }
  const saved = header.inputDigests;
  if (saved === undefined) {
    // A journal of an older version hashed inputs and attestations together: accept either form of the same config.
    const legacy = sha256(canonicalJson({ values: loaded.config.values, attest: legacyAttest(loaded) }));
    if (header.configHash === loaded.configHash || header.configHash === legacy) return;
    throw new UsageError(
      `the config differs from the one run ${runId} started with`,
      "pass the same --config file, unchanged (or start a new run)",
    );
  }
  const now = loaded.config.inputDigests;
  const changed = [...new Set([...Object.keys(saved), ...Object.keys(now)])]
    .filter((name) => saved[name] !== now[name])
    .sort()
    .map(
      (name) =>
        `${name} (${saved[name] === undefined ? "added" : now[name] === undefined ? "removed" : "changed"})`,
    );
  if (changed.length === 0) return;
  const file = loaded.config.file ?? "the config";
  throw new UsageError(
    `${changed.length === 1 ? "input" : "inputs"} ${changed.join(", ")} in ${file} differ from what run ${runId} was planned with`,
    "restore the value(s) the run started with and resume (only `attest:` entries may be added), or start a new run",
  );
}

function legacyAttest(loaded: Loaded): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(loaded.config.attest).map(([step, a]) => [
      step,
      { by: a.by, at: a.at, note: a.note, evidence: a.evidence },
    ]),
  );
}
