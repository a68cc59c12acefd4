#!/usr/bin/env node
// osmo-ctrl: runs the compiled CLI (build first: `npm run build` at the repository root)
// Any failure is one line on stderr (the stack only with NODE_DEBUG=osmo-ctrl).
process.on('uncaughtException', (e) => {
  process.stderr.write(`osmo-ctrl: internal error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  if (/osmo-ctrl/.test(process.env.NODE_DEBUG ?? '') && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(3);
});
const { main } = await import('../dist/src/cli.js');
await main();
