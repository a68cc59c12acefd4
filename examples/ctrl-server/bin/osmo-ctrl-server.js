#!/usr/bin/env node
// osmo-ctrl-server: runs the compiled example (build first: `npm run build` at the repository root)
import { main } from '../dist/src/cli.js';

try {
  process.exitCode = await main();
} catch (e) {
  // never a stack trace: one line, non-zero exit
  process.stderr.write(`osmo-ctrl-server: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  process.exitCode = 1;
}
