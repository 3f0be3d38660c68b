import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runbookJsonSchema } from "../../../src/runbook/schema.js";

describe("runbooks/schema.json", () => {
  it("is generated from the current zod schema (run `npm run schema` when this fails)", async () => {
    const onDisk = JSON.parse(
      await readFile(new URL("../../../runbooks/schema.json", import.meta.url), "utf8"),
    );
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(runbookJsonSchema())));
  });
});
