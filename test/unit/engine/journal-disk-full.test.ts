// A disk that fills up while an intent is being journaled: the run stops before the change it announces (no
// apply, no API call), says the disk is full and how to resume, and the resume applies that change once.
import { readdir, writeFile } from "node:fs/promises";
import type * as FsPromises from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeIo, removeTempDirs, tempDir } from "../../helpers/cli-io.js";
import {
  createCounterStore,
  createFakeGateway,
  createTestRegistry,
  runWithRegistry,
} from "../../helpers/test-actions.js";

/** The simulated disk: once `fillOn` matches a record being appended to a journal, it takes part of it and is full. */
const disk = vi.hoisted(() => ({ fillOn: undefined as RegExp | undefined, full: false }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const enospc = () =>
    Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });
  const open: typeof actual.open = async (path, flags, mode) => {
    const handle = await actual.open(path, flags, mode);
    if (!String(path).endsWith("journal.jsonl") || flags !== "a") return handle;
    const write = async (data: string | Uint8Array, offset?: number, length?: number) => {
      const bytes =
        typeof data === "string"
          ? Buffer.from(data)
          : Buffer.from(data).subarray(offset ?? 0, (offset ?? 0) + (length ?? data.length));
      if (disk.full) throw enospc();
      if (disk.fillOn?.test(bytes.toString("utf8"))) {
        disk.full = true;
        // write(2) on a filling disk: a part of the record goes in, the call returns the short count
        const { bytesWritten } = await handle.write(bytes, 0, Math.floor(bytes.length / 2));
        return { bytesWritten, buffer: data };
      }
      return handle.write(bytes, 0, bytes.length);
    };
    return new Proxy(handle, {
      get(target, key) {
        if (key === "write") return write;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { ...actual, open, default: { ...actual, open } };
});

afterEach(removeTempDirs);

const RUNBOOK = `id: counting
title: Count some keys
description: two steps of test actions
version: 1
steps:
  - id: first
    title: Count a and b
    action: test.counter
    with:
      keys: [a, b]
  - id: second
    title: Count c and d
    action: test.counter
    continueOnError: true
    with:
      keys: [c, d]
  - id: revoke
    title: Revoke a secret through the gateway
    action: test.gateway-write
    with:
      secretId: s-1
`;

describe("a full disk while journaling an intent", () => {
  it("sends nothing after the intent that is not durable, says the disk is full, and resumes without a duplicate", async () => {
    const dir = await tempDir();
    const runbook = join(dir, "counting.yaml");
    await writeFile(runbook, RUNBOOK);
    const store = createCounterStore();
    const fake = createFakeGateway();
    const registry = createTestRegistry(store);
    const out = join(dir, "runs");
    const run = async (resume?: string) => {
      const io = fakeIo({ cwd: dir });
      const code = await runWithRegistry({
        registry,
        io: io.io,
        gateway: fake.gateway,
        out,
        runbook,
        resume,
      });
      return { code, stderr: io.stderr() };
    };

    disk.fillOn = /"t":"intent","changeId":"second:c"/;
    const first = await run();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/error: cannot write to the journal .* the disk is full \(ENOSPC\)/);
    expect(first.stderr).toMatch(
      /free space on the disk, then resume: node \S+\/bin\/vonage-ir\.js run --resume \d{8}-\d{6}-\w{6}/,
    );
    expect(first.stderr).not.toMatch(/unexpected error|a bug in vonage-ir/);
    // c's intent never became durable: c was not applied, and nothing after it ran (no gateway write)
    expect(store.applied).toEqual(["a", "b"]);
    expect(fake.writes()).toEqual([]);

    disk.fillOn = undefined;
    disk.full = false;
    const runId = (await readdir(out)).filter((name) => !name.startsWith("."))[0] ?? "";
    const resumed = await run(runId);
    expect(resumed.stderr).not.toContain("corrupted journal line");
    expect(resumed.code).toBe(0);
    expect(store.applied).toEqual(["a", "b", "c", "d"]);
    expect(store.values.get("c")).toBe(1);
    expect(fake.writes()).toEqual(["revokeSecret"]);
  });
});
