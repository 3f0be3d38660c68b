// Reads a file the user named (config, runbook, plan, callback body): only a regular file, and only up to a
// size limit, so a FIFO cannot hang the tool and a device (/dev/zero) or a huge file cannot exhaust memory.
import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";

export const MiB = 1024 * 1024;

/** The file's bytes, or why it cannot be read: an errno code (`ENOENT`) or a sentence. */
export type UserFile = { bytes: Buffer } | { problem: string; code: string | undefined };

export async function readUserFile(file: string, maxBytes: number): Promise<UserFile> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise block until one appears.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code ?? String(error), code };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { problem: `not a regular file (${kindOf(stats)})`, code: undefined };
    if (stats.size > maxBytes) return { problem: tooLarge(maxBytes), code: undefined };
    // Read at most one byte past the limit: a file that grows after the check is still refused.
    let buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) return { bytes: buffer.subarray(0, length) };
      length += bytesRead;
      if (length > maxBytes) return { problem: tooLarge(maxBytes), code: undefined };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code ?? String(error), code };
  } finally {
    await handle.close();
  }
}

function tooLarge(maxBytes: number): string {
  return `larger than ${maxBytes >= MiB ? `${maxBytes / MiB} MiB` : `${maxBytes} bytes`}, the limit for this file`;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a file";
}
