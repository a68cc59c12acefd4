/** Lines a CLI writes (runCli's stdout/stderr sinks), with waits that wake on each new line instead of polling. */
export class Lines {
  readonly all: string[] = [];
  #waiters: Array<() => void> = [];

  /** the sink to hand to runCli */
  readonly push = (line: string): void => {
    this.all.push(line);
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  };

  /** resolves once `done(lines)` holds */
  until(done: (lines: readonly string[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => { if (done(this.all)) resolve(); else this.#waiters.push(check); };
      check();
    });
  }
}
