/** Rate counters and stat items with upstream's group and counter names (gprs_ns2.c nsvc_ctr_description). */
import type { CtrlRegistry, RateCounter, RateCounterGroup, StatItem, StatItemGroup } from '@osmo/ctrl';

export const NS_CTR_DESCS = [
  { name: 'packets:in', description: 'Packets at NS Level  ( In)' },
  { name: 'packets:out', description: 'Packets at NS Level  (Out)' },
  { name: 'packets:out:drop', description: 'Dropped Packets      (Out)' },
  { name: 'bytes:in', description: 'Bytes at NS Level    ( In)' },
  { name: 'bytes:out', description: 'Bytes at NS Level    (Out)' },
  { name: 'bytes:out:drop', description: 'Dropped Bytes        (Out)' },
  { name: 'blocked', description: 'NS-VC Block count' },
  { name: 'unblocked', description: 'NS-VC Unblock count' },
  { name: 'dead', description: 'NS-VC gone dead count' },
  { name: 'replaced', description: 'NS-VC replaced other count' },
  { name: 'nsei-chg', description: 'NS-VC changed NSEI count' },
  { name: 'inv-nsvci', description: 'NS-VCI was invalid count' },
  { name: 'inv-nsei', description: 'NSEI was invalid count' },
  { name: 'lost:alive', description: 'ALIVE ACK missing count' },
  { name: 'lost:reset', description: 'RESET ACK missing count' },
] as const;

/** direct references to the counters touched per PDU (no lookup by name on the data path) */
export class NsCounters {
  readonly pktsIn: RateCounter; readonly pktsOut: RateCounter; readonly pktsOutDrop: RateCounter;
  readonly bytesIn: RateCounter; readonly bytesOut: RateCounter; readonly bytesOutDrop: RateCounter;
  readonly blocked: RateCounter; readonly unblocked: RateCounter; readonly dead: RateCounter;
  readonly lostAlive: RateCounter; readonly lostReset: RateCounter; readonly invNsvci: RateCounter; readonly invNsei: RateCounter;
  readonly stats: StatItemGroup | null;
  readonly aliveDelay: StatItem | null;
  constructor(readonly group: RateCounterGroup, stats: StatItemGroup | null) {
    const g = (n: string): RateCounter => group.get(n)!;
    this.pktsIn = g('packets:in'); this.pktsOut = g('packets:out'); this.pktsOutDrop = g('packets:out:drop');
    this.bytesIn = g('bytes:in'); this.bytesOut = g('bytes:out'); this.bytesOutDrop = g('bytes:out:drop');
    this.blocked = g('blocked'); this.unblocked = g('unblocked'); this.dead = g('dead');
    this.lostAlive = g('lost:alive'); this.lostReset = g('lost:reset'); this.invNsvci = g('inv-nsvci'); this.invNsei = g('inv-nsei');
    this.stats = stats;
    this.aliveDelay = stats?.get('alive:delay') ?? null;
  }
  static alloc(reg: CtrlRegistry, prefix: 'ns:nse' | 'ns:nsvc', idx: number, desc: string): NsCounters {
    const group = reg.rateCounterGroup({ prefix, idx, description: desc, counters: NS_CTR_DESCS });
    const stats = prefix === 'ns:nsvc'
      ? // upstream: group ns.nsvc, item alive.delay; '.' cannot be addressed over CTRL, so ':' here
      reg.statItemGroup({ prefix: 'ns:nsvc', idx, items: [{ name: 'alive:delay', description: 'ALIVE response time (ms)' }] })
      : null;
    return new NsCounters(group, stats);
  }
  free(): void { this.group.free(); this.stats?.free(); }
}
