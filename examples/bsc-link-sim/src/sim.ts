/** One simulator run: BSC side (unless a remote BSC is given) + BTS side, progress, optional link chaos, summary. */
import { resolveHost } from './args.js';
import { BscSide } from './bsc.js';
import { BtsSide } from './bts.js';
import { startCtrl, type CtrlHandle } from './ctrl-tree.js';
import type { SimOptions, SimProgress } from './options.js';
import { CpuMeter, resourceReport, sampleResources, type ResourceSample, type SimSummary } from './stats.js';
import { loadTransport, type Transport } from './transport.js';

export { DEFAULTS, type SimOptions, type SimProgress, type SimStarted } from './options.js';
import { BackendError } from './errors.js';



/**
 * The transport for `backend`. @osmo/io picks its backend (OSMO_IO_BACKEND) once per process: 'poll' / 'io_uring'
 * set it, and must do so before anything used @osmo/io for I/O (the CLI calls this first); a process already on
 * another backend is an error.
 */
export async function pickTransport(backend: SimOptions['backend']): Promise<{ transport: Transport; warning?: string }> {
  if (backend === 'node-net') return { transport: loadTransport('node-net') };
  if (backend === 'poll' || backend === 'io_uring') process.env['OSMO_IO_BACKEND'] = backend;
  let transport: Transport;
  try {
    transport = loadTransport('osmo-io');
  } catch (e) {
    // an explicit choice (--backend, OSMO_IO_BACKEND) that cannot work is an error, not a silent fallback
    if (backend !== 'auto' || (e as { code?: string }).code === 'ERR_OSMO_IO_BACKEND') throw e;
    return { transport: loadTransport('node-net'), warning: `@osmo/io unavailable (${(e as Error).message.split('\n')[0]}); using node-net` };
  }
  if (backend !== 'auto' && transport.backend !== backend) {
    throw new BackendError(`backend ${backend} requested, but @osmo/io already runs on ${transport.backend}`);
  }
  return { transport };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SimRun { summary: SimSummary; ctrlPort: number | null; warning?: string }

export async function runSimulation(oIn: SimOptions, transportIn?: Transport): Promise<SimRun> {
  // host names -> addresses once (rejects with the dns error, code ENOTFOUND, for a name that does not resolve)
  const o: SimOptions = { ...oIn, host: await resolveHost(oIn.host),
    ...(oIn.bsc ? { bsc: { host: await resolveHost(oIn.bsc.host), port: oIn.bsc.port } } : {}),
    ...(oIn.ctrlHost !== undefined ? { ctrlHost: await resolveHost(oIn.ctrlHost) } : {}) };
  const picked = transportIn ? { transport: transportIn } : await pickTransport(o.backend);
  const transport = picked.transport;
  let bsc: BscSide | null = null;
  let ctrl: CtrlHandle | null = null;
  let omlPort: number, host: string;
  if (o.bsc) { host = o.bsc.host; omlPort = o.bsc.port; } else {
    bsc = new BscSide({ transport, host: o.host, omlPort: o.omlPort, rslPort: o.rslPort, siteBase: o.siteBase, maxBts: o.bts, maxTrx: o.trx });
    await bsc.start();
    host = o.host; omlPort = bsc.omlPort;
    try {
      if (o.ctrlPort !== null) ctrl = startCtrl(bsc, o.ctrlPort, o.ctrlHost ?? '127.0.0.1');
    } catch (e) {
      bsc.close();
      throw e;
    }
  }
  const mode: SimSummary['mode'] = o.listen ? 'bsc' : o.bsc ? 'bts' : 'both';
  const bts = o.listen ? null
    : new BtsSide({ transport, host, omlPort, bts: o.bts, trx: o.trx, rate: o.rate, siteBase: o.siteBase, reconnectMs: o.reconnectMs });
  const cpu = new CpuMeter();
  const t0 = performance.now();
  bts?.start();
  o.onStarted?.({ transport, bsc, bts, omlPort, rslPort: bsc?.rslPort ?? 0, ctrlPort: ctrl?.port ?? null });
  const links = (): { omlUp: number; rslUp: number; count: number } => {
    if (bts) return { omlUp: bts.omlUp, rslUp: bts.rslUp, count: bts.sent };
    const t = bsc!.totals();
    return { omlUp: t.omlUp, rslUp: t.rslUp, count: t.received };
  };
  const expectedRsl = o.bts * o.trx;
  // resource samples (soak): VmRSS and open fds every sampleS seconds; 'start' = first sample with every link up
  const samples: ResourceSample[] = [];
  let steadyIndex = -1;
  const sampleNow = (): ResourceSample => {
    const r = sampleResources((performance.now() - t0) / 1000);
    samples.push(r);
    const l = links();
    if (steadyIndex < 0 && l.omlUp >= o.bts && l.rslUp >= expectedRsl) steadyIndex = samples.length - 1;
    return r;
  };
  const sampler = o.sampleS && o.sampleS > 0 ? setInterval(sampleNow, o.sampleS * 1000) : null;
  let lastCount = 0, lastT = t0;
  const progressMs = o.progressMs ?? 1000;
  const prog = setInterval(() => {
    const now = performance.now(), l = links();
    const last = samples[samples.length - 1];
    const p: SimProgress = {
      t: (now - t0) / 1000, omlUp: l.omlUp, rslUp: l.rslUp, msgsPerS: (1000 * (l.count - lastCount)) / Math.max(1, now - lastT),
      cpuPercent: cpu.sample(), backend: transport.backend, ...(last ? { rssKb: last.rssKb, fds: last.fds } : {}),
      ...(bts ? { connectErrors: bts.connectErrors } : {}),
    };
    lastCount = l.count; lastT = now;
    o.onProgress?.(p);
  }, progressMs);
  let chaos: NodeJS.Timeout | null = null;
  if (o.chaosS > 0 && bts) {
    let n = 0;
    chaos = setInterval(() => {
      const i = n % o.bts;
      if (n++ % 3 === 0) bts.dropOml(i); else bts.dropRsl(i, n % o.trx);
    }, o.chaosS * 1000);
  }
  let endTimer: NodeJS.Timeout | null = null;
  const waits: Promise<void>[] = [];
  if (o.durationS > 0 || !o.stop) waits.push(new Promise((r) => { endTimer = setTimeout(r, o.durationS * 1000); }));
  if (o.stop) waits.push(o.stop);
  await Promise.race(waits);
  if (endTimer) clearTimeout(endTimer);
  if (chaos) clearInterval(chaos);
  clearInterval(prog);
  if (sampler) { clearInterval(sampler); sampleNow(); }
  bts?.stopTraffic();
  // let queued messages arrive before counting
  let prev = -1;
  for (let i = 0; i < 40 && bsc && bts; i++) {
    await sleep(50);
    const r = bsc.totals().received;
    if (r === prev) break;
    prev = r;
  }
  const wallS = (performance.now() - t0) / 1000;
  const { cpuUs } = cpu.total();
  const tot = bsc?.totals();
  const sent = bts?.sent ?? 0;
  const received = tot?.received ?? 0, lost = tot?.lost ?? 0;
  const counted = bts ? sent : received;
  let omlConnects = 0;
  if (bsc) for (const b of bsc.bts.values()) omlConnects += b.omlConnects;
  const l = links();
  const summary: SimSummary = {
    mode, backend: transport.backend, bts: o.bts, trxPerBts: o.trx, durationS: wallS,
    omlLinksUp: l.omlUp, rslLinksUp: l.rslUp, linksExpected: o.bts * (1 + o.trx),
    omlBringupsCompleted: bts ? bts.bringups : omlConnects, reconnects: bts ? bts.reconnects : Math.max(0, omlConnects - (tot?.omlUp ?? 0)),
    sent, received, lost, duplicates: tot?.duplicates ?? 0,
    unaccounted: bsc && bts ? sent - received - lost + (tot?.duplicates ?? 0) : 0,
    rslDecodeErrors: tot?.decodeErrors ?? 0,
    cpuPercent: (100 * cpuUs) / (wallS * 1e6), cpuUsPerMessage: counted > 0 ? cpuUs / counted : null,
    msgsPerSecond: counted / Math.max(0.001, wallS),
    ...(o.sampleS && o.sampleS > 0 ? { resources: resourceReport(o.sampleS, samples, steadyIndex) } : {}),
    ctrlPort: ctrl?.port ?? null,
    ...(bts ? { omlUps: bts.omlUps, omlConnects: bts.omlConnects, connectErrors: bts.connectErrors,
      lastConnectError: bts.lastConnectError } : {}),
    ...(bsc ? { rejectedUnits: bsc.rejectedUnits } : {}),
  };
  const ctrlPort = ctrl?.port ?? null;
  bts?.close();
  ctrl?.close();
  bsc?.close();
  return { summary, ctrlPort, ...(picked.warning ? { warning: picked.warning } : {}) };
}
