/**
 * Test helpers that replace timing guesses: `turn()` lets the event loop go round once (promise callbacks, then this
 * turn's I/O callbacks, then setImmediate), `gate()` is a promise the test settles when it chooses.
 */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
