// Preload for lazy-imports.test.ts (`node --import ./record-loads.mjs ...`): appends the URL of every module the
// process loads, ES modules through a resolve hook and CommonJS ones from the require cache at exit, to the file
// named by RECORD_LOADS_FILE.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const file = process.env.RECORD_LOADS_FILE;
if (file) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from "node:fs";
      let file;
      export function initialize(data) { file = data.file; }
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        appendFileSync(file, result.url + "\\n");
        return result;
      }
    `)}`,
    { data: { file } },
  );
  const cache = createRequire(import.meta.url).cache;
  process.on("exit", () => {
    appendFileSync(
      file,
      Object.keys(cache)
        .map((path) => `file://${path}\n`)
        .join(""),
    );
  });
}
