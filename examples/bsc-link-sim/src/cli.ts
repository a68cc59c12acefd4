#!/usr/bin/env node
/** bsc-link-sim: BSC side + N BTS x M TRX over IPA on loopback, live progress, summary. See README.md. */
import { parseArgs } from 'node:util';
import { DEFAULTS, runSimulation, type SimOptions } from './sim.js';
import { formatSummary } from './stats.js';

const USAGE = `usage: bsc-link-sim [options]
  --bts N            number of BTS (default ${DEFAULTS.bts})
  --trx M            TRX per BTS (default ${DEFAULTS.trx})
  --rate R           RSL MEAS RES messages per second per TRX (default ${DEFAULTS.rate})
  --duration S       run time in seconds (default ${DEFAULTS.durationS})
  --backend B        auto | poll | io_uring | node-net (default auto: @osmo/io with its default backend)
  --bsc HOST:PORT    run only the BTS side against this BSC's OML port (e.g. osmo-bsc 127.0.0.1:3002)
  --site-base S      unit id of BTS i is (S+i)/0/trx (default ${DEFAULTS.siteBase})
  --ctrl-port P      CTRL port of the BSC side (default: any free port; 'none' disables)
  --chaos S          drop one OML or RSL link every S seconds (robustness run)
  --json             print the summary as JSON
  -h, --help`;

function fail(msg: string): never { process.stderr.write(`bsc-link-sim: ${msg}\n${USAGE}\n`); process.exit(2); }

function num(v: string | undefined, dflt: number, name: string, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`invalid --${name} ${v}`);
  return n;
}

async function main(): Promise<void> {
  let a;
  try {
    a = parseArgs({
      options: {
        bts: { type: 'string' }, trx: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
        backend: { type: 'string' }, bsc: { type: 'string' }, 'site-base': { type: 'string' }, 'ctrl-port': { type: 'string' },
        chaos: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) { fail((e as Error).message); }
  if (a.help) { process.stdout.write(`${USAGE}\n`); return; }
  const backend = (a.backend ?? 'auto') as SimOptions['backend'];
  if (!['auto', 'poll', 'io_uring', 'node-net'].includes(backend)) fail(`unknown backend ${backend}`);
  const o: SimOptions = {
    ...DEFAULTS,
    bts: num(a.bts, DEFAULTS.bts, 'bts', 1), trx: num(a.trx, DEFAULTS.trx, 'trx', 1), rate: num(a.rate, DEFAULTS.rate, 'rate'),
    durationS: num(a.duration, DEFAULTS.durationS, 'duration'), backend, siteBase: num(a['site-base'], DEFAULTS.siteBase, 'site-base'),
    chaosS: num(a.chaos, 0, 'chaos'),
    ctrlPort: a['ctrl-port'] === 'none' ? null : num(a['ctrl-port'], 0, 'ctrl-port'),
  };
  if (o.trx > 8) fail('--trx: at most 8');
  if (a.bsc) {
    const m = /^(.+):(\d+)$/.exec(a.bsc);
    if (!m) fail(`--bsc wants HOST:PORT, got ${a.bsc}`);
    o.bsc = { host: m[1]!, port: Number(m[2]) };
  }
  const tty = process.stderr.isTTY;
  o.onProgress = (p) => {
    const line = `[${p.t.toFixed(1).padStart(5)} s] links up: OML ${p.omlUp}/${o.bts} RSL ${p.rslUp}/${o.bts * o.trx} | ` +
      `${p.msgsPerS.toFixed(0)} msg/s | CPU ${p.cpuPercent.toFixed(1)} % | backend ${p.backend}`;
    if (!a.json) process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const run = await runSimulation(o);
  if (tty && !a.json) process.stderr.write('\n');
  if (run.warning) process.stderr.write(`bsc-link-sim: ${run.warning}\n`);
  if (a.json) process.stdout.write(`${JSON.stringify({ ...run.summary, ctrlPort: run.ctrlPort })}\n`);
  else process.stdout.write(`${formatSummary(run.summary)}\n`);
  const s = run.summary;
  process.exitCode = s.unaccounted === 0 && s.duplicates === 0 ? 0 : 1;
}

main().then(() => setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref(), (e: unknown) => {
  process.stderr.write(`bsc-link-sim: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
