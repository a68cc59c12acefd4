// Per-process measurements: CPU time from /proc (schedstat, cross-checked with utime+stime) and system
// call counts with `perf stat -e raw_syscalls:sys_enter -p PID` (plus a per-syscall breakdown).

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Proc } from './spawn.js';

const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/**
 * CPU sample of a process: sum of the schedstat runtime of all its threads (ns) and utime+stime (ticks).
 * @param {number} pid
 * @returns {{ t: number, schedNs: number, statS: number, threads: number } | null}
 */
export function cpuSample(pid) {
  const t = performance.now();
  try {
    let schedNs = 0;
    let threads = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        schedNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        threads++;
      } catch { /* thread exited between readdir and read */ }
    }
    // /proc/PID/stat: the comm field may contain spaces; fields after the closing paren
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const statS = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
    return { t, schedNs, statS, threads };
  } catch {
    return null;
  }
}

/**
 * CPU consumed between two samples.
 * @param {ReturnType<typeof cpuSample>} a
 * @param {ReturnType<typeof cpuSample>} b
 */
export function cpuDelta(a, b) {
  if (!a || !b) return null;
  const wallS = (b.t - a.t) / 1000;
  const cpuS = (b.schedNs - a.schedNs) / 1e9;
  return { wallS, cpuS, statCpuS: b.statS - a.statS, util: wallS > 0 ? cpuS / wallS : 0 };
}

export const BREAKDOWN = ['read', 'write', 'readv', 'writev', 'recvfrom', 'recvmsg', 'recvmmsg', 'sendto', 'sendmsg',
  'sendmmsg', 'poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'epoll_ctl', 'io_uring_enter', 'futex',
  'accept4', 'close', 'getpid'];

/** @type {{ ok: boolean, reason: string, events: string[] } | undefined} */
let perfProbe;

/** Is `perf stat` with syscall tracepoints usable here? Probed once. */
export function perfAvailable() {
  if (perfProbe) return perfProbe;
  const tp = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'].find((d) => existsSync(d));
  try {
    execFileSync('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true'], { stdio: 'pipe', timeout: 10000 });
    const events = ['raw_syscalls:sys_enter'];
    if (tp) for (const s of BREAKDOWN) if (existsSync(`${tp}/syscalls/sys_enter_${s}`)) events.push(`syscalls:sys_enter_${s}`);
    perfProbe = { ok: true, reason: '', events };
  } catch (e) {
    const err = /** @type {any} */ (e);
    const reason = err.code === 'ENOENT' ? 'perf not installed (apt-get install linux-perf)'
      : `perf stat failed: ${String(err.stderr ?? err.message).trim().split('\n').slice(-1)[0]}`;
    perfProbe = { ok: false, reason, events: [] };
  }
  return perfProbe;
}

/**
 * `perf stat` attached to a running process, started with counting disabled; enable()/disable() through
 * perf's --control file descriptors, so the counted interval matches the measurement window exactly.
 * Threads that the process creates after attach are not counted (perf -p semantics): attach once the
 * server is up and loaded.
 */
export class PerfSyscalls {
  /** @param {number} pid */
  constructor(pid) {
    this.pid = pid;
    const probe = perfAvailable();
    this.events = probe.events;
    this.proc = new Proc(`perf(${pid})`, 'perf',
      ['stat', '-x,', '--no-big-num', '-D', '-1', '--control', 'fd:3,4', '-p', String(pid),
        ...this.events.flatMap((e) => ['-e', e])],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.ctl = /** @type {import('node:stream').Duplex} */ (this.proc.child.stdio[3]);
    this.ack = /** @type {import('node:stream').Duplex} */ (this.proc.child.stdio[4]);
    this.ctl.on('error', () => {});
    this.ack.on('error', () => {});
    /** @type {(() => void)[]} */
    this.ackWaiters = [];
    this.ack.setEncoding?.('utf8');
    this.ack.on('data', (/** @type {string} */ d) => {
      for (const _ of d.split('\n').filter((x) => x.includes('ack'))) this.ackWaiters.shift()?.();
    });
  }

  /** Resolves once perf is attached (it prints "Events disabled" when started with -D -1). */
  async ready(timeoutMs = 8000) {
    const t0 = performance.now();
    while (!this.proc.stderr.includes('Events disabled')) {
      if (this.proc.exited) throw new Error(`perf exited: ${this.proc.stderr.trim()}`);
      if (performance.now() - t0 > timeoutMs) throw new Error('perf did not attach in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** @param {string} cmd */
  command(cmd, timeoutMs = 2000) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`perf: no ack for ${cmd}`)), timeoutMs);
      this.ackWaiters.push(() => { clearTimeout(t); resolve(undefined); });
      this.ctl.write(cmd + '\n');
    });
  }

  enable() { return this.command('enable'); }
  disable() { return this.command('disable'); }

  /** Stop perf and parse its CSV: { total, breakdown: { read: n, ... } } (null counts when not counted). */
  async finish() {
    this.proc.kill('SIGINT');
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await this.proc.exitPromise;
    clearTimeout(killer);
    /** @type {Record<string, number>} */
    const breakdown = {};
    let total = null;
    for (const line of this.proc.stderr.split('\n')) {
      const f = line.split(',');
      if (f.length < 3) continue;
      const ev = f[2];
      const v = f[0] === '<not counted>' ? 0 : Number(f[0]);
      if (!Number.isFinite(v)) continue;
      if (ev === 'raw_syscalls:sys_enter') total = v;
      else if (ev.startsWith('syscalls:sys_enter_') && v > 0) breakdown[ev.slice('syscalls:sys_enter_'.length)] = v;
    }
    return { total, breakdown };
  }
}

/**
 * Per-message deltas of the numeric counters of @osmo/io stats() between two snapshots (null without stats()).
 * @param {Record<string, number> | null | undefined} a
 * @param {Record<string, number> | null | undefined} b
 * @param {number} msgs
 */
export function coreDeltaPerMsg(a, b, msgs) {
  if (!a || !b || !msgs) return null;
  /** @type {Record<string, number>} */
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === 'number' && typeof a[k] === 'number' && !/entries|flags/i.test(k)) out[k] = (v - a[k]) / msgs;
  }
  return out;
}
