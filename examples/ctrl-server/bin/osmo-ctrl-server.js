#!/usr/bin/env node
// osmo-ctrl-server: runs the compiled example (build first: `npm run build` at the repository root)
// Any failure is one line on stderr (the stack only with NODE_DEBUG=osmo-ctrl).
const oneLine = (e) => String(e instanceof Error ? e.message : e).split('\n')[0];
process.on('uncaughtException', (e) => {
  process.stderr.write(`osmo-ctrl-server: internal error: ${oneLine(e)}\n`);
  if (/osmo-ctrl/.test(process.env.NODE_DEBUG ?? '') && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
try {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`osmo-ctrl-server: ${oneLine(e)}\n`);
  process.exitCode = 1;
}
