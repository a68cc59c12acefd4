/** Stat items in the spirit of libosmocore's osmo_stat_item: a group of gauges, each with its last value. */
import type { CtrlRegistry } from './registry.js';
import { unknownName } from '../errors.js';

export interface StatItemDesc { name: string; description?: string; defaultValue?: number }

export class StatItem {
  last: number;
  constructor(readonly desc: StatItemDesc) { this.last = desc.defaultValue ?? 0; }
  set(v: number): void { this.last = v; }
  inc(n = 1): void { this.last += n; }
  dec(n = 1): void { this.last -= n; }
}

export interface StatItemGroupOptions {
  prefix: string;
  idx: number;
  /** optional index name, addressable as stat_item.last.<prefix>.by_name.<name>.<item> */
  name?: string;
  items: readonly StatItemDesc[];
}

export class StatItemGroup {
  readonly prefix: string;
  readonly idx: number;
  name: string | undefined;
  readonly items: readonly StatItem[];
  private readonly byName = new Map<string, StatItem>();
  private registry: CtrlRegistry | null = null;

  constructor(opts: StatItemGroupOptions) {
    this.prefix = opts.prefix;
    this.idx = opts.idx;
    this.name = opts.name;
    this.items = opts.items.map((d) => new StatItem(d));
    for (const it of this.items) this.byName.set(it.desc.name, it);
  }
  get(name: string): StatItem | undefined { return this.byName.get(name); }
  set(name: string, v: number): void {
    const it = this.byName.get(name);
    if (!it) throw unknownName(`stat item group ${this.prefix}.${this.idx} has no item ${name}`);
    it.set(v);
  }
  /** @internal */
  attach(reg: CtrlRegistry | null): void { this.registry = reg; }
  free(): void { this.registry?.removeStatItemGroup(this); }
}
