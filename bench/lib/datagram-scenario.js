// One datagram-receive scenario, shared by `udp` (plain receivers) and `ns` (the NS stack on each transport):
// the C blaster sends SIZE-byte datagrams for a fixed time (blast, or paced with --udp-rate), then end markers;
// the receiver reports what it took. Only the servers, the labels and the unit differ between the scenarios.

import { Proc, startServer } from './spawn.js';
import { cpuSample, cpuDelta, PerfSyscalls, coreDeltaPerMsg } from './measure.js';
import { median, medAll, fmt, perfBreakdownNote, coreStatsNotes, ioUringChecks } from './table.js';

export const SIZE = 100;

/**
 * @param {{ name: string, unit: string, baseLabel: string,
 *           describe: (ctx: import('../run.js').Ctx) => string,
 *           rate?: (ctx: import('../run.js').Ctx) => number,
 *           extraNotes?: (runs: Map<string, any>) => string[] }} spec
 */
export function datagramScenario(spec) {
  const { name, unit } = spec;
  /** datagrams/s the sender paces at (0: blast): the scenario's own, else --udp-rate */
  const rateOf = (/** @type {import('../run.js').Ctx} */ ctx) => spec.rate?.(ctx) ?? ctx.opts.udpRate;

  /**
   * @param {import('../run.js').Variant} variant
   * @param {import('../run.js').Ctx} ctx
   * @param {{ withPerf: boolean, seconds?: number }} how
   */
  async function runOnce(variant, ctx, how) {
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
      if (rateOf(ctx) > 0) lgArgs.push('--rate', String(rateOf(ctx)));
      lg = new Proc('loadgen', ctx.loadgen, lgArgs);
      await lg.waitFor((ev) => ev.event === 'window_start', 10000);
      const c0 = cpuSample(srv.pid);
      if (perf) await perf.enable();
      const s0 = await srv.request('stats', 'stats');
      let done = null;
      try {
        done = await srv.waitFor((ev) => ev.event === 'udp_done', (seconds + 5) * 1000);
      } catch (e) {
        ctx.log(`  ${name}: receiver reported no end marker: ${/** @type {Error} */ (e).message.slice(0, 200)}`);
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
  function report(runs, ctx) {
    const base = runs.get('dgram');
    const baseCpu = base ? median(base.runs.map((r) => r.recvCpuUsPerMsg)) : null;
    const headers = ['variant', `${unit}s/s`, `receiver CPU µs/${unit}`, `syscalls/${unit} (perf)`, `syscalls/${unit} (core stats)`,
      'loss %', 'CPU ratio vs dgram', 'util (cores)', 'sent/s'];
    const rows = [];
    for (const [id, { variant, runs: rs, perfRun }] of runs) {
      const cpu = rs.map((r) => r.recvCpuUsPerMsg);
      const ratio = baseCpu && median(cpu) !== null ? /** @type {number} */ (median(cpu)) / baseCpu : null;
      rows.push([variant.label, medAll(rs.map((r) => r.receivedPerS), 0), medAll(cpu, 2), fmt(perfRun?.syscallsPerMsgPerf ?? null, 3),
        variant.baseline ? '-' : fmt(median(rs.map((r) => r.syscallsPerMsgCore)), 3), medAll(rs.map((r) => r.lossPct), 1),
        id === 'dgram' ? '1.00' : fmt(ratio, 2), medAll(rs.map((r) => r.recvUtil), 2), fmt(median(rs.map((r) => r.sentPerS)), 0)]);
    }
    // each io_uring variant against the targets (the default one reports "did not run" when absent)
    const ids = [...runs.keys()].filter((id) => id.startsWith('osmo-io_uring'));
    const checks = (ids.length ? ids : ['osmo-io_uring']).flatMap((id) => {
      const what = id === 'osmo-io_uring' ? 'io_uring' : /** @type {any} */ (runs.get(id)).variant.label.replace(/^.*osmo-io /, '');
      return ioUringChecks(runs, {
        id, sysLabel: `${name} ${what} syscalls/${unit}`, sysLimit: 0.05,
        ratioLabel: `${name} ${what} CPU/${unit} ÷ ${spec.baseLabel}`, ratioLimit: 0.6, cpuKey: 'recvCpuUsPerMsg', baseId: 'dgram',
      });
    });
    const notes = [`${spec.describe(ctx)}, ${ctx.opts.seconds} s per run, ${rateOf(ctx) > 0 ? `paced at ${rateOf(ctx)}/s` : 'blast (sendmmsg ×32)'}; ` +
      `receiver CPU from the first datagram to the end marker; medians [all runs].`];
    for (const [, { variant, runs: rs, perfRun }] of runs) {
      const rb = rs[0]?.rcvbuf;
      const note = perfBreakdownNote(variant, perfRun, rb ? ` (SO_RCVBUF ${rb})` : '');
      if (note) notes.push(note);
      const tu = rs[0]?.tuning;
      if (tu && Object.keys(tu).length) {
        notes.push(`${variant.label} tuning results: ${Object.entries(tu).map(([k, v]) => `${k} → ${v}`).join(', ')}`);
      }
      if (rs.some((r) => !r.endMarker)) notes.push(`${variant.label}: some runs saw no end marker (counted until timeout)`);
    }
    notes.push(...(spec.extraNotes?.(runs) ?? []));
    notes.push(...coreStatsNotes(runs));
    return { headers, rows, checks, notes };
  }

  /** One progress line per run. */
  function summaryLine(/** @type {any} */ r) {
    return `${Math.round(r.receivedPerS ?? 0)} ${unit}s/s, ${fmt(r.recvCpuUsPerMsg, 2)} µs/${unit}, loss ${fmt(r.lossPct, 1)}%`;
  }

  return { runOnce, report, summaryLine };
}
