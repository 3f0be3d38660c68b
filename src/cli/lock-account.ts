// Before a run changes anything: its out and state directories, private to this user, and the account's two
// locks (one per-user, seen by a run with another --out; one in the out directory, for the runs it holds).
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError, messageOf } from "../core/errors.js";
import { acquireLock, type HeldLock } from "../engine/lock.js";
import { assertPrivateDirectory } from "../security/private-file.js";
import type { RunContext } from "./run-context.js";
import { stateDirectory } from "./state-directory.js";

/** Checks the directories and pushes each lock onto `locks` as it is taken, so a later failure releases it. */
export async function lockAccount(ctx: RunContext, locks: HeldLock[]): Promise<void> {
  const { request, events, runId, gateway, outDir, paths } = ctx;
  const { io } = request;
  // Whoever else can write the out directory can move the run directory away (and the new secret with it).
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await assertPrivateDirectory(outDir, "out directory");
  if (request.resume) await assertPrivateDirectory(paths.dir, "run directory", { noSymlink: true });
  // The account lock lives in the per-user state directory, so a run with another --out sees it; the out
  // directory keeps its own lock for the run directories it holds.
  const stateDir = resolve(io.cwd, stateDirectory(io.env));
  await mkdir(stateDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw new UsageError(
      `cannot create the state directory ${stateDir} for the account locks (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
      "set VONAGE_IR_STATE_DIR to a directory of yours (nothing was changed)",
    );
  });
  await assertPrivateDirectory(stateDir, "state directory (VONAGE_IR_STATE_DIR)");
  // A killed run leaves both locks behind: one warning for taking over the same run's locks.
  const warned = new Set<string>();
  const lockOptions = {
    breakLock: request.breakLock,
    warn: (message: string) => {
      if (!warned.has(message)) events.emit({ kind: "warning", message });
      warned.add(message);
    },
    out: outDir,
  };
  locks.push(await acquireLock(stateDir, gateway.apiKey, runId, lockOptions));
  locks.push(await acquireLock(outDir, gateway.apiKey, runId, lockOptions));
}
