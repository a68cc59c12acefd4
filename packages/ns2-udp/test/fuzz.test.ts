/** The decoder is total: random and mutated inputs give a PDU or an NsDecodeError, nothing else. */
import { expect } from 'chai';
import { decodeNs, encodeNs, NsDecodeError } from '../src/index.js';
import { loadFixtures } from './fixtures.js';

/** xorshift32: reproducible inputs */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

function check(buf: Buffer, stats: { ok: number; err: number }): void {
  let pdu;
  try {
    pdu = decodeNs(buf);
  } catch (e) {
    if (!(e instanceof NsDecodeError)) throw new Error(`${buf.toString('hex')}: ${String(e)}`);
    expect(e.code).to.match(/^ERR_NS_/);
    stats.err++;
    return;
  }
  stats.ok++;
  // what decodes re-encodes to something that decodes the same (unknown/duplicate IEs are dropped)
  expect(decodeNs(encodeNs(pdu)), buf.toString('hex')).to.deep.equal(pdu);
}

describe('ns codec fuzz', function () {
  this.timeout(120000);
  const seeds = loadFixtures<Record<string, unknown>>('ns-').map((f) => Buffer.from(f.hex, 'hex')).filter((b) => b.length > 0);

  it('60,000 random byte strings (PDU type octet biased to the known types)', function () {
    const r = rng(0x5eed);
    const stats = { ok: 0, err: 0 };
    for (let i = 0; i < 60000; i++) {
      const len = r() % 40;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = r() & 0xff;
      if (len && (r() & 1)) b[0] = r() % 0x14;
      check(b, stats);
    }
    expect(stats.ok + stats.err).to.equal(60000);
    expect(stats.ok).to.be.greaterThan(1000);
  });

  it('60,000 mutations of the fixtures (bit flips, truncation, extension, splices)', function () {
    const r = rng(0xc0ffee);
    const stats = { ok: 0, err: 0 };
    for (let i = 0; i < 60000; i++) {
      let b = Buffer.from(seeds[r() % seeds.length]!);
      const n = 1 + (r() % 3);
      for (let k = 0; k < n; k++) {
        const op = r() % 4;
        if (op === 0 && b.length) b[r() % b.length] ^= 1 << (r() % 8);
        else if (op === 1) b = b.subarray(0, r() % (b.length + 1));
        else if (op === 2) b = Buffer.concat([b, Buffer.from([r() & 0xff, r() & 0xff])]);
        else { const o = seeds[r() % seeds.length]!; b = Buffer.concat([b.subarray(0, r() % (b.length + 1)), o.subarray(r() % o.length)]); }
      }
      check(b, stats);
    }
    expect(stats.ok).to.be.greaterThan(5000);
    expect(stats.err).to.be.greaterThan(5000);
  });
});
