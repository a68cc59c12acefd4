/** M3UA codec of the example (host): layout of known messages, round trips, total decoding. */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  CLASS, TAG, TYPE, M3uaDecodeError, decode, decodeParams, decodeProtocolData, encode, encodeParams, encodeProtocolData,
  formatPointCode, name, parsePointCode, u32,
} from '../src/m3ua.js';

describe('m3ua-asp codec', () => {
  it('encodes ASPUP and ASPAC as RFC 4666 lays them out', () => {
    expect(encode({ cls: CLASS.ASPSM, type: TYPE.ASPSM.ASPUP, params: [] }).toString('hex')).to.equal('0100030100000008');
    const aspac = encode({ cls: CLASS.ASPTM, type: TYPE.ASPTM.ASPAC, params: [
      { tag: TAG.TRAFFIC_MODE_TYPE, value: u32(1) }, { tag: TAG.ROUTING_CONTEXT, value: u32(7) }] });
    expect(aspac.toString('hex')).to.equal('0100040100000018' + '000b000800000001' + '0006000800000007');
    expect(name(decode(aspac))).to.equal('ASPAC');
  });

  it('pads parameters to 4 bytes and nests a routing key', () => {
    const rk = encodeParams([{ tag: TAG.LOCAL_RK_ID, value: u32(1) }, { tag: TAG.DPC, value: u32(parsePointCode('0.23.2')) }]);
    const m = encode({ cls: CLASS.RKM, type: TYPE.RKM.REG_REQ, params: [{ tag: TAG.ROUTING_KEY, value: rk }, { tag: TAG.INFO_STRING, value: Buffer.from('abcde') }] });
    expect(m.length % 4).to.equal(0);
    const d = decode(m);
    expect(decodeParams(d.params[0].value)[1].value.readUInt32BE(0)).to.equal(186);
    expect(d.params[1].value.toString()).to.equal('abcde');
  });

  it('round-trips any message and protocol data', () => {
    const p = fc.record({ tag: fc.integer({ min: 0, max: 0xffff }), value: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) });
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.array(p, { maxLength: 6 }), (cls, type, params) => {
      const d = decode(encode({ cls, type, params }));
      expect(d).to.deep.equal({ cls, type, params });
    }));
    const pd = { opc: 186, dpc: 184, si: 3, ni: 2, mp: 0, sls: 5, data: Buffer.from('x') };
    expect(decodeProtocolData(encodeProtocolData(pd))).to.deep.equal(pd);
  });

  it('decodes any byte string or throws M3uaDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
      const b = Buffer.from(a);
      if (b.length >= 8 && a[0] % 2) { b[0] = 1; b.writeUInt32BE(b.length, 4); }
      try { decode(b); } catch (e) { expect(e).to.be.instanceOf(M3uaDecodeError); }
    }));
  });

  it('point codes 3.8.3', () => {
    expect(parsePointCode('0.23.0')).to.equal(184);
    expect(formatPointCode(186)).to.equal('0.23.2');
    expect(() => parsePointCode('8.0.0')).to.throw(RangeError);
  });
});
