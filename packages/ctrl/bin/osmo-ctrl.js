#!/usr/bin/env node
// osmo-ctrl: runs the compiled CLI (build first: `npm run build` at the repository root)
import { main } from '../dist/src/cli.js';

await main();
