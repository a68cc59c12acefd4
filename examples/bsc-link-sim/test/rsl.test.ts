import { expect } from 'chai';
import fc from 'fast-check';
import { decodeMeasResult, encodeMeasResult, syntheticMeasResult, tryDecodeMeasResult, RslDecodeError } from '../src/rsl.js';

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
    expect(() => decodeMeasResult(b)).to.throw(RslDecodeError).with.property('code', 'RSL_IE_INVALID');
  });
});
