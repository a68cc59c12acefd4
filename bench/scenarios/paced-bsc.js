// Scenario paced-bsc: the case upstream's users reported — many mostly idle IPA links at a fixed total rate.
// The BSC side under test is the link simulator's real BSC side (examples/bsc-link-sim, `cli.js --listen`, its
// own process: IPA CCM identification, OML bring-up driver, RSL MEAS RES decoding and per-TRX sequence checks,
// CTRL interface), once per transport: @osmo/io poll, @osmo/io io_uring, Node `net`. The load is the simulator's
// BTS side in a second process (`cli.js --bsc`, always the same transport): 100 BTS x 4 TRX = 400 RSL links
// (+100 OML links), 20 RSL messages/s per link = 8000 msg/s, sent from a 10 ms tick (each tick ~80 messages
// spread over ~80 links). The C loadgen's paced mode cannot be used here: it does not do the IPA identification
// and OML bring-up without which the BSC side accepts no RSL traffic.
//
// Measured on the BSC process only, over a window that starts once all links are up and a warm-up has passed:
// CPU (schedstat), messages it received (asked over its --control channel), @osmo/io stats() syscalls, and in
// a separate pass perf's syscall count.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Proc, sleep } from '../lib/spawn.js';
import { cpuSample, cpuDelta, PerfSyscalls, coreDeltaPerMsg } from '../lib/measure.js';
import { median, medAll, fmt, ioUringChecks, perfBreakdownNote, coreStatsNotes } from '../lib/table.js';

export const name = 'paced-bsc';
export const title = 'paced BSC side (bsc-link-sim --listen): 400 TRX links (IPA/RSL) at a fixed total rate, BSC-side CPU';

/** @type {import('../run.js').ScenarioOptions} */
export const options = {
  'paced-links': { default: 400, help: 'paced-bsc: RSL (TRX) links, 4 per BTS' },
  'paced-rate': { default: 20, help: 'paced-bsc: RSL messages/s per link' },
  'paced-seconds': { default: 0, help: 'paced-bsc: window per run in s (0 = 8, or 1.5 with --quick)' },
  'paced-warmup': { default: 0, help: 'paced-bsc: warm-up after all links are up, s (0 = 1, or 0.5 with --quick)' },
  'paced-gen': { default: 'io_uring', help: 'paced-bsc: transport of the BTS-side load process (io_uring|poll|node-net)' },
};

const TRX_PER_BTS = 4;

/** @param {import('../run.js').Ctx} ctx */
function cfg(ctx) {
  const x = ctx.opts.extra;
  const links = Math.max(TRX_PER_BTS, Math.round(Number(x['paced-links']) / TRX_PER_BTS) * TRX_PER_BTS);
  return {
    links, bts: links / TRX_PER_BTS, rate: Number(x['paced-rate']),
    seconds: Number(x['paced-seconds']) || (ctx.opts.quick ? 1.5 : 8),
    warmup: Number(x['paced-warmup']) || (ctx.opts.quick ? 0.5 : 1),
    gen: String(x['paced-gen']),
    cli: join(ctx.benchDir, '..', 'examples', 'bsc-link-sim', 'dist', 'src', 'cli.js'),
  };
}

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  /** @type {import('../run.js').Variant[]} */
  const v = [{ id: 'net', label: 'BSC side on node net', baseline: true, backend: 'node-net',
    server: { name: 'bsc(node-net)', script: '(bsc-link-sim cli.js --listen)' } }];
  if (ctx.core.ok) {
    for (const backend of ctx.backends) {
      v.push({ id: `osmo-${backend}`, label: `BSC side on osmo-io ${backend}`, backend,
        server: { name: `bsc(${backend})`, script: '(bsc-link-sim cli.js --listen)' } });
    }
  }
  return v;
}

/**
 * @param {Proc} p
 * @param {string} cmd
 */
const ask = (p, cmd) => p.request(cmd, cmd === 'stats' ? 'stats' : 'summary', 5000);

/**
 * @param {import('../run.js').Variant} variant
 * @param {import('../run.js').Ctx} ctx
 * @param {{ withPerf: boolean, seconds?: number, warmup?: number }} how
 */
export async function runOnce(variant, ctx, how) {
  const c = cfg(ctx);
  if (!existsSync(c.cli)) throw new Error(`${c.cli} missing: npm run build first`);
  const seconds = how.withPerf ? Math.min(c.seconds, ctx.opts.perfSeconds) : c.seconds;
  // no CTRL interface in either process: it is idle here, and on the node-net variant it would load @osmo/io too
  const common = ['--bts', String(c.bts), '--trx', String(TRX_PER_BTS), '--control', '--ctrl-port', 'none'];
  const bsc = new Proc(variant.server.name, process.execPath,
    [c.cli, '--listen', '127.0.0.1:0', ...common, '--backend', /** @type {string} */ (variant.backend)],
    { cwd: ctx.benchDir });
  /** @type {Proc | null} */
  let gen = null;
  /** @type {PerfSyscalls | null} */
  let perf = null;
  try {
    const ready = await bsc.waitFor((ev) => ev.event === 'ready', 15000);
    if (how.withPerf) {
      perf = new PerfSyscalls(bsc.pid);
      await perf.ready();
    }
    const tStart = performance.now();
    gen = new Proc(`bts-side(${c.gen})`, process.execPath,
      [c.cli, '--bsc', `127.0.0.1:${ready.omlPort}`, ...common, '--rate', String(c.rate), '--duration', '600',
        '--backend', c.gen], { cwd: ctx.benchDir });
    await gen.waitFor((ev) => ev.event === 'ready', 15000);
    // every link up on the BSC side (bounded)
    let st = await ask(bsc, 'stats');
    for (let i = 0; i < 200 && !(st.omlUp === c.bts && st.rslUp === c.links); i++) {
      await sleep(100);
      st = await ask(bsc, 'stats');
    }
    if (st.omlUp !== c.bts || st.rslUp !== c.links) throw new Error(`links up on the BSC side: OML ${st.omlUp}/${c.bts}, RSL ${st.rslUp}/${c.links}`);
    const bringupS = (performance.now() - tStart) / 1000;
    await sleep((how.warmup ?? c.warmup) * 1000);
    const g0 = cpuSample(gen.pid);
    const c0 = cpuSample(bsc.pid);
    if (perf) await perf.enable();
    const s0 = await ask(bsc, 'stats');
    await sleep(seconds * 1000);
    const c1 = cpuSample(bsc.pid);
    if (perf) await perf.disable();
    const s1 = await ask(bsc, 'stats');
    const g1 = cpuSample(gen.pid);
    const sc = perf ? await perf.finish() : null;

    const msgs = s1.msgs - s0.msgs;
    const cpu = cpuDelta(c0, c1);
    const genCpu = cpuDelta(g0, g1);
    const per = (/** @type {number | null | undefined} */ x) => (x === null || x === undefined || !msgs ? null : x / msgs);
    const coreSys = typeof s0.syscalls === 'number' && typeof s1.syscalls === 'number' ? s1.syscalls - s0.syscalls : null;
    return {
      links: c.links, ratePerLink: c.rate, targetMsgsPerS: c.links * c.rate, bringupS,
      msgsPerS: cpu ? msgs / cpu.wallS : null,
      serverMsgs: msgs,
      lostInWindow: s1.lost - s0.lost, duplicatesInWindow: s1.duplicates - s0.duplicates,
      linksUpAtEnd: { oml: s1.omlUp, rsl: s1.rslUp },
      serverCpuPercent: cpu ? 100 * cpu.util : null,
      serverCpuUsPerMsg: cpu ? per(cpu.cpuS * 1e6) : null,
      serverStatCpuUsPerMsg: cpu ? per(cpu.statCpuS * 1e6) : null,
      serverUtil: cpu?.util ?? null,
      generatorCpuPercent: genCpu ? 100 * genCpu.util : null,
      syscallsPerMsgPerf: sc ? per(sc.total) : null,
      syscallsPerf: sc?.total ?? null,
      syscallBreakdownPerMsg: sc ? Object.fromEntries(Object.entries(sc.breakdown).map(([k, n]) => [k, per(n)])) : null,
      syscallsPerMsgCore: per(coreSys),
      corePerMsg: coreDeltaPerMsg(s0.core, s1.core, msgs),
      backend: ready.backend ?? null,
      generator: c.gen,
    };
  } finally {
    if (gen) await gen.stop({ command: 'exit', graceMs: 2000 });
    if (perf && !perf.proc.exited) await perf.finish().catch(() => {});
    await bsc.stop({ command: 'exit', graceMs: 2000 });
  }
}

/**
 * @param {Map<string, { variant: import('../run.js').Variant, runs: any[], perfRun: any }>} runs
 * @param {import('../run.js').Ctx} ctx
 */
export function report(runs, ctx) {
  const c = cfg(ctx);
  const base = runs.get('net');
  const baseCpu = base ? median(base.runs.map((r) => r.serverCpuUsPerMsg)) : null;
  const headers = ['BSC side', 'msgs/s', 'CPU %', 'CPU µs/msg', 'syscalls/msg (perf)', 'syscalls/msg (core stats)',
    'CPU ratio vs net', 'lost'];
  const rows = [];
  for (const [id, { variant, runs: rs, perfRun }] of runs) {
    const cpu = rs.map((r) => r.serverCpuUsPerMsg);
    const sysPerf = perfRun?.syscallsPerMsgPerf ?? null;
    const sysCore = median(rs.map((r) => r.syscallsPerMsgCore));
    const ratio = baseCpu && median(cpu) !== null ? /** @type {number} */ (median(cpu)) / baseCpu : null;
    rows.push([variant.label, medAll(rs.map((r) => r.msgsPerS), 0), medAll(rs.map((r) => r.serverCpuPercent), 1),
      medAll(cpu, 2), fmt(sysPerf, 3), variant.baseline ? '-' : fmt(sysCore, 3), id === 'net' ? '1.00' : fmt(ratio, 2),
      String(rs.reduce((a, r) => a + (r.lostInWindow ?? 0) + (r.duplicatesInWindow ?? 0), 0))]);
  }
  const checks = ioUringChecks(runs, {
    sysLabel: 'paced-bsc io_uring syscalls/msg', sysLimit: 0.2,
    ratioLabel: 'paced-bsc io_uring BSC-side CPU ÷ node net', ratioLimit: 0.6, cpuKey: 'serverCpuUsPerMsg', baseId: 'net',
  });
  const any = [...runs.values()].flatMap((v) => v.runs);
  const notes = [`${c.links} RSL links (${c.bts} BTS x ${TRX_PER_BTS} TRX, +${c.bts} OML) at ${c.rate} msg/s each = ` +
    `${c.links * c.rate} msg/s offered; BTS-side load process on ${c.gen}; window ${c.seconds} s after all links up ` +
    `+ ${c.warmup} s warm-up; medians [all runs]. CPU % = BSC process, % of one core. ` +
    `Bring-up ${fmt(median(any.map((r) => r.bringupS)), 1)} s; load process CPU ${fmt(median(any.map((r) => r.generatorCpuPercent)), 1)} %.`];
  for (const [, { variant, perfRun }] of runs) {
    const note = perfBreakdownNote(variant, perfRun);
    if (note) notes.push(note);
  }
  notes.push(...coreStatsNotes(runs));
  return { headers, rows, checks, notes };
}

/** One progress line per run. */
export function summaryLine(/** @type {any} */ r) {
  return `${Math.round(r.msgsPerS)} msg/s, BSC CPU ${fmt(r.serverCpuPercent, 1)} %, ${fmt(r.serverCpuUsPerMsg, 2)} µs/msg, ` +
    `bring-up ${fmt(r.bringupS, 1)} s`;
}
