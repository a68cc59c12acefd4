/** One simulator run: BSC side (unless a remote BSC is given) + BTS side, progress, optional link chaos, summary. */
import { BscSide } from './bsc.js';
import { BtsSide } from './bts.js';
import { startCtrl, type CtrlHandle } from './ctrl-tree.js';
import { CpuMeter, type SimSummary } from './stats.js';
import { loadTransport, type Transport, type TransportKind } from './transport.js';

export interface SimOptions {
  bts: number;
  trx: number;
  rate: number;
  durationS: number;
  backend: 'auto' | 'poll' | 'io_uring' | 'node-net';
  /** run only the BTS side against this BSC (OML port; RSL port comes from RSL Connect) */
  bsc?: { host: string; port: number };
  host: string;
  omlPort: number;     // 0 = any free port (local BSC side)
  rslPort: number;
  ctrlPort: number | null;   // null: no CTRL interface
  siteBase: number;
  reconnectMs: number;
  /** drop a random OML or RSL link every this many seconds (0 = never) */
  chaosS: number;
  onProgress?(p: SimProgress): void;
  progressMs?: number;
}

export interface SimProgress { t: number; omlUp: number; rslUp: number; msgsPerS: number; cpuPercent: number; backend: string }

export const DEFAULTS: SimOptions = {
  bts: 100, trx: 4, rate: 25, durationS: 10, backend: 'auto', host: '127.0.0.1', omlPort: 0, rslPort: 0,
  ctrlPort: 0, siteBase: 1801, reconnectMs: 1000, chaosS: 0,
};

export async function pickTransport(backend: SimOptions['backend']): Promise<{ transport: Transport; warning?: string }> {
  if (backend === 'node-net') return { transport: await loadTransport('node-net') };
  if (backend === 'poll' || backend === 'io_uring') process.env['OSMO_IO_BACKEND'] = backend;
  try {
    return { transport: await loadTransport('osmo-io' satisfies TransportKind) };
  } catch (e) {
    if (backend !== 'auto') throw e;
    return { transport: await loadTransport('node-net'), warning: `@osmo/io unavailable (${(e as Error).message.split('\n')[0]}); using node-net` };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SimRun { summary: SimSummary; ctrlPort: number | null; warning?: string }

export async function runSimulation(o: SimOptions, transportIn?: Transport): Promise<SimRun> {
  const picked = transportIn ? { transport: transportIn } : await pickTransport(o.backend);
  const transport = picked.transport;
  let bsc: BscSide | null = null;
  let ctrl: CtrlHandle | null = null;
  let omlPort: number, host: string;
  if (o.bsc) { host = o.bsc.host; omlPort = o.bsc.port; } else {
    bsc = new BscSide({ transport, host: o.host, omlPort: o.omlPort, rslPort: o.rslPort, siteBase: o.siteBase });
    await bsc.start();
    host = o.host; omlPort = bsc.omlPort;
    if (o.ctrlPort !== null) ctrl = await startCtrl(bsc, o.ctrlPort, o.host);
  }
  const bts = new BtsSide({ transport, host, omlPort, bts: o.bts, trx: o.trx, rate: o.rate, siteBase: o.siteBase, reconnectMs: o.reconnectMs });
  const cpu = new CpuMeter();
  const t0 = performance.now();
  bts.start();
  let lastSent = 0, lastT = t0;
  const progressMs = o.progressMs ?? 1000;
  const prog = setInterval(() => {
    const now = performance.now(), sent = bts.sent;
    const p: SimProgress = {
      t: (now - t0) / 1000, omlUp: bts.omlUp, rslUp: bts.rslUp, msgsPerS: (1000 * (sent - lastSent)) / Math.max(1, now - lastT),
      cpuPercent: cpu.sample(), backend: transport.backend,
    };
    lastSent = sent; lastT = now;
    o.onProgress?.(p);
  }, progressMs);
  let chaos: NodeJS.Timeout | null = null;
  if (o.chaosS > 0) {
    let n = 0;
    chaos = setInterval(() => {
      const i = n % o.bts;
      if (n++ % 3 === 0) bts.dropOml(i); else bts.dropRsl(i, n % o.trx);
    }, o.chaosS * 1000);
  }
  await sleep(o.durationS * 1000);
  if (chaos) clearInterval(chaos);
  clearInterval(prog);
  bts.stopTraffic();
  // let queued messages arrive before counting
  let prev = -1;
  for (let i = 0; i < 40 && bsc; i++) {
    await sleep(50);
    const r = bsc.totals().received;
    if (r === prev) break;
    prev = r;
  }
  const wallS = (performance.now() - t0) / 1000;
  const { cpuUs } = cpu.total();
  const sent = bts.sent;
  const tot = bsc?.totals();
  const received = tot?.received ?? 0, lost = tot?.lost ?? 0;
  const summary: SimSummary = {
    backend: transport.backend, bts: o.bts, trxPerBts: o.trx, durationS: wallS,
    omlLinksUp: bts.omlUp, rslLinksUp: bts.rslUp, linksExpected: o.bts * (1 + o.trx),
    omlBringupsCompleted: bts.bringups, reconnects: bts.reconnects,
    sent, received, lost, duplicates: tot?.duplicates ?? 0,
    unaccounted: bsc ? sent - received - lost + (tot?.duplicates ?? 0) : 0,
    rslDecodeErrors: tot?.decodeErrors ?? 0,
    cpuPercent: (100 * cpuUs) / (wallS * 1e6), cpuUsPerMessage: sent > 0 ? cpuUs / sent : null,
    msgsPerSecond: sent / Math.max(0.001, o.durationS),
  };
  const ctrlPort = ctrl?.port ?? null;
  bts.close();
  ctrl?.close();
  bsc?.close();
  return { summary, ctrlPort, ...(picked.warning ? { warning: picked.warning } : {}) };
}
