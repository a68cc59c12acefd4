/** A manual clock for the keepalive FSM (IpaTimers): timers fire only inside tick(), in due-time order. */
import type { IpaTimers } from '../src/keepalive.js';

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements IpaTimers {
  now = 0;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#pending.set(id, { due: this.now + ms, seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** timers armed and not yet fired or cleared */
  get pending(): number {
    return this.#pending.size;
  }

  /** advances by `ms`, firing every timer that falls due (also those armed by a timer that fired meanwhile) */
  tick(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const e of this.#pending) {
        if (e[1].due <= end && (!next || e[1].due < next[1].due || (e[1].due === next[1].due && e[1].seq < next[1].seq))) next = e;
      }
      if (!next) break;
      this.#pending.delete(next[0]);
      this.now = next[1].due;
      next[1].fn();
    }
    this.now = end;
  }
}
