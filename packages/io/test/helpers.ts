/** Small helpers shared by the @osmo/io tests. */
import fs from 'node:fs';

export function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 2);
    };
    tick();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** IPA-style frame: BE16 length (excluding the 3-byte header), proto, payload. */
export function frame(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(3);
  h.writeUInt16BE(payload.length, 0);
  h[2] = proto;
  return Buffer.concat([h, payload]);
}

/** The same framing as a plain JS segmentation callback (the generic, non-native path). */
export function jsIpaSegmentation(d: Buffer): number {
  if (d.length < 3) return -11;
  return d.readUInt16BE(0) + 3;
}

/**
 * Let the event loop turn n times (each turn: the core's flush in the prepare phase, the poll for I/O, the batch of
 * completions in the check phase). Where a test checks that nothing more happens, this is the window: whatever the
 * core had done or in flight is delivered by then, with no wall-clock guess.
 */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}
