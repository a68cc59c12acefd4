/** Plain named counters in the spirit of libosmocore's osmo_counter (GET counter.<name>). */
import type { CtrlRegistry } from './registry.js';

export class Counter {
  value = 0;
  private registry: CtrlRegistry | null = null;
  constructor(readonly name: string, readonly description = '') {}
  inc(n = 1): void { this.value += n; }
  dec(n = 1): void { this.value -= n; }
  get(): number { return this.value; }
  /** @internal */
  attach(reg: CtrlRegistry | null): void { this.registry = reg; }
  free(): void { this.registry?.removeCounter(this); }
}
