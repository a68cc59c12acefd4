#!/usr/bin/env node
// osmo-ctrl-server: runs the compiled example (build first: `npm run build` at the repository root)
import { main } from '../dist/src/cli.js';

process.exitCode = await main();
