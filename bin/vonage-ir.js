#!/usr/bin/env node
// The installed entry point: everything lives in dist/ (built on `npm install`).
import { runCli } from "../dist/cli/main.js";

await runCli(process.argv.slice(2));
