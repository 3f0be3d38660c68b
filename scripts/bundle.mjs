// `npm run build`, second half: bundles the CLI (tsc's output under dist/) into dist/bundle/, which is what
// bin/vonage-ir.js runs. Why: Node 20 loads an ES module graph file by file (no compile cache before Node 22),
// and `vonage-ir validate` loaded 213 files (95 of them zod's, 72 yaml's): 3.0× a bare `node -e 0`. Bundled,
// it is ~2.2× (bench/README.md). Our code, zod and yaml are bundled; the heavy dependencies stay external and
// lazily imported (the Vonage SDK, Inquirer, listr2), so `--help`, `list` and `validate` still never load them.
// dist/bundle/ sits two levels below the package root like dist/cli/, so `new URL("../../", import.meta.url)`
// still finds the package root (runbooks/, package.json).
import { readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = `${ROOT}dist/bundle`;
const BUNDLED = new Set(["zod", "yaml"]);

// Never leave a bundle of older code behind: bin/vonage-ir.js prefers dist/bundle/ whenever it exists.
await rm(OUT, { recursive: true, force: true });

// rolldown's own requirement (its package.json engines): ^20.19.0 || >=22.12.0.
const [major, minor] = process.versions.node.split(".").map(Number);
if (!((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23)) {
  process.stderr.write(
    `bundle: skipped on Node ${process.versions.node} (the bundler needs 20.19+ or 22.12+); ` +
      "vonage-ir runs from tsc's per-file output, which starts slower\n",
  );
  process.exit(0);
}
const { rolldown } = await import("rolldown");

const pkg = JSON.parse(await readFile(`${ROOT}package.json`, "utf8"));
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));
const builtins = new Set(builtinModules);

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const bundle = await rolldown({
  input: { main: `${ROOT}dist/cli/main.js` },
  platform: "node",
  logLevel: "warn",
  // Every warning is an error: a silently changed bundle is worse than a failed build.
  onwarn(warning) {
    throw new Error(`bundle: ${warning.message}`);
  },
  external(specifier) {
    if (specifier.startsWith("node:") || builtins.has(specifier)) return true;
    if (specifier.startsWith(".") || specifier.startsWith("/")) return false;
    const name = packageOf(specifier);
    if (external.includes(name)) return true;
    if (BUNDLED.has(name)) return false;
    // A package that is neither a dependency to load at run time nor one chosen to be bundled: from a
    // transitive dependency it would work by accident (hoisting) and break on another install.
    throw new Error(`bundle: ${specifier} is imported but not a dependency in package.json`);
  },
});
await bundle.write({
  dir: OUT,
  format: "esm",
  sourcemap: true,
  entryFileNames: "[name].js",
  chunkFileNames: "[name]-[hash].js",
});
await bundle.close();
