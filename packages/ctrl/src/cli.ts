/**
 * osmo-ctrl: command line CTRL client.
 *   osmo-ctrl [--host H] [--port P] [--timeout MS] get VARIABLE
 *   osmo-ctrl [--host H] [--port P] [--timeout MS] set VARIABLE VALUE...
 *   osmo-ctrl [--host H] [--port P] [--json] monitor        (prints TRAPs until interrupted)
 * Exit codes: 0 ok, 1 the server answered ERROR, 2 usage error, 3 cannot connect / connection lost, 4 timeout,
 * 5 the I/O core cannot start (invalid OSMO_IO_BACKEND, addon not built).
 * Errors are one line on stderr. @osmo/io loads its native addon on first I/O use, after the arguments were
 * checked, so --help and usage errors work without a built addon. Text from the peer is printed with control
 * characters escaped (\xHH), never raw to the terminal.
 */
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './cli-args.js';
import { getBackend } from '@osmo/io';
import { CtrlClient } from './client.js';
import { CTRL_MAX_TEXT, encodeCtrl } from './codec.js';
import { CtrlClientError } from './errors.js';

import { isValidCtrlVariable } from './identifier.js';

export const EXIT = { OK: 0, ERROR_REPLY: 1, USAGE: 2, CONNECTION: 3, TIMEOUT: 4, IO_SETUP: 5 } as const;
export const DEFAULT_CTRL_PORT = 4249;

export const USAGE = `usage: osmo-ctrl [--host H] [--port P] [--timeout MS] get VARIABLE
       osmo-ctrl [--host H] [--port P] [--timeout MS] set VARIABLE VALUE...
       osmo-ctrl [--host H] [--port P] [--json] monitor
  --host H       CTRL server: host name, IPv4 or IPv6 address ([::1] or ::1), optionally with the port:
                 localhost:4249, [::1]:4249 (default 127.0.0.1)
  --port P       CTRL server port (default ${DEFAULT_CTRL_PORT})
  --timeout MS   reply timeout in milliseconds (default 5000)
  --json         monitor: one JSON object per TRAP
exit codes: 0 ok, 1 ERROR reply, 2 usage, 3 connection failed or lost, 4 timeout, 5 I/O backend unavailable`;

/**
 * C0 controls, DEL and C1 controls as \xHH: peer text must not drive the terminal (ESC sequences, BEL, CR ...).
 * `multiline`: tab and newline stay (GET/SET replies such as subscriber lists are multi-line by design).
 */
export function escapeControls(s: string, multiline = false): string {
  const re = multiline ? /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g;
  return s.replace(re, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** JSON.stringify escapes C0 controls; DEL and C1 controls too, as \u00HH. */
export function safeJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `--host`: `name`, `1.2.3.4`, `::1` (IPv6 without port), `[::1]`, and with a port `name:4249`, `[::1]:4249`.
 * The host comes back without brackets.
 */
export function splitHost(s: string): { host: string; port?: string } {
  const br = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
  if (br) return br[2] !== undefined ? { host: br[1]!, port: br[2] } : { host: br[1]! };
  const i = s.indexOf(':');
  if (i >= 0 && s.indexOf(':', i + 1) < 0) return { host: s.slice(0, i), port: s.slice(i + 1) };
  return { host: s };
}

/** One line for an error of the I/O layer's setup (ERR_OSMO_IO_BACKEND, ERR_OSMO_IO_NOT_BUILT ...). */
export function ioSetupMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!;
}

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
  const usage = (msg: string): number => {
    io.stderr(`osmo-ctrl: ${msg} (see osmo-ctrl --help)`);
    return EXIT.USAGE;
  };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, ['--host', '--port', '-p', '--timeout', '-t']),
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', short: 'p' },
        timeout: { type: 'string', short: 't', default: '5000' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return EXIT.OK;
  }
  const hp = splitHost(values.host!);
  if (hp.port !== undefined && values.port !== undefined && hp.port !== values.port) {
    return usage(`--host ${values.host} names port ${hp.port}, --port says ${values.port}`);
  }
  const portStr = hp.port ?? values.port ?? String(DEFAULT_CTRL_PORT);
  const port = /^\d{1,5}$/.test(portStr) ? Number(portStr) : NaN;
  const timeout = /^\d+$/.test(values.timeout!) ? Number(values.timeout) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`invalid port ${portStr} (1..65535)`);
  if (!Number.isSafeInteger(timeout) || timeout <= 0 || timeout > 2 ** 31 - 1) return usage(`invalid timeout ${values.timeout} (milliseconds, 1..2147483647)`);
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
  if (cmd === 'set') {
    // the CLI sends one request: id 1
    const len = encodeCtrl({ type: 'SET', id: '1', variable: variable!, value }).length;
    if (len > CTRL_MAX_TEXT) {
      io.stderr(`osmo-ctrl: VALUE too long: the SET message would be ${len} bytes, a CTRL frame holds at most ${CTRL_MAX_TEXT}`);
      return EXIT.USAGE;
    }
  }
  const host = hp.host;
  if (host === '') return usage('--host must not be empty');

  try {
    // @osmo/io loads its addon and picks the backend on first I/O use: do that here, so that a bad backend or a
    // missing addon is this one setup error
    getBackend();
  } catch (e) {
    io.stderr(`osmo-ctrl: ${ioSetupMessage(e)}`);
    return EXIT.IO_SETUP;
  }
  const client = new CtrlClient({ host, port, timeout, connectTimeout: timeout });
  try {
    await client.connect();
  } catch (e) {
    io.stderr(`osmo-ctrl: ${escapeControls((e as Error).message)}`);
    return EXIT.CONNECTION;
  }
  try {
    if (cmd === 'get') {
      io.stdout(escapeControls(await client.get(variable!), true));
      return EXIT.OK;
    }
    if (cmd === 'set') {
      io.stdout(escapeControls(await client.set(variable!, value), true));
      return EXIT.OK;
    }
    return await monitor(client, io, values.json === true, client.host.includes(':') ? `[${client.host}]:${port}` : `${client.host}:${port}`);
  } catch (e) {
    if (e instanceof CtrlClientError && e.code === 'ERR_OSMO_CTRL_ERROR_REPLY') io.stderr(`osmo-ctrl: ERROR: ${escapeControls(e.reply ?? e.message)}`);
    else io.stderr(`osmo-ctrl: ${escapeControls((e as Error).message)}`);
    return exitFor(e);
  } finally {
    client.close();
  }
}

function monitor(client: CtrlClient, io: CliIo, json: boolean, where: string): Promise<number> {
  io.stderr(`osmo-ctrl: monitoring TRAPs from ${where} (Ctrl-C to stop)`);
  return new Promise<number>((resolve) => {
    let traps = 0;
    let done = false;
    client.on('trap', (t) => {
      if (done) return;
      traps++;
      io.stdout(json ? safeJson({ time: new Date().toISOString(), variable: t.variable, value: t.value })
        : `TRAP ${escapeControls(t.variable)} ${escapeControls(t.value)}`);
    });
    client.on('close', () => {
      // our own close() after Ctrl-C is not a lost connection
      if (done) return;
      done = true;
      io.stderr(`osmo-ctrl: connection to ${where} lost after ${traps} TRAP(s)`);
      resolve(EXIT.CONNECTION);
    });
    const stop = (): void => {
      if (done) return;
      done = true;
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
  let code: number;
  try {
    code = await runCli(argv, {
      stdout: (l) => process.stdout.write(`${l}\n`),
      stderr: (l) => process.stderr.write(`${l}\n`),
      signal: ac.signal,
    });
  } catch (e) {
    // never a stack trace: one line and a non-zero exit
    process.stderr.write(`osmo-ctrl: ${escapeControls(ioSetupMessage(e))}\n`);
    code = EXIT.CONNECTION;
  }
  process.off('SIGINT', onSig);
  process.off('SIGTERM', onSig);
  process.exitCode = code;
}
