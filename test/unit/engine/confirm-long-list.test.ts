// A step's confirm screen with a long list: the first few changes and where every one is, so that the list does
// not scroll the question away.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LIST_LIMIT } from "../../../src/io/plan-marks.js";
import { ScriptedPrompter } from "../../../src/io/prompter.js";
import { fakeIo, removeTempDirs, tempDir } from "../../helpers/cli-io.js";
import {
  createCounterStore,
  createFakeGateway,
  createTestRegistry,
  runWithRegistry,
} from "../../helpers/test-actions.js";

afterEach(removeTempDirs);

const KEYS = Array.from({ length: 40 }, (_, i) => `k${i}`);

describe("a step's confirm screen with a long list", () => {
  it("shows the first changes and names the file in the run directory that lists every one", async () => {
    const dir = await tempDir();
    const runbook = join(dir, "many.yaml");
    await writeFile(
      runbook,
      `id: many
title: Count many keys
description: one confirmed step with a long list
version: 1
steps:
  - id: many
    title: Count every key
    action: test.counter
    confirm: true
    with:
      keys: [${KEYS.join(", ")}]
`,
    );
    const prompter = new ScriptedPrompter([
      { match: "Proceed?", answer: true },
      { match: `Apply ${KEYS.length} change(s)`, answer: false },
      { match: "Your name or email", answer: "ops@example.com" },
    ]);
    const io = fakeIo({ cwd: dir, prompter });
    const out = join(dir, "runs");
    const code = await runWithRegistry({
      registry: createTestRegistry(createCounterStore()),
      io: io.io,
      gateway: createFakeGateway().gateway,
      out,
      runbook,
      yes: false,
    });
    expect(code).toBe(0);
    const list = prompter.said.find((text) => text.includes("~ count k0 up"));
    const lines = list?.split("\n") ?? [];
    expect(lines).toHaveLength(LIST_LIMIT + 1);
    const more = /… and (\d+) more: every one is listed in (\S+)$/.exec(lines.at(-1) ?? "");
    expect(more?.[1]).toBe(String(KEYS.length - LIST_LIMIT));
    const file = await readFile(more?.[2] ?? "", "utf8");
    for (const key of KEYS) expect(file).toContain(`~ count ${key} up`);
  });
});
