/** Small helpers shared by the @osmo/io tests. */
import fs from 'node:fs';

export { sleep, turns, until } from './loop.js';

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
