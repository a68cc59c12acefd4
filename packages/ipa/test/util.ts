/** Test helpers for the I/O tests. */
import type { EventEmitter } from 'node:events';
import * as io from '@osmo/io';

export { sleep, turns, until } from '../../io/test/loop.js';

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
