// The keyed seal of a saved plan: HMAC-SHA256 under a key only this user holds (a 0600 file in the per-user state
// directory). The plan's sha256 catches corruption, but anyone who can write the file can recompute it; only a
// plan sealed with this key was written by `plan --save` as this user, so only its recorded answers (which secret
// to revoke first, inputs typed at a prompt) may be replayed without asking again.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { UsageError, messageOf } from "../core/errors.js";
import { assertPrivateDirectory } from "../security/private-file.js";
import type { CliIo } from "./io.js";
import { stateDirectory } from "./state-directory.js";

const KEY_FILE = "plan-seal.key";
const KEY_BYTES = 32;

function stateDirOf(io: CliIo): string {
  return resolve(io.cwd, stateDirectory(io.env));
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (!stats.isFile() || stats.size !== KEY_BYTES * 2 || (uid !== undefined && stats.uid !== uid))
      throw new UsageError(
        `${path} is not a plan seal key of yours`,
        `remove it (a new one is made by the next \`vonage-ir plan --save\`; plans sealed with it can no longer replay their answers)`,
      );
    const key = Buffer.from((await handle.readFile("utf8")).trim(), "hex");
    if (key.length !== KEY_BYTES) throw new UsageError(`${path} is not a plan seal key`, `remove it`);
    return key;
  } finally {
    await handle.close();
  }
}

/** This user's seal key, made (32 random bytes, 0600, never replaced) on first use when `create` is set. */
export async function planSealKey(io: CliIo, create: boolean): Promise<Buffer | undefined> {
  const dir = stateDirOf(io);
  const path = join(dir, KEY_FILE);
  try {
    if (create) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await assertPrivateDirectory(dir, "state directory (VONAGE_IR_STATE_DIR)");
    }
    const existing = await readKey(path);
    if (existing || !create) return existing;
    const key = randomBytes(KEY_BYTES);
    try {
      const handle = await open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        await handle.writeFile(key.toString("hex"));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return key;
    } catch (error) {
      // Another `plan --save` made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return await readKey(path);
      throw error;
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot use the plan seal key in ${dir} (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
      "set VONAGE_IR_STATE_DIR to a directory of your own (nothing was changed)",
    );
  }
}

export function planSeal(key: Buffer, canonicalPlan: string): string {
  return createHmac("sha256", key).update(canonicalPlan).digest("hex");
}

/** Whether `seal` is this user's seal of `canonicalPlan` (false without a key or a seal). */
export function sealedByMe(key: Buffer | undefined, canonicalPlan: string, seal: unknown): boolean {
  if (!key || typeof seal !== "string" || !/^[0-9a-f]{64}$/.test(seal)) return false;
  return timingSafeEqual(Buffer.from(planSeal(key, canonicalPlan), "hex"), Buffer.from(seal, "hex"));
}
