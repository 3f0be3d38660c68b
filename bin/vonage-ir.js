#!/usr/bin/env node
// The installed entry point. The CLI is built on `npm install` (`prepare`): tsc's per-file output in dist/,
// bundled into dist/bundle/ for a fast start (scripts/bundle.mjs). Where the bundler could not run (Node older
// than 20.19), dist/bundle/ does not exist and the per-file output is used: the same code, slower to start.
import { existsSync } from "node:fs";

const bundled = new URL("../dist/bundle/main.js", import.meta.url);
const { runCli } = await import(existsSync(bundled) ? bundled.href : "../dist/cli/main.js");

await runCli(process.argv.slice(2));
