import { expect } from 'chai';
import fc from 'fast-check';
import { decodeMeasResult, encodeMeasResult, parseRslIes, syntheticMeasResult, tryDecodeMeasResult, RslIe } from '../src/rsl.js';
import { RslDecodeError } from '../src/errors.js';

describe('rsl codec (MEAS RES with sequence number)', () => {
  it('encodes the documented layout', () => {
    const b = encodeMeasResult({ ...syntheticMeasResult(0x01020304), chanNr: 0x0a });
    expect(b.subarray(0, 8).toString('hex')).to.equal('0828010a1b041907');
    expect(b.readUInt32BE(11)).to.equal(0x01020304);
  });
  it('round-trips', () => {
    fc.assert(fc.property(fc.nat(0xffffffff), (seq) => {
      const m = syntheticMeasResult(seq);
      expect(decodeMeasResult(encodeMeasResult(m))).to.deep.equal(m);
    }));
  });
  it('is total and rejects inconsistent numbering', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const r = tryDecodeMeasResult(bytes);
      if (!r.ok) expect(r.error).to.be.instanceOf(RslDecodeError);
    }), { numRuns: 3000 });
    const b = encodeMeasResult(syntheticMeasResult(7)); b[5] = 8;
    expect(() => decodeMeasResult(b)).to.throw(RslDecodeError).with.property('code', 'ERR_RSL_IE_INVALID');
  });
  it('agrees with the generic IE parser on mutated messages', () => {
    fc.assert(fc.property(fc.nat(0xffffffff), fc.array(fc.tuple(fc.nat(30), fc.nat(255)), { maxLength: 4 }), fc.nat(30),
      (seq, flips, cut) => {
        const b = encodeMeasResult({ ...syntheticMeasResult(seq), ...(seq & 1 ? { msTimingOffset: seq & 0xff } : {}) });
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        const m = b.subarray(0, Math.max(0, b.length - (cut % 4)));
        const r = tryDecodeMeasResult(m);
        if (!r.ok) return;
        const ies = parseRslIes(Buffer.from(m), 2);
        const first = (iei: number): Buffer => ies.find((x) => x.iei === iei)!.value;
        expect(r.msg.chanNr).to.equal(first(RslIe.CHAN_NR)[0]);
        expect(r.msg.seq).to.equal(first(RslIe.UPLINK_MEAS).readUInt32BE(3));
        expect(r.msg.bsPower).to.equal(first(RslIe.BS_POWER)[0]);
        expect(r.msg.timingAdvance).to.equal(first(RslIe.L1_INFO)[1]! & 0x3f);
        expect(r.msg.msTimingOffset).to.equal(ies.find((x) => x.iei === RslIe.MS_TIMING_OFFSET)?.value[0]);
      }), { numRuns: 3000 });
    const b = encodeMeasResult(syntheticMeasResult(7)); b[5] = 8;
    expect(() => decodeMeasResult(b)).to.throw(RslDecodeError).with.property('code', 'ERR_RSL_IE_INVALID');
  });
});
