/**
 * A manual clock for code that takes injected timers ({ setTimeout, clearTimeout }: IpaTimers, CtrlTimers, the
 * example server's): armed callbacks run only inside tick(), earliest first, ties in arming order — also those a
 * callback arms meanwhile, when they fall due within the tick.
 */
interface Armed { at: number; seq: number; fn: () => void }

export class FakeClock {
  now = 0;
  #seq = 0;
  readonly #armed = new Map<number, Armed>();
  #waiters: Array<[number, () => void]> = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#armed.set(id, { at: this.now + ms, seq: id, fn });
    this.#waiters = this.#waiters.filter(([n, resolve]) => (this.#seq >= n ? (resolve(), false) : true));
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#armed.delete(handle as number);
  }

  /** timers armed and neither fired nor cleared */
  get pending(): number {
    return this.#armed.size;
  }

  /** resolves once `n` timers have been armed in all (counting from the clock's creation) */
  whenArmed(n: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#seq >= n) resolve();
      else this.#waiters.push([n, resolve]);
    });
  }

  /** moves time on by `ms`, running what falls due */
  tick(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: Armed | undefined, id = 0;
      for (const [k, e] of this.#armed) {
        if (e.at <= end && (!next || e.at < next.at || (e.at === next.at && e.seq < next.seq))) { next = e; id = k; }
      }
      if (!next) break;
      this.#armed.delete(id);
      this.now = next.at;
      next.fn();
    }
    this.now = end;
  }
}
