#!/usr/bin/env node
// osmo-ns-dummy: runs the compiled tool (build first: `npm run build` at the repository root)
import { main } from '../dist/src/dummy-cli.js';

process.exitCode = await main();
