// The human reporter without a TTY (CI, a pipe, a file): each line of a step is printed once.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConsoleReporter } from "../../../src/io/reporters.js";

describe("ConsoleReporter without a TTY", () => {
  it("prints a step's title once, then its change lines and its status", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const reporter = new ConsoleReporter(out, "simple");
    const title = "Rotate the API secret(s)";
    reporter.emit({ kind: "step.started", stepId: "secrets", title, why: "a leaked secret" });
    await reporter.task(title, () => {
      reporter.emit({ kind: "change.finished", changeId: "c1", summary: "new API secret", status: "done" });
      reporter.progress("1/2 secrets");
      return Promise.resolve();
    });
    reporter.emit({ kind: "step.finished", stepId: "secrets", status: "done", durationMs: 5 });
    const lines = text.trimEnd().split("\n");
    expect(lines.filter((l) => l.includes(title))).toEqual([`▸ ${title} [secrets]`]);
    expect(lines.filter((l) => l.includes("new API secret"))).toEqual(["  ✔ new API secret"]);
    expect(lines.at(-1)).toBe("✔ secrets: done in 5ms");
    expect(text).not.toContain("1/2 secrets");
  });
});
