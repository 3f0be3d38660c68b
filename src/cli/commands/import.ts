// `vonage-ir import FILE [--identity KEY-FILE] [--out DIR]`: takes over a run another responder exported. The age
// identity comes from a file or a pipe on stdin, never from argv; the run directory is restored under the out
// directory with owner-only permissions, never over an existing run, and the command that resumes it is printed.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ExitCode, UsageError } from "../../core/errors.js";
import { HANDOFF_CONFIG, unpackArchive, writeRunFrom } from "../../engine/handoff.js";
import { Journal, readJournal } from "../../engine/journal.js";
import { MiB, readUserFile } from "../../io/read-user-file.js";
import { registerSecret } from "../../core/redact.js";
import { decryptWith, identitiesIn } from "../../security/age-file.js";
import { assertPrivateDirectory } from "../../security/private-file.js";
import type { Values } from "../command.js";
import type { CliIo } from "../io.js";
import { givenActor } from "../actor.js";
import { shellLine, shellQuote } from "../../io/shell-quote.js";
import type { DeliverTarget, ServiceCheck } from "../../actions/delivery-config.js";
import { exportSecretCommand, printedResume } from "../printed-command.js";
import { DEFAULT_OUT } from "../session.js";

/** Hand-off files of the largest runs stay far below this. */
const MAX_HANDOFF_BYTES = 1024 * MiB;

async function readOrRefuse(file: string, maxBytes: number, what: string): Promise<Buffer> {
  const read = await readUserFile(file, maxBytes);
  if ("problem" in read) throw new UsageError(`cannot read the ${what} ${file}: ${read.problem}`);
  return read.bytes;
}

/** The identity file's text: `--identity FILE`, else a pipe on stdin; a key typed as the flag's value is refused. */
async function identityText(values: Values, io: CliIo): Promise<string> {
  const flag = values.identity;
  if (typeof flag === "string") {
    if (flag.trim().startsWith("AGE-SECRET-KEY-")) {
      registerSecret(flag.trim());
      throw new UsageError(
        "--identity takes the FILE that holds the key, never the key itself (argv is visible to every process and kept in shell history)",
        "vonage-ir import FILE --identity KEY-FILE, or pipe the key file on stdin",
      );
    }
    return (await readOrRefuse(resolve(io.cwd, flag), MiB, "identity file")).toString("utf8");
  }
  if (io.stdin.isTTY) {
    throw new UsageError(
      "no identity: pass --identity KEY-FILE, or pipe the key file on stdin (a terminal would echo it)",
      "e.g. vonage-ir import handoff.age --identity ~/vonage-ir-key.txt",
    );
  }
  let text = "";
  for await (const chunk of io.stdin) {
    text += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
    if (text.length > MiB) throw new UsageError("stdin holds more than an identity file (over 1 MiB)");
  }
  return text;
}

/**
 * The deliveries and service checks of the imported plan that are not done: they run on this machine when the
 * run resumes, so the next responder checks here that each command exists and each file is the services' one.
 */
async function stillToRun(runDir: string): Promise<string[]> {
  const state = await readJournal(join(runDir, "journal.jsonl"));
  const lines: string[] = [];
  for (const step of state.plan.steps) {
    for (const change of step.changes) {
      if (state.done.has(`${step.id}:${change.id}`) || state.skipped.has(`${step.id}:${change.id}`)) continue;
      if (change.kind === "deliver") {
        const target = change.params.deliver as unknown as DeliverTarget;
        const what = `deliver ${String(change.params.item)} of ${String(change.params.shownAs)} to ${String(change.params.label)}`;
        lines.push(
          target.dotenv
            ? `  ${what}: sets ${target.dotenv.key} in ${target.dotenv.file}${target.dotenv.create ? " (created if missing)" : " (the file must exist here)"}`
            : `  ${what}: runs ${shellLine(target.exec ?? [])} (the value on its stdin)`,
        );
      } else if (change.params.role === "check" && typeof change.params.check === "object") {
        const check = change.params.check as unknown as ServiceCheck;
        lines.push(`  service check ${check.name}: runs ${shellLine(check.run)} (must exit 0)`);
      }
    }
  }
  return lines.length === 0
    ? []
    : [
        "Still to run, on this machine when you resume (check each command exists here and each file is the one the services read):",
        ...lines,
      ];
}

export default async function importRun(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [file, ...extra] = positionals;
  if (file === undefined || file.trim() === "" || extra.length > 0)
    throw new UsageError(
      "expected one hand-off file",
      "usage: vonage-ir import FILE [--identity KEY-FILE] [--out DIR]",
    );
  const actor = givenActor(values, io);
  const identities = identitiesIn(await identityText(values, io));
  const sealed = await readOrRefuse(resolve(io.cwd, file), MAX_HANDOFF_BYTES, "hand-off file");
  const archive = unpackArchive(await decryptWith(identities, sealed, file), file);
  const out = (values.out as string | undefined) ?? DEFAULT_OUT;
  const outDir = resolve(io.cwd, out);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await assertPrivateDirectory(outDir, "out directory");
  const sha256 = createHash("sha256").update(sealed).digest("hex");
  const runDir = await writeRunFrom(archive, outDir, async (staging) => {
    // A journal that does not read is refused before the run lands; the import is its next record.
    const path = join(staging, "journal.jsonl");
    const journal = await Journal.open(path, (await readJournal(path)).nextSeq, { actor });
    try {
      await journal.append({ t: "imported", sha256, from: basename(file) }, true);
    } finally {
      await journal.close();
    }
  });
  const hasConfig = archive.entries.some((e) => e.path === HANDOFF_CONFIG);
  const secretFile = join(runDir, "secrets", `api-secret-${archive.account}`);
  const hasSecret = archive.entries.some((e) => e.path === `secrets/api-secret-${archive.account}`);
  const resume = printedResume(io, archive.runId, {
    configFile: hasConfig ? join(runDir, HANDOFF_CONFIG) : undefined,
    out: outDir,
  });
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ v: 1, kind: "run.imported", runId: archive.runId, account: archive.account, runDir, sha256, resumeCommand: resume })}\n`,
    );
  }
  io.stderr.write(
    [
      `Imported run ${archive.runId} (account ${archive.account}, exported ${archive.exportedAt}) into ${runDir}`,
      `  ${archive.entries.length} entries; directories 0700, files 0600; sha256 of the file ${sha256}.`,
      ...(hasConfig
        ? [`  Its config: ${join(runDir, HANDOFF_CONFIG)} (add attest: entries there, keep the inputs).`]
        : []),
      ...(await stillToRun(runDir)),
      hasSecret
        ? `load the credentials without printing the secret: export VONAGE_API_KEY=${shellQuote(archive.account)} && ${exportSecretCommand(secretFile)}`
        : `load the API key: export VONAGE_API_KEY=${shellQuote(archive.account)}`,
      ...(hasSecret
        ? []
        : [
            "  and set VONAGE_API_SECRET to the account's current secret (from where you keep it; never on a command line)",
          ]),
      `resume with: ${resume}`,
      "",
    ].join("\n"),
  );
  return ExitCode.ok;
}
