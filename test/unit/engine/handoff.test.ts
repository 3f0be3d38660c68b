import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  handoffOf,
  packRun,
  unpackArchive,
  writeRunFrom,
  type HandoffArchive,
} from "../../../src/engine/handoff.js";
import type { JournalState } from "../../../src/core/journal-records.js";
import { decryptWith, encryptTo, identitiesIn, newIdentity } from "../../../src/security/age-file.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vonage-ir-handoff-"));
  dirs.push(dir);
  return dir;
}

const RUN = "20261201-000000-abcdef";
const meta = { runId: RUN, account: "abcd1234", now: new Date(0), extras: {} };

async function runDir(root: string): Promise<string> {
  const dir = join(root, RUN);
  await mkdir(join(dir, "secrets"), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "journal.jsonl"), '{"t":"run"}\n', { mode: 0o600 });
  await writeFile(join(dir, "secrets", "api-secret-abcd1234"), "s3cret-value\n", { mode: 0o600 });
  return dir;
}

function archive(entries: HandoffArchive["entries"]): Uint8Array {
  return gzipSync(
    JSON.stringify({
      format: "vonage-ir-handoff",
      version: 1,
      runId: RUN,
      account: "k",
      exportedAt: "",
      entries,
    }),
  );
}

describe("hand-off archive", () => {
  it("round-trips a run directory through age into a new out directory, owner-only", async () => {
    const from = await tempDir();
    const to = await tempDir();
    const packed = await packRun(await runDir(from), meta);
    const { identity, recipient } = await newIdentity();
    const sealed = await encryptTo(recipient, packed);
    expect(sealed.includes(Buffer.from("s3cret-value"))).toBe(false);
    const opened = await decryptWith(identitiesIn(`# a comment\n${identity}\n`), sealed, "f.age");
    const dir = await writeRunFrom(unpackArchive(opened, "f.age"), to, async () => undefined);
    expect(await readFile(join(dir, "secrets", "api-secret-abcd1234"), "utf8")).toBe("s3cret-value\n");
    expect((await stat(join(dir, "secrets"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, "secrets", "api-secret-abcd1234"))).mode & 0o777).toBe(0o600);
    await expect(writeRunFrom(unpackArchive(opened, "f.age"), to, async () => undefined)).rejects.toThrow(
      /already exists in .*: refusing to overwrite it/,
    );
  });

  it("refuses another identity, naming its public key", async () => {
    const mine = await newIdentity();
    const theirs = await newIdentity();
    const sealed = await encryptTo(theirs.recipient, Buffer.from("x"));
    await expect(decryptWith([mine.identity], sealed, "f.age")).rejects.toThrow(
      `f.age is not encrypted to this identity (public key ${mine.recipient})`,
    );
  });

  it("refuses paths that leave the run directory and links inside it", async () => {
    for (const path of ["../evil", "/etc/x", "a/../../b", "a//b", "a\\b", "."]) {
      expect(() =>
        unpackArchive(
          archive([
            { path, type: "file", mode: 0o600, data: "" },
            { path: "journal.jsonl", type: "file", mode: 0o600, data: "" },
          ]),
          "f",
        ),
      ).toThrow(/leaves the run directory/);
    }
    const from = await tempDir();
    const dir = await runDir(from);
    await symlink("/etc/passwd", join(dir, "evidence"));
    await expect(packRun(dir, meta)).rejects.toThrow(/neither a file nor a directory/);
  });

  it("a run is handed off until a later import of it", () => {
    const state = (ts: string[]) =>
      ({
        records: ts.map((t) => ({ t, to: "age1x", file: "f", sha256: "s", bytes: 1, seq: 1, ts: "" })),
      }) as unknown as JournalState;
    expect(handoffOf(state(["run", "handoff"]))?.to).toBe("age1x");
    expect(handoffOf(state(["run", "handoff", "imported"]))).toBeUndefined();
    expect(handoffOf(state(["run", "imported"]))).toBeUndefined();
  });
});
