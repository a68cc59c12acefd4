/**
 * osmo-ctrl-server --port P [--bind ADDR] [--json] [--progress SECONDS]
 * Runs the example CTRL server until SIGINT/SIGTERM; prints progress lines and a summary at the end.
 * Failures are one line on stderr and a non-zero exit. @osmo/io loads its native addon on first I/O use, after the
 * arguments were checked: --help and usage errors work without a built addon.
 */
import { parseArgs } from 'node:util';
import { getBackend, lookupHost } from '@osmo/io';
import { createExampleServer } from './server.js';

export const USAGE = `usage: osmo-ctrl-server --port P [--bind ADDR] [--json] [--progress SECONDS]
  -p, --port P          CTRL port to listen on, 0..65535 (0 = any free port; the port is printed)
  -b, --bind ADDR       address to listen on: IPv4, IPv6 ([::1] or ::1) or a host name such as localhost
                        (default 127.0.0.1)
  --json                one JSON object per line on stdout (listening / progress / summary events)
  --progress SECONDS    print connection and message counts every SECONDS while they change (default 5, 0 = off)
  -h, --help            this text
environment: OSMO_IO_BACKEND=poll|io_uring selects the I/O backend
exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot listen / I/O backend unavailable, 2 usage`;

function usageError(msg: string): number {
  process.stderr.write(`osmo-ctrl-server: ${msg} (see osmo-ctrl-server --help)\n`);
  return 2;
}

/** `--port -1`: a negative number after an option is its value (parseArgs would call it ambiguous). */
function joinNegativeValues(argv: readonly string[], valued: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, next = argv[i + 1];
    if (valued.includes(a) && next !== undefined && /^-\d/.test(next)) { out.push(`${a}=${next}`); i++; } else out.push(a);
  }
  return out;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(argv, ['--port', '-p', '--bind', '-b', '--progress']),
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
    return usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.port === undefined) return usageError('--port P is required (0..65535, 0 = any free port)');
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
  if (!(port >= 0 && port <= 65535)) return usageError(`invalid port ${values.port}: 0..65535`);
  const progress = /^\d+(\.\d+)?$/.test(values.progress!) ? Number(values.progress) : NaN;
  if (!(progress >= 0 && progress <= 86400)) return usageError(`invalid --progress ${values.progress}: seconds, 0..86400`);
  const bind = values.bind!;
  if (bind === '' || bind === '[]') return usageError('--bind must not be empty');

  try {
    getBackend(); // the addon loads and the backend is picked on first I/O use: here, so its failure is one line
  } catch (e) {
    process.stderr.write(`osmo-ctrl-server: ${firstLine(e)}\n`);
    return 1;
  }
  let address: string;
  try {
    address = (await lookupHost(bind))[0]!.address;
  } catch (e) {
    process.stderr.write(`osmo-ctrl-server: cannot resolve --bind ${bind}: ${firstLine(e)}\n`);
    return 1;
  }
  const shown = address.includes(':') ? `[${address}]` : address;
  const json = values.json === true;
  const out = (kind: string, obj: Record<string, unknown>, text: string): void => {
    process.stdout.write(json ? `${JSON.stringify({ event: kind, ...obj })}\n` : `${text}\n`);
  };
  let srv;
  try {
    srv = createExampleServer({ port, bind: address });
  } catch (e) {
    process.stderr.write(`osmo-ctrl-server: cannot listen on ${shown}:${port}: ${firstLine(e)}\n`);
    return 1;
  }
  const s = srv;
  out('listening', { address, port: s.ctrl.port }, `osmo-ctrl-server: listening on ${shown}:${s.ctrl.port}`);
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

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
