#!/usr/bin/env node
/**
 * bsc-link-sim: BSC side + N BTS x M TRX over IPA on loopback, live progress, summary. See README.md.
 * Failures are one line on stderr and a non-zero exit (no stack traces): see EXIT.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { hostPort, intArg, joinNegativeValues, numArg, parseHostPort, resolveHost } from './args.js';
import { DEFAULTS, type SimOptions, type SimStarted } from './options.js';
import { pickTransport, runSimulation } from './sim.js';
import { formatSummary, type SimSummary } from './stats.js';
import { ArgError } from './errors.js';

/** 0 ok; 1 RSL messages unaccounted or duplicated; 2 usage; 3 no link ever came up; 4 cannot start (backend, listen) */
export const EXIT = { OK: 0, LOSS: 1, USAGE: 2, NO_LINK: 3, SETUP: 4 } as const;

const USAGE = `usage: bsc-link-sim [options]
  --bts N            number of BTS, 1..10000 (default ${DEFAULTS.bts}); with --listen: the BTS accepted
  --trx M            TRX per BTS, 1..8 (default ${DEFAULTS.trx})
  --rate R           RSL MEAS RES messages per second per TRX (default ${DEFAULTS.rate})
  --duration S       run time in seconds (default ${DEFAULTS.durationS})
  --backend B        auto | poll | io_uring | node-net (default auto: @osmo/io with its default backend)
  --bsc HOST:PORT    run only the BTS side against this BSC's OML port (e.g. osmo-bsc 127.0.0.1:3002, localhost:3002,
                     [::1]:3002); exits with 3 when no link came up (the BSC refused or did not answer)
  --listen [H:]PORT  run only the BSC side, OML on this port (0 = any); --bts/--trx = the links expected (unit ids
                     outside them are refused); --duration defaults to 0 = until SIGINT/SIGTERM (or 'exit' with --control)
  --rsl-port P       RSL port of the BSC side (default: any free port; sent to the BTS in RSL Connect)
  --ctrl-port P      CTRL port of the BSC side (default: any free port; 'none' disables)
  --ctrl-bind ADDR   address of the CTRL interface (default 127.0.0.1, also with --listen 0.0.0.0:P)
  --sample S         sample VmRSS and open fds every S seconds into the summary (soak runs)
  --control          JSON lines on stdout (ready / stats / summary events); stdin commands 'stats', 'exit';
                     stdin EOF ends the run (for bench/scenarios/paced-bsc.js)
  --site-base S      unit id of BTS i is (S+i)/0/trx (default ${DEFAULTS.siteBase})
  --chaos S          drop one OML or RSL link every S seconds (robustness run)
  --json             JSON lines on stdout: a progress object every second, the summary object last
  -h, --help
exit codes: 0 ok, 1 messages unaccounted or duplicated, 2 usage, 3 no link came up, 4 cannot start (I/O backend, listen)`;

const VALUED = ['--bts', '--trx', '--rate', '--duration', '--backend', '--bsc', '--site-base', '--ctrl-port', '--ctrl-bind',
  '--chaos', '--listen', '--rsl-port', '--sample'];

interface Parsed { o: SimOptions; json: boolean; control: boolean; help: boolean; ctrlPortGiven: boolean }

/** argv -> options (hosts not resolved yet); throws ArgError with the one line to print. */
export function parseCli(argv: readonly string[]): Parsed {
  let a;
  try {
    a = parseArgs({
      args: joinNegativeValues(argv, VALUED),
      options: {
        bts: { type: 'string' }, trx: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
        backend: { type: 'string' }, bsc: { type: 'string' }, 'site-base': { type: 'string' }, 'ctrl-port': { type: 'string' },
        'ctrl-bind': { type: 'string' }, chaos: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        listen: { type: 'string' }, 'rsl-port': { type: 'string' }, sample: { type: 'string' }, control: { type: 'boolean' },
      },
    }).values;
  } catch (e) { throw new ArgError((e as Error).message); }
  const help = a.help === true;
  const backend = (a.backend ?? 'auto') as SimOptions['backend'];
  if (!['auto', 'poll', 'io_uring', 'node-net'].includes(backend)) throw new ArgError(`unknown --backend ${backend}: auto, poll, io_uring or node-net`);
  if (a.listen !== undefined && a.bsc !== undefined) throw new ArgError('--listen and --bsc exclude each other');
  const o: SimOptions = {
    ...DEFAULTS,
    bts: intArg(a.bts, DEFAULTS.bts, 'bts', 1, 10000), trx: intArg(a.trx, DEFAULTS.trx, 'trx', 1, 8),
    rate: numArg(a.rate, DEFAULTS.rate, 'rate', 0, 100000),
    durationS: numArg(a.duration, a.listen !== undefined ? 0 : DEFAULTS.durationS, 'duration', 0, 365 * 86400), backend,
    siteBase: intArg(a['site-base'], DEFAULTS.siteBase, 'site-base', 0, 65535),
    chaosS: numArg(a.chaos, 0, 'chaos', 0, 86400),
    ctrlPort: a['ctrl-port'] === 'none' ? null : intArg(a['ctrl-port'], 0, 'ctrl-port', 0, 65535),
    rslPort: intArg(a['rsl-port'], 0, 'rsl-port', 0, 65535), sampleS: numArg(a.sample, 0, 'sample', 0, 86400),
  };
  if (o.siteBase + o.bts - 1 > 65535) throw new ArgError(`--site-base ${o.siteBase} + --bts ${o.bts} exceeds unit id site 65535`);
  if (a['ctrl-bind'] !== undefined) {
    if (a['ctrl-bind'] === '' || a['ctrl-bind'] === '[]') throw new ArgError('--ctrl-bind must not be empty');
    o.ctrlHost = a['ctrl-bind'];
  }
  if (a.listen !== undefined) {
    const hp = parseHostPort(a.listen, 'listen', { portOnly: true, minPort: 0 });
    o.listen = true; o.host = hp.host ?? o.host; o.omlPort = hp.port;
  }
  if (a.bsc !== undefined) {
    const hp = parseHostPort(a.bsc, 'bsc');
    o.bsc = { host: hp.host!, port: hp.port };
  }
  return { o, json: a.json === true, control: a.control === true, help, ctrlPortGiven: a['ctrl-port'] !== undefined };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** One line on why no OML link ever came up against the BSC. */
export function noLinkReason(s: SimSummary, where: string): string {
  const err = s.lastConnectError;
  if (err?.code === 'ECONNREFUSED') return `the BSC at ${where} refused the connection (ECONNREFUSED, ${s.connectErrors} attempts)`;
  if (err?.code === 'ENOTFOUND') return `the BSC host of ${where} was not found (ENOTFOUND)`;
  if ((s.omlConnects ?? 0) > 0) return `the BSC at ${where} accepted ${s.omlConnects} connection(s) but never completed the IPA identity handshake`;
  if (err?.code === 'ETIMEDOUT') return `the BSC at ${where} did not answer (ETIMEDOUT, ${s.connectErrors} attempts)`;
  if (err) return `cannot reach the BSC at ${where}: ${err.message}`;
  return `the BSC at ${where} did not answer within ${s.durationS.toFixed(1)} s`;
}

async function main(argv: readonly string[]): Promise<number> {
  const fail = (msg: string, code: number): number => { process.stderr.write(`bsc-link-sim: ${msg}\n`); return code; };
  let p: Parsed;
  try { p = parseCli(argv); } catch (e) {
    if (e instanceof ArgError) return fail(`${e.message} (see bsc-link-sim --help)`, EXIT.USAGE);
    throw e;
  }
  if (p.help) { process.stdout.write(`${USAGE}\n`); return EXIT.OK; }
  const { o, json, control } = p;
  // names -> addresses once (every link would look them up again on each reconnect otherwise)
  const shownBsc = o.bsc ? hostPort(o.bsc.host, o.bsc.port) : '';
  try {
    if (o.bsc) o.bsc = { host: await resolveHost(o.bsc.host), port: o.bsc.port };
    else o.host = await resolveHost(o.host);
    if (o.ctrlHost !== undefined) o.ctrlHost = await resolveHost(o.ctrlHost);
  } catch (e) {
    const h = (e as { hostname?: string }).hostname;
    return fail(`cannot resolve ${h ?? 'host'}: ${firstLine(e)}`, o.bsc ? EXIT.NO_LINK : EXIT.SETUP);
  }
  // @osmo/io loads its addon and picks its backend on first I/O use, which is here: --help and usage errors need
  // no built addon, and --backend is in the environment before the pick
  let picked;
  try {
    picked = await pickTransport(o.backend);
  } catch (e) { return fail(firstLine(e), EXIT.SETUP); }
  if (picked.warning) {
    process.stderr.write(`bsc-link-sim: ${picked.warning}\n`);
    // the CTRL interface runs on @osmo/io: without it there is none, unless --ctrl-port asked for one (then it fails)
    if (!p.ctrlPortGiven && o.ctrlPort !== null) {
      o.ctrlPort = null;
      process.stderr.write('bsc-link-sim: no CTRL interface without @osmo/io\n');
    }
  }

  // SIGINT/SIGTERM (and 'exit' / stdin EOF with --control) end the run early, with the summary
  let stopRun: () => void = () => {};
  o.stop = new Promise<void>((r) => { stopRun = r; });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stopRun());
  const out = (obj: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(obj)}\n`); };
  if (control) {
    let h: SimStarted | null = null;
    o.onStarted = (started) => {
      h = started;
      out({ event: 'ready', pid: process.pid, mode: o.listen ? 'bsc' : o.bsc ? 'bts' : 'both', backend: started.transport.backend,
        port: started.omlPort, omlPort: started.omlPort, rslPort: started.rslPort, ctrlPort: started.ctrlPort,
        host: o.bsc ? o.bsc.host : o.host, ctrlHost: started.ctrlPort === null ? null : o.ctrlHost ?? '127.0.0.1' });
    };
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      const cmd = line.trim();
      if (cmd === 'stats' && h) {
        const core = h.transport.stats();
        const tot = h.bsc?.totals();
        out({ event: 'stats', t: performance.now() / 1000, msgs: h.bts ? h.bts.sent : tot?.received ?? 0,
          received: tot?.received ?? null, lost: tot?.lost ?? null, duplicates: tot?.duplicates ?? null,
          omlUp: h.bts ? h.bts.omlUp : tot?.omlUp ?? 0, rslUp: h.bts ? h.bts.rslUp : tot?.rslUp ?? 0,
          omlBringupsCompleted: h.bts ? h.bts.bringups : null,
          syscalls: core && typeof core['syscalls'] === 'number' ? core['syscalls'] : null, core, cpu: process.cpuUsage() });
      } else if (cmd === 'exit') stopRun();
      else if (cmd) out({ event: 'error', message: `unknown command ${cmd}` });
    });
    rl.on('close', () => stopRun());
  }
  const tty = process.stderr.isTTY === true;
  let connectErrorShown = false;
  o.onStarted = ((prev) => (h: SimStarted): void => {
    prev?.(h);
    // say at once that the BSC refuses or cannot be reached (the links keep retrying)
    h.bts?.on('connect-error', (_i, err) => {
      if (connectErrorShown) return;
      connectErrorShown = true;
      const line = `bsc-link-sim: connecting to the BSC at ${shownBsc || hostPort(o.host, h.omlPort)} failed: ${err.message}; retrying every ${o.reconnectMs / 1000} s`;
      if (json && !control) out({ event: 'connect-error', code: err.code ?? null, message: err.message });
      else process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`);
    });
  })(o.onStarted);
  o.onProgress = (pr) => {
    if (json && !control) { out({ event: 'progress', ...pr }); return; }
    const line = `[${pr.t.toFixed(1).padStart(5)} s] links up: OML ${pr.omlUp}/${o.bts} RSL ${pr.rslUp}/${o.bts * o.trx} | ` +
      `${pr.msgsPerS.toFixed(0)} msg/s${o.listen ? ' received' : ''} | CPU ${pr.cpuPercent.toFixed(1)} % | backend ${pr.backend}` +
      (pr.rssKb !== undefined ? ` | RSS ${(pr.rssKb / 1024).toFixed(1)} MiB, ${pr.fds} fds` : '') +
      (pr.connectErrors ? ` | ${pr.connectErrors} failed connects` : '');
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  let run;
  try { run = await runSimulation(o, picked.transport); } catch (e) {
    const where = o.listen || !o.bsc ? ` on ${hostPort(o.host, o.omlPort)}` : '';
    return fail(`cannot start the BSC side${where}: ${firstLine(e)}`, EXIT.SETUP);
  }
  if (tty && !json) process.stderr.write('\n');
  const s = run.summary;
  if (control) out({ event: 'summary', ...s, ctrlPort: run.ctrlPort });
  else if (json) out({ event: 'summary', ...s, ctrlPort: run.ctrlPort });
  else process.stdout.write(`${formatSummary(s)}\n`);
  if (s.mode !== 'bsc' && (s.omlUps ?? 0) === 0) {
    return fail(`no link came up: ${noLinkReason(s, shownBsc || hostPort(o.host, 0))}`, EXIT.NO_LINK);
  }
  if (s.unaccounted !== 0 || s.duplicates !== 0) {
    return fail(`${s.unaccounted} RSL message(s) unaccounted, ${s.duplicates} duplicated`, EXIT.LOSS);
  }
  return EXIT.OK;
}

// a bug must not end in a stack trace on the user's terminal either: one line (the stack with NODE_DEBUG=osmo-linksim)
process.on('uncaughtException', (e) => {
  process.stderr.write(`bsc-link-sim: internal error: ${firstLine(e)}\n`);
  if (/osmo-linksim/.test(process.env['NODE_DEBUG'] ?? '')) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 50).unref();
}, (e: unknown) => {
  // never a stack trace: one line, non-zero exit
  process.stderr.write(`bsc-link-sim: ${firstLine(e)}\n`);
  process.exit(1);
});
