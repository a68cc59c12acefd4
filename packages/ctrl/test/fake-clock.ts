/** A manual clock (CtrlTimers): armed callbacks run only inside tick(), earliest first. */
import type { CtrlTimers } from '../src/index.js';

export class FakeClock implements CtrlTimers {
  now = 0;
  #next = 1;
  readonly #armed = new Map<number, { at: number; fn: () => void }>();
  #arms = 0;
  #armWaiters: Array<[number, () => void]> = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#armed.set(id, { at: this.now + ms, fn });
    this.#arms++;
    this.#armWaiters = this.#armWaiters.filter(([n, resolve]) => (this.#arms >= n ? (resolve(), false) : true));
    return id;
  }

  /** resolves once `n` timers have been armed in all (counting from the clock's creation) */
  whenArmed(n: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#arms >= n) resolve();
      else this.#armWaiters.push([n, resolve]);
    });
  }

  clearTimeout(handle: unknown): void {
    this.#armed.delete(handle as number);
  }

  get armed(): number {
    return this.#armed.size;
  }

  /** move time on by `ms`, running what falls due in order (ties: in arming order) */
  tick(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#armed) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.#armed.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}
