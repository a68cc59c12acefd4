/**
 * Test helper: drives a segmentationCb the way @osmo/io does (accumulate, call, cut, keep the rest), so the
 * callback's contract can be checked without sockets.
 */
export interface DriveResult {
  frames: Buffer[];
  /** first negative result other than -EAGAIN, if any (processing stops there, as a link would be closed) */
  error?: number;
  /** bytes left pending at the end */
  pending: number;
  /** largest pending buffer held while driving */
  maxPending: number;
}

export const EAGAIN = 11;

export function drive(cb: (d: Buffer) => number, chunks: Buffer[]): DriveResult {
  let pending = Buffer.alloc(0);
  const frames: Buffer[] = [];
  let maxPending = 0;
  for (const c of chunks) {
    pending = Buffer.concat([pending, c]);
    maxPending = Math.max(maxPending, pending.length);
    for (;;) {
      if (pending.length === 0) break;
      const r = cb(pending);
      if (r === -EAGAIN || r > pending.length) break;
      if (r < 0) return { frames, error: r, pending: pending.length, maxPending };
      if (r === 0) throw new Error('segmentationCb returned 0');
      frames.push(Buffer.from(pending.subarray(0, r)));
      pending = pending.subarray(r);
    }
  }
  return { frames, pending: pending.length, maxPending };
}

/** split `b` at the given sorted cut positions */
export function splitAt(b: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  out.push(b.subarray(prev));
  return out;
}
