// One run per Vonage account at a time: `<out>/.lock-<apiKey>` holds the holder's run id, pid and host.
// A lock whose pid is gone (same host) is stale and taken over with a warning; `--break-lock` forces it.
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockError } from "./errors.js";

export interface LockHolder {
  runId: string;
  pid: number;
  host: string;
  startedAt: string;
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function acquireLock(
  outDir: string,
  account: string,
  runId: string,
  options: { breakLock?: boolean; warn?: (message: string) => void } = {},
): Promise<HeldLock> {
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const path = join(outDir, `.lock-${account}`);
  const me: LockHolder = { runId, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(`${JSON.stringify(me)}\n`);
      await handle.sync();
      await handle.close();
      return {
        path,
        release: async () => {
          const holder = await readHolder(path);
          if (holder?.runId === runId && holder.pid === process.pid) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(path);
    const stale = holder !== undefined && holder.host === me.host && !alive(holder.pid);
    if (options.breakLock || stale || holder === undefined) {
      options.warn?.(
        holder
          ? `taking over the ${stale ? "stale " : ""}lock of run ${holder.runId} (pid ${holder.pid} on ${holder.host}${stale ? ", not running" : ""})`
          : `removing an unreadable lock file ${path}`,
      );
      await rm(path, { force: true });
      continue;
    }
    throw new LockError(
      `account ${account} is locked by run ${holder.runId} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
      `wait for that run to finish; if it is gone (another machine, a crashed session), rerun with --break-lock or delete ${path}`,
    );
  }
  throw new LockError(`could not acquire the lock ${path}`, `delete ${path} if no run is active`);
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, "utf8")) as LockHolder;
    return typeof holder.pid === "number" && typeof holder.runId === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
}
