#!/usr/bin/env node
// The installed entry point: everything lives in dist/ (built on `npm install`).
import { main } from "../dist/cli/main.js";

await main(process.argv.slice(2));
