/**
 * The process-wide lists the CTRL built-ins read (upstream keeps them in globals): rate counter groups,
 * stat item groups, counters and FSMs. Applications register their objects here; `defaultRegistry` is
 * what a CtrlServer uses unless given another one.
 */
import { Counter } from './counter.js';
import { Fsm } from './fsm.js';
import { RateCounterGroup, type RateCounterGroupOptions } from './rate-ctr.js';
import { StatItemGroup, type StatItemGroupOptions } from './stat-item.js';
import type { FsmOptions } from './fsm.js';
import { duplicate } from '../errors.js';

export class CtrlRegistry {
  readonly rateCounterGroups: RateCounterGroup[] = [];
  readonly statItemGroups: StatItemGroup[] = [];
  readonly counters = new Map<string, Counter>();
  readonly fsms = new Map<string, Fsm>();
  private tickNo = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly autoTick: boolean;

  /** autoTick (default true): advance the rate intervals by a 1 s timer; false: only by calling tick() */
  constructor(opts: { autoTick?: boolean } = {}) {
    this.autoTick = opts.autoTick ?? true;
  }

  /** rate_ctr_group_alloc: create and register */
  rateCounterGroup(opts: RateCounterGroupOptions): RateCounterGroup {
    return this.addRateCounterGroup(new RateCounterGroup(opts));
  }
  addRateCounterGroup(g: RateCounterGroup): RateCounterGroup {
    if (this.findRateCounterGroup(g.prefix, g.idx)) {
      throw duplicate(`rate counter group ${g.prefix}.${g.idx}`);
    }
    this.rateCounterGroups.push(g);
    g.attach(this);
    this.startTimer();
    return g;
  }
  removeRateCounterGroup(g: RateCounterGroup): void {
    const i = this.rateCounterGroups.indexOf(g);
    if (i >= 0) this.rateCounterGroups.splice(i, 1);
    g.attach(null);
    if (this.rateCounterGroups.length === 0) this.stopTimer();
  }
  findRateCounterGroup(prefix: string, idx: number): RateCounterGroup | undefined {
    return this.rateCounterGroups.find((g) => g.prefix === prefix && g.idx === idx);
  }
  /** lowest index not used by a group with this prefix */
  nextRateCounterGroupIdx(prefix: string): number {
    let idx = 0;
    while (this.findRateCounterGroup(prefix, idx)) idx++;
    return idx;
  }

  statItemGroup(opts: StatItemGroupOptions): StatItemGroup {
    return this.addStatItemGroup(new StatItemGroup(opts));
  }
  addStatItemGroup(g: StatItemGroup): StatItemGroup {
    if (this.findStatItemGroup(g.prefix, g.idx)) throw duplicate(`stat item group ${g.prefix}.${g.idx}`);
    this.statItemGroups.push(g);
    g.attach(this);
    return g;
  }
  removeStatItemGroup(g: StatItemGroup): void {
    const i = this.statItemGroups.indexOf(g);
    if (i >= 0) this.statItemGroups.splice(i, 1);
    g.attach(null);
  }
  findStatItemGroup(prefix: string, idx: number): StatItemGroup | undefined {
    return this.statItemGroups.find((g) => g.prefix === prefix && g.idx === idx);
  }
  findStatItemGroupByName(prefix: string, name: string): StatItemGroup | undefined {
    return this.statItemGroups.find((g) => g.prefix === prefix && g.name === name);
  }

  counter(name: string, description?: string): Counter {
    return this.addCounter(new Counter(name, description));
  }
  addCounter(c: Counter): Counter {
    if (this.counters.has(c.name)) throw duplicate(`counter ${c.name}`);
    this.counters.set(c.name, c);
    c.attach(this);
    return c;
  }
  removeCounter(c: Counter): void {
    if (this.counters.get(c.name) === c) this.counters.delete(c.name);
    c.attach(null);
  }

  /** osmo_fsm_register: create and register an FSM (names are unique) */
  fsm(opts: FsmOptions): Fsm {
    return this.addFsm(new Fsm(opts));
  }
  addFsm(f: Fsm): Fsm {
    if (this.fsms.has(f.name)) throw duplicate(`FSM ${f.name}`);
    this.fsms.set(f.name, f);
    return f;
  }
  removeFsm(f: Fsm): void {
    if (this.fsms.get(f.name) === f) this.fsms.delete(f.name);
  }
  findFsm(name: string): Fsm | undefined { return this.fsms.get(name); }

  /** advance the rate intervals by one second (the 1 s timer does this; exposed for tests) */
  tick(): void {
    this.tickNo++;
    for (const g of this.rateCounterGroups) for (const c of g.counters) c.tick(this.tickNo);
  }

  private startTimer(): void {
    if (this.timer || !this.autoTick) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }
  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The registry CtrlServer instances use by default (upstream's process globals). */
export const defaultRegistry = new CtrlRegistry();
