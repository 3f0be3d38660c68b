#!/usr/bin/env node
// The installed entry point: the CLI is bundled into dist/bundle/ (built on `npm install`; scripts/bundle.mjs).
import { runCli } from "../dist/bundle/main.js";

await runCli(process.argv.slice(2));
