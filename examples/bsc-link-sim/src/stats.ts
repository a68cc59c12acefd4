/** Counters for the RSL traffic check and CPU accounting, resource sampling (soak), and the summary table. */
import { readdirSync, readFileSync } from 'node:fs';

/** Per-TRX receive-side sequence check: in-order delivery expected (TCP), so a jump is loss, a step back a duplicate. */
export class SeqCheck {
  next = 0;          // next expected sequence number
  received = 0;
  lost = 0;          // messages skipped over (gap sizes)
  duplicates = 0;    // sequence numbers at or below one already seen
  decodeErrors = 0;
  accept(seq: number): 'ok' | 'gap' | 'dup' {
    this.received++;
    if (seq === this.next) { this.next = seq + 1; return 'ok'; }
    if (seq > this.next) { this.lost += seq - this.next; this.next = seq + 1; return 'gap'; }
    this.duplicates++; return 'dup';
  }
}

/** CPU time of this process between samples, as a percentage of one core. */
export class CpuMeter {
  private lastCpu = process.cpuUsage();
  private lastT = process.hrtime.bigint();
  private readonly startCpu = this.lastCpu;
  private readonly startT = this.lastT;
  sample(): number {
    const cpu = process.cpuUsage(), t = process.hrtime.bigint();
    const used = (cpu.user - this.lastCpu.user) + (cpu.system - this.lastCpu.system);
    const wall = Number(t - this.lastT) / 1000;
    this.lastCpu = cpu; this.lastT = t;
    return wall > 0 ? (100 * used) / wall : 0;
  }
  /** total CPU microseconds and wall seconds since construction */
  total(): { cpuUs: number; wallS: number } {
    const cpu = process.cpuUsage();
    return {
      cpuUs: (cpu.user - this.startCpu.user) + (cpu.system - this.startCpu.system),
      wallS: Number(process.hrtime.bigint() - this.startT) / 1e9,
    };
  }
}

/** One sample of this process's resident set size and open file descriptors (Linux /proc/self). */
export interface ResourceSample { t: number; rssKb: number; fds: number }

/** VmRSS from /proc/self/status and the number of entries of /proc/self/fd (minus the one the listing itself holds). */
export function sampleResources(t: number): ResourceSample {
  let rssKb = -1, fds = -1;
  try { rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? -1); } catch { /* not Linux */ }
  try { fds = readdirSync('/proc/self/fd').length - 1; } catch { /* not Linux */ }
  return { t: Math.round(t * 10) / 10, rssKb, fds };
}

export interface ResourceReport {
  intervalS: number;
  /** first sample taken with every expected link up (or the first sample when that never happened) */
  start: ResourceSample | null;
  end: ResourceSample | null;
  min: { rssKb: number; fds: number } | null;
  max: { rssKb: number; fds: number } | null;
  samples: ResourceSample[];
}

export function resourceReport(intervalS: number, samples: ResourceSample[], startIndex: number): ResourceReport {
  const steady = samples.slice(Math.max(0, startIndex));
  const pick = (f: (a: number, b: number) => number, k: 'rssKb' | 'fds'): number => steady.reduce((a, x) => f(a, x[k]), steady[0]![k]);
  return {
    intervalS, start: steady[0] ?? null, end: steady[steady.length - 1] ?? null,
    min: steady.length ? { rssKb: pick(Math.min, 'rssKb'), fds: pick(Math.min, 'fds') } : null,
    max: steady.length ? { rssKb: pick(Math.max, 'rssKb'), fds: pick(Math.max, 'fds') } : null,
    samples,
  };
}

export interface SimSummary {
  /** 'both' (BSC + BTS side in this process), 'bts' (against a remote BSC), 'bsc' (--listen: BSC side only) */
  mode: 'both' | 'bts' | 'bsc';
  backend: string;
  bts: number;
  trxPerBts: number;
  durationS: number;
  omlLinksUp: number;
  rslLinksUp: number;
  linksExpected: number;
  omlBringupsCompleted: number;
  reconnects: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  unaccounted: number;      // sent - received - lost: messages neither received nor reported as a gap
  rslDecodeErrors: number;
  cpuPercent: number;
  cpuUsPerMessage: number | null;
  msgsPerSecond: number;
  /** --sample: RSS and open fds over the run */
  resources?: ResourceReport;
  /** the BSC side's CTRL port (null: none, e.g. mode 'bts' or --ctrl-port none) */
  ctrlPort?: number | null;
  /** BTS side: OML links that came up (handshake done) and OML TCP connections over the run, failed attempts */
  omlUps?: number;
  omlConnects?: number;
  connectErrors?: number;
  lastConnectError?: { code?: string; message: string } | null;
  /** BSC side: connections refused for a unit id outside the configured BTS x TRX */
  rejectedUnits?: number;
}

/** The summary table; rows that do not apply to the mode are left out (no BSC side: nothing received here ...). */
export function formatSummary(s: SimSummary): string {
  const bscHere = s.mode !== 'bts', btsHere = s.mode !== 'bsc';
  const modeText = { both: 'BSC side + BTS side in this process', bts: 'BTS side against a remote BSC', bsc: 'BSC side only (--listen)' };
  const rows: [string, string | null][] = [
    ['mode', modeText[s.mode]],
    ['backend', s.backend],
    ['topology', `${s.bts} BTS x ${s.trxPerBts} TRX (${s.linksExpected} links)`],
    ['CTRL port', bscHere ? (s.ctrlPort === undefined || s.ctrlPort === null ? 'none' : String(s.ctrlPort)) : null],
    ['duration', `${s.durationS.toFixed(1)} s`],
    ['links up at end', `OML ${s.omlLinksUp}/${s.bts}, RSL ${s.rslLinksUp}/${s.bts * s.trxPerBts}`],
    [btsHere ? 'OML bring-ups completed' : 'OML connections accepted', String(s.omlBringupsCompleted)],
    ['link reconnects', String(s.reconnects)],
    ['failed connect attempts', btsHere && s.connectErrors !== undefined ? String(s.connectErrors) : null],
    ['refused unit ids', bscHere && s.rejectedUnits !== undefined ? String(s.rejectedUnits) : null],
    ['RSL messages sent', btsHere ? String(s.sent) : null],
    ['RSL messages received', bscHere ? String(s.received) : null],
    ['lost (gaps seen by BSC)', bscHere ? String(s.lost) : null],
    ['duplicated', bscHere ? String(s.duplicates) : null],
    ['unaccounted', s.mode === 'both' ? String(s.unaccounted) : null],
    ['RSL decode errors', bscHere ? String(s.rslDecodeErrors) : null],
    [s.mode === 'bsc' ? 'messages/s received' : 'messages/s sent', s.msgsPerSecond.toFixed(0)],
    ['CPU', `${s.cpuPercent.toFixed(1)} % of one core`],
    ['CPU per message', s.cpuUsPerMessage === null ? 'n/a' : `${s.cpuUsPerMessage.toFixed(2)} us`],
  ];
  const r = s.resources;
  const shown = rows.filter((x): x is [string, string] => x[1] !== null);
  if (r?.start && r.end && r.min && r.max) {
    shown.push(['RSS start -> end', `${(r.start.rssKb / 1024).toFixed(1)} -> ${(r.end.rssKb / 1024).toFixed(1)} MiB ` +
      `(min ${(r.min.rssKb / 1024).toFixed(1)}, max ${(r.max.rssKb / 1024).toFixed(1)}; t ${r.start.t}..${r.end.t} s)`]);
    shown.push(['open fds start -> end', `${r.start.fds} -> ${r.end.fds} (min ${r.min.fds}, max ${r.max.fds})`]);
  }
  const w = Math.max(...shown.map(([k]) => k.length));
  const line = `+-${'-'.repeat(w)}-+-${'-'.repeat(Math.max(...shown.map(([, v]) => v.length)))}-+`;
  const vw = line.length - w - 7;
  return [line, ...shown.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padEnd(vw)} |`), line].join('\n');
}
