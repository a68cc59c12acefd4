import { expect } from 'chai';
import { bvcReset, bvcResetAck, parseBvcReset } from '../src/index.js';

describe('bssgp-min: BVC-RESET / BVC-RESET-ACK', function () {
  it('parses what it builds', function () {
    expect(parseBvcReset(bvcReset(1234))).to.deep.equal({ pdu: 'BVC-RESET', bvci: 1234 });
    expect(parseBvcReset(bvcResetAck(0))).to.deep.equal({ pdu: 'BVC-RESET-ACK', bvci: 0 });
  });

  it('takes the 2-octet length form and IEs in any order', function () {
    expect(parseBvcReset(Buffer.from('23' + '040002' + '04d2', 'hex'))).to.deep.equal({ pdu: 'BVC-RESET-ACK', bvci: 1234 });
    expect(parseBvcReset(Buffer.from('22' + '078108' + '048204d2', 'hex'))).to.deep.equal({ pdu: 'BVC-RESET', bvci: 1234 });
  });

  it('null for other PDUs, a missing or odd BVCI, and truncated IEs', function () {
    for (const h of ['', '01048204d2', '22', '22078108', '22048104', '220482', '22048304d2ff', '2204']) {
      expect(parseBvcReset(Buffer.from(h, 'hex')), h).to.equal(null);
    }
  });
});
