/**
 * Why SCTP_RCVINFO is decoded by hand: the per-message decode both ways, parseRcvinfo (hand-written readers)
 * against the same cmsg walk with the binary-parser declaration of struct sctp_rcvinfo (structs.ts).
 * Host-only, no kernel needed:  node --import tsx --conditions=source bench/sctp/rcvinfo-decode.ts
 * Measured here (Node 20, 2-core VM, noisy): binary-parser 1.1-4.1 µs, hand-written 0.2-0.7 µs per message.
 */
import { parseRcvinfo } from '@osmo/sctp';
import { rcvinfoParser } from '../../packages/sctp/src/structs.js';

const ctl = Buffer.alloc(48);
ctl.writeUInt32LE(44, 0); ctl.writeInt32LE(132, 8); ctl.writeInt32LE(3, 12);
ctl.writeUInt16LE(3, 16); ctl.writeUInt32BE(3, 24); ctl.writeInt32LE(7, 40);

function withBinaryParser(c: Buffer) {
  let o = 0;
  while (o + 16 <= c.length) {
    const len = c.readUInt32LE(o);
    if (c.readInt32LE(o + 8) === 132 && c.readInt32LE(o + 12) === 3) {
      const r = rcvinfoParser.parse(c.subarray(o + 16, o + 44)) as Record<string, number>;
      return { ppid: r.ppid, stream: r.sid, ssn: r.ssn, tsn: r.tsn, cumtsn: r.cumtsn, flags: r.flags,
        unordered: (r.flags & 1) !== 0, assocId: r.assocId, context: r.context };
    }
    o += (len + 7) & ~7;
  }
  return null;
}

const N = 1_000_000;
let sink = 0;
for (const [name, f] of [['binary-parser', withBinaryParser], ['hand-written', (c: Buffer) => parseRcvinfo(c, 0)]] as const) {
  for (let i = 0; i < 200_000; i++) sink += f(ctl)!.stream;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += f(ctl)!.stream;
  console.log(`${name.padEnd(14)} ${(Number(process.hrtime.bigint() - t0) / N).toFixed(0)} ns per RCVINFO`);
}
if (sink === 42) console.log('');
