/**
 * osmo-ctrl-server --port P [--bind ADDR] [--json] [--progress SECONDS]
 * Runs the example CTRL server until SIGINT/SIGTERM; prints progress lines and a summary at the end.
 */
import { parseArgs } from 'node:util';
import { createExampleServer } from './server.js';

export const USAGE = 'usage: osmo-ctrl-server --port P [--bind ADDR] [--json] [--progress SECONDS]';

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        port: { type: 'string', short: 'p' },
        bind: { type: 'string', short: 'b', default: '127.0.0.1' },
        json: { type: 'boolean', default: false },
        progress: { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`osmo-ctrl-server: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(values.port ?? NaN);
  const progress = Number(values.progress);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`osmo-ctrl-server: --port P is required (0..65535, 0 = any free port)\n${USAGE}\n`);
    return 2;
  }
  const json = values.json === true;
  const out = (kind: string, obj: Record<string, unknown>, text: string): void => {
    process.stdout.write(json ? `${JSON.stringify({ event: kind, ...obj })}\n` : `${text}\n`);
  };
  let srv;
  try {
    srv = createExampleServer({ port, bind: values.bind! });
  } catch (e) {
    process.stderr.write(`osmo-ctrl-server: cannot listen on ${values.bind}:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  const s = srv;
  out('listening', { address: values.bind, port: s.ctrl.port }, `osmo-ctrl-server: listening on ${values.bind}:${s.ctrl.port}`);
  let last = '';
  const timer = progress > 0
    ? setInterval(() => {
      const st = s.stats();
      const line = `connections ${st.connections} (accepted ${st.accepted}), messages in ${st.msgsIn} out ${st.msgsOut}, traps ${st.traps}`;
      if (line !== last) out('progress', st, `[${st.uptime}s] ${line}`);
      last = line;
    }, progress * 1000)
    : null;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  if (timer) clearInterval(timer);
  const st = s.stats();
  s.close();
  out('summary', st, `osmo-ctrl-server: summary: uptime ${st.uptime}s, ${st.accepted} connection(s) served, `
    + `${st.msgsIn} messages in, ${st.msgsOut} out, ${st.traps} TRAP(s) sent`);
  return 0;
}
