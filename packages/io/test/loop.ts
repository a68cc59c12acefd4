/**
 * Waiting in tests without timing guesses, shared by every package's tests: `turns()` lets the event loop go round
 * (each turn: the core's flush, the poll for I/O, the completions) — where a test checks that nothing more happens,
 * this is the window; `until()` waits for a condition with a deadline that only fails the test; `gate()` is a promise
 * the test settles when it chooses.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** polls `cond` until true; rejects after `ms` (a deadline for a broken test, not a quiet window) */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

export interface Gate<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function gate<T = void>(): Gate<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
