// Writes runbooks/schema.json from the zod schema (run `npm run schema` after changing src/runbook/schema.ts;
// a test fails while the file is stale).
import { writeFile } from "node:fs/promises";
import { runbookJsonSchema } from "../dist/runbook/schema.js";

const target = new URL("../runbooks/schema.json", import.meta.url);
await writeFile(target, `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
