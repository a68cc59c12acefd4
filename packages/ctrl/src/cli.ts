/**
 * osmo-ctrl: command line CTRL client.
 *   osmo-ctrl [--host H] [--port P] [--timeout MS] get VARIABLE
 *   osmo-ctrl [--host H] [--port P] [--timeout MS] set VARIABLE VALUE...
 *   osmo-ctrl [--host H] [--port P] [--json] monitor        (prints TRAPs until interrupted)
 * Exit codes: 0 ok, 1 the server answered ERROR, 2 usage error, 3 cannot connect / connection lost, 4 timeout.
 */
import { parseArgs } from 'node:util';
import { CtrlClient } from './client.js';
import { CtrlClientError } from './errors.js';
import { isValidCtrlVariable } from './identifier.js';

export const EXIT = { OK: 0, ERROR_REPLY: 1, USAGE: 2, CONNECTION: 3, TIMEOUT: 4 } as const;
export const DEFAULT_CTRL_PORT = 4249;

export const USAGE = `usage: osmo-ctrl [--host H] [--port P] [--timeout MS] get VARIABLE
       osmo-ctrl [--host H] [--port P] [--timeout MS] set VARIABLE VALUE...
       osmo-ctrl [--host H] [--port P] [--json] monitor
  --host H       CTRL server address (default 127.0.0.1)
  --port P       CTRL server port (default ${DEFAULT_CTRL_PORT})
  --timeout MS   reply timeout in milliseconds (default 5000)
  --json         monitor: one JSON object per TRAP
exit codes: 0 ok, 1 ERROR reply, 2 usage, 3 connection failed or lost, 4 timeout`;

export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** monitor ends when this aborts (SIGINT/SIGTERM in the bin) */
  signal?: AbortSignal;
}

function exitFor(e: unknown): number {
  if (e instanceof CtrlClientError) {
    switch (e.code) {
      case 'ERR_OSMO_CTRL_ERROR_REPLY': return EXIT.ERROR_REPLY;
      case 'ERR_OSMO_CTRL_TIMEOUT': return EXIT.TIMEOUT;
      default: return EXIT.CONNECTION;
    }
  }
  return EXIT.CONNECTION;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', short: 'p', default: String(DEFAULT_CTRL_PORT) },
        timeout: { type: 'string', short: 't', default: '5000' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.stderr(`osmo-ctrl: ${(e as Error).message}`);
    io.stderr(USAGE);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return EXIT.OK;
  }
  const port = Number(values.port);
  const timeout = Number(values.timeout);
  const usage = (msg: string): number => {
    io.stderr(`osmo-ctrl: ${msg}`);
    io.stderr(USAGE);
    return EXIT.USAGE;
  };
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`invalid port ${values.port}`);
  if (!Number.isFinite(timeout) || timeout <= 0) return usage(`invalid timeout ${values.timeout}`);
  const [cmd, variable, ...rest] = positionals;
  if (cmd === undefined) return usage('missing command');
  switch (cmd) {
    case 'get':
      if (variable === undefined || rest.length > 0) return usage('get takes exactly one VARIABLE');
      break;
    case 'set':
      if (variable === undefined || rest.length === 0) return usage('set takes a VARIABLE and a VALUE');
      break;
    case 'monitor':
      if (variable !== undefined) return usage('monitor takes no arguments');
      break;
    default:
      return usage(`unknown command ${JSON.stringify(cmd)}`);
  }
  if (variable !== undefined && !isValidCtrlVariable(variable)) {
    return usage(`invalid variable ${JSON.stringify(variable)} (printable ASCII, no spaces or reserved characters)`);
  }
  const value = rest.join(' ');
  if (cmd === 'set' && (value.length === 0 || /[\n\0]/.test(value))) return usage('VALUE must be non-empty and contain no newline');

  const host = values.host!;
  const client = new CtrlClient({ host, port, timeout, connectTimeout: timeout });
  try {
    await client.connect();
  } catch (e) {
    io.stderr(`osmo-ctrl: ${(e as Error).message}`);
    return EXIT.CONNECTION;
  }
  try {
    if (cmd === 'get') {
      io.stdout(await client.get(variable!));
      return EXIT.OK;
    }
    if (cmd === 'set') {
      io.stdout(await client.set(variable!, value));
      return EXIT.OK;
    }
    return await monitor(client, io, values.json === true, `${host}:${port}`);
  } catch (e) {
    if (e instanceof CtrlClientError && e.code === 'ERR_OSMO_CTRL_ERROR_REPLY') io.stderr(`osmo-ctrl: ERROR: ${e.reply ?? e.message}`);
    else io.stderr(`osmo-ctrl: ${(e as Error).message}`);
    return exitFor(e);
  } finally {
    client.close();
  }
}

function monitor(client: CtrlClient, io: CliIo, json: boolean, where: string): Promise<number> {
  io.stderr(`osmo-ctrl: monitoring TRAPs from ${where} (Ctrl-C to stop)`);
  return new Promise<number>((resolve) => {
    let traps = 0;
    client.on('trap', (t) => {
      traps++;
      io.stdout(json ? JSON.stringify({ time: new Date().toISOString(), variable: t.variable, value: t.value }) : `TRAP ${t.variable} ${t.value}`);
    });
    client.on('close', () => {
      io.stderr(`osmo-ctrl: connection to ${where} lost after ${traps} TRAP(s)`);
      resolve(EXIT.CONNECTION);
    });
    const stop = (): void => {
      io.stderr(`osmo-ctrl: ${traps} TRAP(s) received`);
      resolve(EXIT.OK);
    };
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Entry point of the bin: real stdio, SIGINT/SIGTERM end `monitor`. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const code = await runCli(argv, {
    stdout: (l) => process.stdout.write(`${l}\n`),
    stderr: (l) => process.stderr.write(`${l}\n`),
    signal: ac.signal,
  });
  process.off('SIGINT', onSig);
  process.off('SIGTERM', onSig);
  process.exitCode = code;
}
