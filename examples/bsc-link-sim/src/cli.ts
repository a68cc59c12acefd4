#!/usr/bin/env node
/** bsc-link-sim: BSC side + N BTS x M TRX over IPA on loopback, live progress, summary. See README.md. */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULTS, runSimulation, type SimOptions, type SimStarted } from './sim.js';
import { formatSummary } from './stats.js';

const USAGE = `usage: bsc-link-sim [options]
  --bts N            number of BTS (default ${DEFAULTS.bts})
  --trx M            TRX per BTS (default ${DEFAULTS.trx})
  --rate R           RSL MEAS RES messages per second per TRX (default ${DEFAULTS.rate})
  --duration S       run time in seconds (default ${DEFAULTS.durationS})
  --backend B        auto | poll | io_uring | node-net (default auto: @osmo/io with its default backend)
  --bsc HOST:PORT    run only the BTS side against this BSC's OML port (e.g. osmo-bsc 127.0.0.1:3002)
  --listen [H:]PORT  run only the BSC side, OML on this port (0 = any); --bts/--trx = the links expected;
                     --duration defaults to 0 = until SIGINT/SIGTERM (or 'exit' with --control)
  --rsl-port P       RSL port of the BSC side (default: any free port; sent to the BTS in RSL Connect)
  --sample S         sample VmRSS and open fds every S seconds into the summary (soak runs)
  --control          JSON lines on stdout (ready / stats / summary events); stdin commands 'stats', 'exit';
                     stdin EOF ends the run (for bench/scenarios/paced-bsc.js)
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
        listen: { type: 'string' }, 'rsl-port': { type: 'string' }, sample: { type: 'string' }, control: { type: 'boolean' },
      },
    }).values;
  } catch (e) { fail((e as Error).message); }
  if (a.help) { process.stdout.write(`${USAGE}\n`); return; }
  const backend = (a.backend ?? 'auto') as SimOptions['backend'];
  if (!['auto', 'poll', 'io_uring', 'node-net'].includes(backend)) fail(`unknown backend ${backend}`);
  const o: SimOptions = {
    ...DEFAULTS,
    bts: num(a.bts, DEFAULTS.bts, 'bts', 1), trx: num(a.trx, DEFAULTS.trx, 'trx', 1), rate: num(a.rate, DEFAULTS.rate, 'rate'),
    durationS: num(a.duration, a.listen !== undefined ? 0 : DEFAULTS.durationS, 'duration'), backend, siteBase: num(a['site-base'], DEFAULTS.siteBase, 'site-base'),
    chaosS: num(a.chaos, 0, 'chaos'),
    ctrlPort: a['ctrl-port'] === 'none' ? null : num(a['ctrl-port'], 0, 'ctrl-port'),
    rslPort: num(a['rsl-port'], 0, 'rsl-port'), sampleS: num(a.sample, 0, 'sample'),
  };
  if (a.listen !== undefined) {
    if (a.bsc) fail('--listen and --bsc exclude each other');
    const m = /^(?:(.+):)?(\d+)$/.exec(a.listen);
    if (!m) fail(`--listen wants [HOST:]PORT, got ${a.listen}`);
    o.listen = true; o.host = m[1] ?? o.host; o.omlPort = Number(m[2]);
  }
  // SIGINT/SIGTERM (and 'exit' / stdin EOF with --control) end the run early, with the summary
  let stopRun: () => void = () => {};
  o.stop = new Promise<void>((r) => { stopRun = r; });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stopRun());
  const out = (obj: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(obj)}\n`); };
  if (a.control) {
    let h: SimStarted | null = null;
    o.onStarted = (started) => {
      h = started;
      out({ event: 'ready', pid: process.pid, mode: o.listen ? 'bsc' : o.bsc ? 'bts' : 'both', backend: started.transport.backend,
        port: started.omlPort, omlPort: started.omlPort, rslPort: started.rslPort, ctrlPort: started.ctrlPort });
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
          syscalls: core && typeof core['syscalls'] === 'number' ? core['syscalls'] : null, core, cpu: process.cpuUsage() });
      } else if (cmd === 'exit') stopRun();
      else if (cmd) out({ event: 'error', message: `unknown command ${cmd}` });
    });
    rl.on('close', () => stopRun());
  }
  if (o.trx > 8) fail('--trx: at most 8');
  if (a.bsc) {
    const m = /^(.+):(\d+)$/.exec(a.bsc);
    if (!m) fail(`--bsc wants HOST:PORT, got ${a.bsc}`);
    o.bsc = { host: m[1]!, port: Number(m[2]) };
  }
  const tty = process.stderr.isTTY;
  o.onProgress = (p) => {
    const line = `[${p.t.toFixed(1).padStart(5)} s] links up: OML ${p.omlUp}/${o.bts} RSL ${p.rslUp}/${o.bts * o.trx} | ` +
      `${p.msgsPerS.toFixed(0)} msg/s${o.listen ? ' received' : ''} | CPU ${p.cpuPercent.toFixed(1)} % | backend ${p.backend}` +
      (p.rssKb !== undefined ? ` | RSS ${(p.rssKb / 1024).toFixed(1)} MiB, ${p.fds} fds` : '');
    if (!a.json || a.control) process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const run = await runSimulation(o);
  if (tty && !a.json) process.stderr.write('\n');
  if (run.warning) process.stderr.write(`bsc-link-sim: ${run.warning}\n`);
  if (a.control) out({ event: 'summary', ...run.summary, ctrlPort: run.ctrlPort });
  else if (a.json) process.stdout.write(`${JSON.stringify({ ...run.summary, ctrlPort: run.ctrlPort })}\n`);
  else process.stdout.write(`${formatSummary(run.summary)}\n`);
  const s = run.summary;
  process.exitCode = s.unaccounted === 0 && s.duplicates === 0 ? 0 : 1;
}

main().then(() => setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref(), (e: unknown) => {
  process.stderr.write(`bsc-link-sim: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
