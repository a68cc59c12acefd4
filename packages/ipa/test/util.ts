/** Test helpers for the I/O tests. */
import type { EventEmitter } from 'node:events';
import * as io from '@osmo/io';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Lets the event loop turn n times (each turn: the core's flush, the poll for I/O, the completions). Where a test
 * checks that nothing more happens, this is the window: no wall-clock guess.
 */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** resolves with the event's arguments; rejects after `ms` */
export function once<T extends unknown[]>(em: EventEmitter, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      em.off(event, on);
      reject(new Error(`timeout waiting for '${event}'`));
    }, ms);
    const on = (...args: unknown[]): void => {
      clearTimeout(t);
      resolve(args as T);
    };
    em.once(event, on);
  });
}

/** polls `pred` until true; rejects after `ms` */
export async function until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(5);
  }
}

/** why the I/O tests cannot run here, or null when @osmo/io provides what they need */
export function ioMissing(): string | null {
  const m = io as Record<string, unknown>;
  for (const n of ['IoFd', 'socketpair', 'StreamClient', 'StreamServer']) {
    if (typeof m[n] !== 'function') return `@osmo/io does not export ${n} yet`;
  }
  try {
    (m['getBackend'] as () => string)();
  } catch (e) {
    return `@osmo/io core not usable: ${String(e)}`;
  }
  return null;
}

/** the backend @osmo/io runs ('poll' / 'io_uring'), or why none */
export function backendName(): string {
  try {
    return io.getBackend();
  } catch {
    return 'unavailable';
  }
}
