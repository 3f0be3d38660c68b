// `vonage-ir keygen --to FILE`: an age identity for receiving hand-offs, for responders without `age-keygen`.
// The file is age-keygen's format (0600, never overwritten); only the public key is printed, on stdout.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { ExitCode, UsageError } from "../../core/errors.js";
import { newIdentity } from "../../security/age-file.js";
import type { Values } from "../command.js";
import type { CliIo } from "../io.js";

export default async function keygen(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const to = values.to;
  if (positionals.length > 0 || typeof to !== "string" || to.trim() === "")
    throw new UsageError("keygen writes the key to --to FILE", "usage: vonage-ir keygen --to FILE");
  const path = resolve(io.cwd, to);
  const { identity, recipient } = await newIdentity();
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path, flags, 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      error.code === "EEXIST"
        ? `${path} already exists: refusing to overwrite a key`
        : `cannot create ${path} (${error.code ?? error.message})`,
      "pass another --to FILE",
    );
  });
  try {
    await handle.writeFile(
      `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`,
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
  io.stdout.write(`${recipient}\n`);
  io.stderr.write(
    `Wrote your age identity to ${path} (0600: keep it, never share it). Give the public key above to whoever\nexports a run to you: it is their --recipient.\n`,
  );
  return ExitCode.ok;
}
