// `vonage-ir export <run-id> --to FILE --recipient AGE_PUBLIC_KEY`: hands a run to the next responder. One
// age-encrypted file holds the run directory (journal, evidence, report, the sink's secrets and keys) and the run's
// config; this copy is then marked handed off in its journal, so a resume here is refused naming the hand-off.
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { resolve } from "node:path";
import { rewriteReport } from "../rewrite-report.js";
import { ExitCode, UsageError } from "../../core/errors.js";
import { HANDOFF_CONFIG, HANDOFF_RUNBOOK, packRun, refuseHandedOff } from "../../engine/handoff.js";
import { Journal } from "../../engine/journal.js";
import { type JournalState } from "../../core/journal-records.js";
import { acquireLock, type HeldLock } from "../../engine/lock.js";
import { runPaths } from "../../engine/run-directory.js";
import { MiB, readUserFile } from "../../io/read-user-file.js";
import { assertPrivateDirectory } from "../../security/private-file.js";
import { checkRecipient, encryptTo } from "../../security/age-file.js";
import type { Values } from "../command.js";
import { loadResume } from "../load-resume.js";
import type { CliIo } from "../io.js";
import { givenActor } from "../actor.js";
import { checkChain } from "../check-chain.js";
import { DEFAULT_OUT } from "../session.js";
import { stateDirectory } from "../state-directory.js";

function requiredString(values: Values, flag: string, usage: string): string {
  const value = values[flag];
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`--${flag} is required`, usage);
  return value;
}

/** The run's config (its `--config`, or the file the run started with): the next responder resumes with it. */
async function configText(
  journal: JournalState,
  given: string | undefined,
  io: CliIo,
): Promise<string | undefined> {
  const file = given === undefined ? journal.header.config?.file : resolve(io.cwd, given);
  if (file === undefined) return undefined;
  const read = await readUserFile(file, MiB);
  if ("problem" in read) {
    throw new UsageError(
      `cannot read the config ${file} the run started with (${read.problem}): the next responder needs it to resume`,
      "pass it with --config FILE (unchanged inputs; attestations may be added)",
    );
  }
  return read.bytes.toString("utf8");
}

/** Writes the sealed file, never over an existing one (0600: it is encrypted, but it is nobody else's). */
async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path, flags, 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      error.code === "EEXIST"
        ? `${path} already exists: refusing to overwrite it`
        : `cannot create ${path} (${error.code ?? error.message})`,
      "pass another --to FILE (nothing was exported)",
    );
  });
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The account's locks (per user, and in the out directory), as a run takes them: no run of it is in progress. */
async function holdLocks(io: CliIo, outDir: string, account: string, runId: string): Promise<HeldLock[]> {
  const stateDir = resolve(io.cwd, stateDirectory(io.env));
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  const locks = [await acquireLock(stateDir, account, runId, { warn, out: outDir })];
  locks.push(await acquireLock(outDir, account, runId, { warn, out: outDir }));
  return locks;
}

export default async function exportRun(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const usage =
    "usage: vonage-ir export <run-id> --to FILE --recipient AGE_PUBLIC_KEY [--out DIR] [--config FILE]";
  const [runId, ...extra] = positionals;
  if (runId === undefined || extra.length > 0) throw new UsageError("expected one run id", usage);
  const to = resolve(io.cwd, requiredString(values, "to", usage));
  const recipient = checkRecipient(requiredString(values, "recipient", usage));
  const outDir = resolve(io.cwd, (values.out as string | undefined) ?? DEFAULT_OUT);
  const journal = await loadResume(outDir, runId);
  refuseHandedOff(runId, journal);
  const paths = runPaths(outDir, runId);
  await assertPrivateDirectory(paths.dir, "run directory", { noSymlink: true });
  // The next responder trusts what they are handed: a broken chain goes out only when accepted, and journaled.
  const acceptedBrokenJournal = await checkChain(paths.dir, Boolean(values["accept-broken-journal"]), io, {
    verb: "export it",
    ing: "exporting",
  });
  const actor = givenActor(values, io);
  const locks = await holdLocks(io, outDir, journal.header.account, runId);
  try {
    const config = await configText(journal, values.config as string | undefined, io);
    const runbook = await readUserFile(journal.header.runbook.file, MiB);
    const extras = {
      [HANDOFF_CONFIG]: config,
      [HANDOFF_RUNBOOK]: "bytes" in runbook ? runbook.bytes.toString("utf8") : undefined,
    };
    const plain = await packRun(paths.dir, {
      runId,
      account: journal.header.account,
      now: new Date(),
      extras,
    });
    const sealed = await encryptTo(recipient, plain);
    await writeNew(to, sealed);
    const sha256 = createHash("sha256").update(sealed).digest("hex");
    const record = {
      t: "handoff" as const,
      to: recipient,
      file: to,
      sha256,
      bytes: sealed.length,
      ...(acceptedBrokenJournal ? { acceptedBrokenJournal } : {}),
    };
    const appended = await Journal.open(paths.journal, journal.nextSeq, { actor });
    try {
      await appended.append(record, true);
    } finally {
      await appended.close();
    }
    await rewriteReport(paths.dir).catch(() => undefined);
    if (values.json) io.stdout.write(`${JSON.stringify({ v: 1, kind: "run.exported", runId, ...record })}\n`);
    io.stderr.write(
      [
        `Exported run ${runId} (account ${journal.header.account}) to ${to}: ${sealed.length} bytes, encrypted to ${recipient}.`,
        `  sha256 ${sha256}: tell the next responder by another channel, so they can check the file.`,
        `  It holds the journal, evidence, report, the run's secrets and keys${config === undefined ? "" : " and its config"}: only their identity opens it.`,
        `This copy of the run is now handed off: a resume here is refused. The next responder imports the file with`,
        `\`vonage-ir import\` and their identity (README, "Hand-off"), then resumes with the command it prints.`,
        "",
      ].join("\n"),
    );
    return ExitCode.ok;
  } finally {
    for (const lock of locks.reverse()) await lock.release().catch(() => undefined);
  }
}
