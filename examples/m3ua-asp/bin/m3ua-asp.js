#!/usr/bin/env node
// m3ua-asp: runs the compiled example (build first: `npm run build` at the repository root)
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
