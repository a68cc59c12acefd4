/**
 * Rate counters in the spirit of libosmocore's rate_ctr: a group (name prefix + index) of monotonically
 * increasing counters, each with its current value and the rate over the last second, minute, hour and day.
 */
import type { CtrlRegistry } from './registry.js';
import { unknownName } from '../errors.js';

export type RateCtrInterval = 'per_sec' | 'per_min' | 'per_hour' | 'per_day';
export const RATE_CTR_INTERVALS: readonly RateCtrInterval[] = ['per_sec', 'per_min', 'per_hour', 'per_day'];
/** how many ticks of the next smaller interval make one of these (sec is 1 tick of 1 s) */
const INTERVAL_TICKS = [1, 60, 60 * 60, 24 * 60 * 60] as const;

export interface RateCounterDesc {
  /** e.g. "msgs:in" (':' is allowed in CTRL variables, '.' is not) */
  name: string;
  description?: string;
}

export class RateCounter {
  current = 0;
  /** rate over the last completed interval, index as RATE_CTR_INTERVALS */
  readonly rate = [0, 0, 0, 0];
  private readonly last = [0, 0, 0, 0];
  constructor(readonly desc: RateCounterDesc) {}
  add(n = 1): void { this.current += n; }
  /** called by the registry once per second; the same roll-up as upstream's interval_expired() */
  tick(tickNo: number): void {
    for (let i = 0; i < INTERVAL_TICKS.length; i++) {
      if (tickNo % INTERVAL_TICKS[i]! !== 0) break;
      this.rate[i] = this.current - this.last[i]!;
      this.last[i] = this.current;
      if (i + 1 < INTERVAL_TICKS.length) this.rate[i + 1]! += this.rate[i]!;
    }
  }
  value(interval: RateCtrInterval | 'abs'): number {
    return interval === 'abs' ? this.current : this.rate[RATE_CTR_INTERVALS.indexOf(interval)]!;
  }
}

export interface RateCounterGroupOptions {
  /** group name prefix, e.g. "ctrl_conn" (a valid identifier without '.') */
  prefix: string;
  idx: number;
  description?: string;
  counters: readonly RateCounterDesc[];
}

export class RateCounterGroup {
  readonly prefix: string;
  readonly idx: number;
  readonly description: string;
  readonly counters: readonly RateCounter[];
  private readonly byName = new Map<string, RateCounter>();
  private registry: CtrlRegistry | null = null;

  constructor(opts: RateCounterGroupOptions) {
    this.prefix = opts.prefix;
    this.idx = opts.idx;
    this.description = opts.description ?? opts.prefix;
    this.counters = opts.counters.map((d) => new RateCounter(d));
    for (const c of this.counters) this.byName.set(c.desc.name, c);
  }

  get(name: string): RateCounter | undefined { return this.byName.get(name); }
  /** increment a counter by name (throws CtrlUsageError ERR_OSMO_CTRL_UNKNOWN_NAME for an unknown name: a programming error) */
  inc(name: string, n = 1): void {
    const c = this.byName.get(name);
    if (!c) throw unknownName(`rate counter group ${this.prefix}.${this.idx} has no counter ${name}`);
    c.add(n);
  }

  /** @internal used by CtrlRegistry */
  attach(reg: CtrlRegistry | null): void { this.registry = reg; }
  /** remove from its registry (rate_ctr_group_free) */
  free(): void { this.registry?.removeRateCounterGroup(this); }
}
