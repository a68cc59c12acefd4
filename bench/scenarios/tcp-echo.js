// Scenario tcp-echo: N TCP connections, one IPA-like 53-byte frame in flight per connection (saturation),
// the C load generator checks every echo. Servers: Node `net` (baseline) and @osmo/io under poll and io_uring.
//
// Scenario module contract (see bench/README.md): export name, title, variants(ctx), runOnce(variant, ctx,
// { withPerf }), report(runs, ctx).

import { Proc, startServer } from '../lib/spawn.js';
import { cpuSample, cpuDelta, PerfSyscalls, coreDeltaPerMsg } from '../lib/measure.js';
import { median, medAll, fmt, ioUringChecks, perfBreakdownNote, coreStatsNotes } from '../lib/table.js';

export const name = 'tcp-echo';
export const title = 'TCP echo, IPA-framed 53-byte messages, one in flight per connection (saturated)';

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  /** @type {import('../run.js').Variant[]} */
  const v = [{ id: 'net', label: 'node net', baseline: true, server: { name: 'net-tcp-echo', script: 'net-tcp-echo.js' } }];
  if (ctx.core.ok) {
    for (const backend of ctx.backends) {
      v.push({ id: `osmo-${backend}`, label: `osmo-io ${backend}`, backend,
        server: { name: `osmo-tcp-echo(${backend})`, script: 'osmo-tcp-echo.js', env: { OSMO_IO_BACKEND: backend } } });
    }
  }
  return v;
}

/**
 * @param {import('../run.js').Variant} variant
 * @param {import('../run.js').Ctx} ctx
 * @param {{ withPerf: boolean, seconds?: number, warmup?: number }} how
 */
export async function runOnce(variant, ctx, how) {
  const seconds = how.seconds ?? ctx.opts.seconds;
  const warmup = how.warmup ?? ctx.opts.warmup;
  const srv = await startServer(variant.server, ctx);
  /** @type {PerfSyscalls | null} */
  let perf = null;
  /** @type {Proc | null} */
  let lg = null;
  try {
    if (how.withPerf) {
      perf = new PerfSyscalls(srv.pid);
      await perf.ready();
    }
    lg = new Proc('loadgen', ctx.loadgen, ['tcp', '--port', String(srv.ready.port), '--conns', String(ctx.opts.conns),
      '--warmup', String(warmup), '--seconds', String(seconds)]);
    await lg.waitFor((ev) => ev.event === 'connected', 20000);
    await lg.waitFor((ev) => ev.event === 'window_start', (warmup + 10) * 1000);
    const c0 = cpuSample(srv.pid);
    if (perf) await perf.enable();
    const s0 = await srv.request('stats', 'stats');
    const end = await lg.waitFor((ev) => ev.event === 'window_end', (seconds + 10) * 1000);
    const c1 = cpuSample(srv.pid);
    if (perf) await perf.disable();
    const s1 = await srv.request('stats', 'stats');
    await lg.waitFor((ev) => ev.event === 'done', 10000).catch(() => {});
    await lg.stop({ graceMs: 3000 });
    const sc = perf ? await perf.finish() : null;

    const msgs = s1.msgs - s0.msgs;
    const cpu = cpuDelta(c0, c1);
    const per = (/** @type {number | null | undefined} */ x) => (x === null || x === undefined || !msgs ? null : x / msgs);
    const coreSys = s0.syscalls !== null && s0.syscalls !== undefined && s1.syscalls !== null ? s1.syscalls - s0.syscalls : null;
    return {
      roundTripsPerS: end.rate,
      roundTrips: end.round_trips,
      serverMsgs: msgs,
      errors: end.errors,
      err: end.err,
      alive: end.alive,
      serverCpuUsPerMsg: cpu ? per(cpu.cpuS * 1e6) : null,
      serverStatCpuUsPerMsg: cpu ? per(cpu.statCpuS * 1e6) : null,
      serverUtil: cpu?.util ?? null,
      clientCpuUsPerMsg: end.round_trips ? (end.client_cpu_s * 1e6) / end.round_trips : null,
      latencyUs: end.lat_us,
      syscallsPerMsgPerf: sc ? per(sc.total) : null,
      syscallsPerf: sc?.total ?? null,
      syscallBreakdownPerMsg: sc ? Object.fromEntries(Object.entries(sc.breakdown).map(([k, n]) => [k, per(n)])) : null,
      syscallsPerMsgCore: per(coreSys),
      corePerMsg: coreDeltaPerMsg(s0.core, s1.core, msgs),
      serverErrors: { readErrors: s1.readErrors, writeErrors: s1.writeErrors, enospc: s1.enospc, eofs: s1.eofs, errors: s1.errors },
      backend: srv.ready.backend ?? null,
    };
  } finally {
    lg?.kill('SIGKILL');
    if (perf && !perf.proc.exited) await perf.finish().catch(() => {});
    await srv.stop({ command: 'exit' });
  }
}

/**
 * @param {Map<string, { variant: import('../run.js').Variant, runs: any[], perfRun: any }>} runs
 * @param {import('../run.js').Ctx} ctx
 */
export function report(runs, ctx) {
  const base = runs.get('net');
  const baseCpu = base ? median(base.runs.map((r) => r.serverCpuUsPerMsg)) : null;
  const headers = ['variant', 'round trips/s', 'server CPU µs/msg', 'syscalls/msg (perf)', 'syscalls/msg (core stats)',
    'CPU ratio vs node net', 'util (cores)', 'errors'];
  const rows = [];
  for (const [id, { variant, runs: rs, perfRun }] of runs) {
    const cpu = rs.map((r) => r.serverCpuUsPerMsg);
    const sysPerf = perfRun?.syscallsPerMsgPerf ?? null;
    const sysCore = median(rs.map((r) => r.syscallsPerMsgCore));
    const ratio = baseCpu && median(cpu) !== null ? /** @type {number} */ (median(cpu)) / baseCpu : null;
    rows.push([variant.label, medAll(rs.map((r) => r.roundTripsPerS), 0), medAll(cpu, 2), fmt(sysPerf, 3),
      variant.baseline ? '-' : fmt(sysCore, 3), id === 'net' ? '1.00' : fmt(ratio, 2),
      medAll(rs.map((r) => r.serverUtil), 2), String(rs.reduce((a, r) => a + (r.errors ?? 0), 0))]);
  }
  const checks = ioUringChecks(runs, {
    sysLabel: 'tcp-echo io_uring syscalls/msg', sysLimit: 0.2,
    ratioLabel: 'tcp-echo io_uring CPU/msg ÷ node net', ratioLimit: 0.7, cpuKey: 'serverCpuUsPerMsg', baseId: 'net',
  });
  const notes = [`${ctx.opts.conns} connections, warm-up ${ctx.opts.warmup} s, window ${ctx.opts.seconds} s; medians [all runs].`];
  for (const [, { variant, perfRun }] of runs) {
    const note = perfBreakdownNote(variant, perfRun);
    if (note) notes.push(note);
  }
  notes.push(...coreStatsNotes(runs));
  return { headers, rows, checks, notes };
}

/** One progress line per run. */
export function summaryLine(/** @type {any} */ r) {
  return `${Math.round(r.roundTripsPerS)} rt/s, ${fmt(r.serverCpuUsPerMsg, 2)} µs/msg, ${r.errors} errors`;
}
