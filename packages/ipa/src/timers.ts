/**
 * The two timer functions the IPA keepalive, the CTRL client and the example servers run their timeouts on: the
 * process's own by default; a test (or a foreign loop) passes its own, e.g. a manual clock.
 */
export interface IpaTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: IpaTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
