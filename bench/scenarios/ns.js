// Scenario ns: NS-UNITDATA receive. The C blaster's 100-byte datagrams (BE64 sequence + pattern) are NS-UNITDATA
// PDUs for BVCI 0 with a 96-byte SDU. Receivers: the same @osmo/ns2-udp NsInstance (one bind, one NS-VC)
// over Node's `dgram` (baseline), and over @osmo/io under poll and io_uring. Blast by default (the
// receivers run saturated: received/s is their capacity, CPU µs/PDU their cost); --udp-rate R paces it.

import { Proc, startServer } from '../lib/spawn.js';
import { cpuSample, cpuDelta, PerfSyscalls, coreDeltaPerMsg } from '../lib/measure.js';
import { median, medAll, fmt, check, perfBreakdownNote, coreStatsNotes } from '../lib/table.js';

export const name = 'ns';
export const title = 'NS-UNITDATA receive over UDP, 100-byte PDUs from one sender (blast unless --udp-rate)';

const SIZE = 100;

export const options = {
  'ns-sqes': { default: 32, help: 'ns: io_uring receives armed on the NS bind (readSqes)' },
  'ns-echo': { default: 0, help: 'ns: 1 = the receiver also sends every PDU back (sendUnitdata, same BVCI)' },
};

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  /** @type {import('../run.js').Variant[]} */
  const echo = Number(ctx.opts.extra['ns-echo'] ?? 0) ? ['--echo', '1'] : [];
  const v = [{ id: 'dgram', label: 'NS on node dgram', baseline: true,
    server: { name: 'ns-recv(dgram)', script: 'ns-recv.js', args: ['--transport', 'dgram', '--size', String(SIZE), ...echo] } }];
  if (ctx.core.ok) {
    for (const backend of ctx.backends) {
      v.push({ id: `osmo-${backend}`, label: `NS on osmo-io ${backend}`, backend,
        server: { name: `ns-recv(${backend})`, script: 'ns-recv.js',
          args: ['--transport', 'osmo', '--size', String(SIZE), '--sqes', String(ctx.opts.extra['ns-sqes'] ?? 32), ...echo],
          env: { OSMO_IO_BACKEND: backend } } });
    }
  }
  return v;
}

/**
 * @param {import('../run.js').Variant} variant
 * @param {import('../run.js').Ctx} ctx
 * @param {{ withPerf: boolean, seconds?: number }} how
 */
export async function runOnce(variant, ctx, how) {
  const seconds = how.seconds ?? ctx.opts.seconds;
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
    const lgArgs = ['udp', '--port', String(srv.ready.port), '--seconds', String(seconds), '--size', String(SIZE)];
    if (ctx.opts.udpRate > 0) lgArgs.push('--rate', String(ctx.opts.udpRate));
    lg = new Proc('loadgen', ctx.loadgen, lgArgs);
    await lg.waitFor((ev) => ev.event === 'window_start', 10000);
    const c0 = cpuSample(srv.pid);
    if (perf) await perf.enable();
    const s0 = await srv.request('stats', 'stats');
    let done = null;
    try {
      done = await srv.waitFor((ev) => ev.event === 'udp_done', (seconds + 5) * 1000);
    } catch (e) {
      ctx.log(`  ns: receiver reported no end marker: ${/** @type {Error} */ (e).message.slice(0, 200)}`);
    }
    const c1 = cpuSample(srv.pid);
    if (perf) await perf.disable();
    const s1 = await srv.request('stats', 'stats');
    const end = await lg.waitFor((ev) => ev.event === 'window_end', 10000);
    await lg.waitFor((ev) => ev.event === 'done', 5000).catch(() => {});
    await lg.stop({ graceMs: 2000 });
    const sc = perf ? await perf.finish() : null;

    const msgs = s1.msgs; // all data datagrams of this run (the receiver is fresh; CPU is sampled from the first send)
    const cpu = cpuDelta(c0, c1);
    const per = (/** @type {number | null | undefined} */ x) => (x === null || x === undefined || !msgs ? null : x / msgs);
    const coreSys = s0.syscalls !== null && s0.syscalls !== undefined && s1.syscalls !== null ? s1.syscalls - s0.syscalls : null;
    const recvSeconds = done?.seconds ?? s1.seconds ?? end.window_s;
    return {
      sent: end.sent,
      sentPerS: end.rate,
      received: msgs,
      receivedPerS: recvSeconds > 0 ? msgs / recvSeconds : null,
      lossPct: end.sent > 0 ? 100 * (1 - msgs / end.sent) : null,
      endMarker: !!done,
      badDatagrams: s1.bad,
      echoed: s1.echoed ?? null,
      echoFailed: s1.echoFailed ?? null,
      lastEchoError: s1.lastEchoError ?? null,
      recvErrors: s1.errors ?? 0,
      recvCpuUsPerMsg: cpu ? per(cpu.cpuS * 1e6) : null,
      recvStatCpuUsPerMsg: cpu ? per(cpu.statCpuS * 1e6) : null,
      recvUtil: cpu?.util ?? null,
      senderCpuUsPerMsg: end.sent ? (end.client_cpu_s * 1e6) / end.sent : null,
      syscallsPerMsgPerf: sc ? per(sc.total) : null,
      syscallsPerf: sc?.total ?? null,
      syscallBreakdownPerMsg: sc ? Object.fromEntries(Object.entries(sc.breakdown).map(([k, n]) => [k, per(n)])) : null,
      syscallsPerMsgCore: per(coreSys),
      corePerMsg: coreDeltaPerMsg(s0.core, s1.core, msgs),
      rcvbuf: srv.ready.rcvbuf ?? null,
      tuning: srv.ready.tuning ?? null,
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
  const base = runs.get('dgram');
  const baseCpu = base ? median(base.runs.map((r) => r.recvCpuUsPerMsg)) : null;
  const headers = ['variant', 'PDUs/s', 'receiver CPU µs/PDU', 'syscalls/PDU (perf)', 'syscalls/PDU (core stats)',
    'loss %', 'CPU ratio vs dgram', 'util (cores)', 'sent/s'];
  const rows = [];
  const checks = [];
  for (const [id, { variant, runs: rs, perfRun }] of runs) {
    const cpu = rs.map((r) => r.recvCpuUsPerMsg);
    const sysPerf = perfRun?.syscallsPerMsgPerf ?? null;
    const sysCore = median(rs.map((r) => r.syscallsPerMsgCore));
    const ratio = baseCpu && median(cpu) !== null ? /** @type {number} */ (median(cpu)) / baseCpu : null;
    rows.push([variant.label, medAll(rs.map((r) => r.receivedPerS), 0), medAll(cpu, 2), fmt(sysPerf, 3),
      variant.baseline ? '-' : fmt(sysCore, 3), medAll(rs.map((r) => r.lossPct), 1), id === 'dgram' ? '1.00' : fmt(ratio, 2),
      medAll(rs.map((r) => r.recvUtil), 2), fmt(median(rs.map((r) => r.sentPerS)), 0)]);
    if (id === 'osmo-io_uring') {
      const sys = sysPerf ?? sysCore;
      checks.push(check('ns io_uring syscalls/PDU', sys, '<=', 0.05, sysPerf !== null ? '(perf)' : '(core stats)'));
      checks.push(check('ns io_uring CPU/PDU ÷ NS on dgram', ratio, '<=', 0.6));
    }
  }
  if (!runs.has('osmo-io_uring')) {
    checks.push(check('ns io_uring syscalls/PDU', null, '<=', 0.05, '(no io_uring variant ran)'));
    checks.push(check('ns io_uring CPU/PDU ÷ NS on dgram', null, '<=', 0.6, '(no io_uring variant ran)'));
  }
  const notes = [`${SIZE}-byte NS-UNITDATA PDUs (BVCI 0, ${SIZE - 4}-byte SDU) through NsInstance -> 'unitdata' event${Number(ctx.opts.extra['ns-echo'] ?? 0) ? ' -> sendUnitdata back (echo)' : ''}, ${ctx.opts.seconds} s per run, ${ctx.opts.udpRate > 0 ? `paced at ${ctx.opts.udpRate}/s` : 'blast (sendmmsg ×32)'}; ` +
    `receiver CPU from the first datagram to the end marker; medians [all runs].`];
  for (const [, { variant, runs: rs, perfRun }] of runs) {
    const rb = rs[0]?.rcvbuf;
    const note = perfBreakdownNote(variant, perfRun, rb ? ` (SO_RCVBUF ${rb})` : '');
    if (note) notes.push(note);
    const tu = rs[0]?.tuning;
    if (tu && Object.keys(tu).length) {
      notes.push(`${variant.label} tuning results: ${Object.entries(tu).map(([k, v]) => `${k} → ${v}`).join(', ')}`);
    }
    const ef = rs.map((r) => r.echoFailed).filter((x) => typeof x === 'number' && x > 0);
    if (ef.length) notes.push(`${variant.label}: echo refused by sendUnitdata in ${ef.length} of ${rs.length} runs (median ${median(ef)} PDUs, last rc ${rs.find((r) => r.echoFailed)?.lastEchoError}; -28 = ENOSPC: the bind's tx queue of 128 was full)`);
    if (rs.some((r) => !r.endMarker)) notes.push(`${variant.label}: some runs saw no end marker (counted until timeout)`);
  }
  notes.push(...coreStatsNotes(runs));
  return { headers, rows, checks, notes };
}

/** One progress line per run. */
export function summaryLine(/** @type {any} */ r) {
  return `${Math.round(r.receivedPerS ?? 0)} PDUs/s, ${fmt(r.recvCpuUsPerMsg, 2)} µs/PDU, loss ${fmt(r.lossPct, 1)}%`;
}
