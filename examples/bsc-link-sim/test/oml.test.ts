import { expect } from 'chai';
import { IpaProto } from '@osmo/ipa';
import fc from 'fast-check';
import { decodeOml, encodeOml, parseOmlAttrs, encodeOmlAttrs, tryDecodeOml, OmlMsgType, OmlObjClass, OmlAttr, parseStateAttrs, describeOml, OmlMdisc } from '../src/oml.js';
import { loadCapture } from './capture.js';
import { OmlDecodeError } from '../src/errors.js';

const OML = IpaProto.OML;

describe('oml codec', () => {
  for (const [name, frames] of [['short omldummy run', loadCapture('omldummy-short-run.tsv')], ['full bring-up capture', loadCapture('omldummy-full-bringup.tsv')]] as const) {
    it(`decodes, parses and re-encodes every OML frame of the ${name}`, () => {
      const oml = frames.filter((f) => f.proto === OML);
      expect(oml.length).to.be.greaterThan(40);
      for (const f of oml) {
        const m = decodeOml(f.payload);
        const ies = parseOmlAttrs(m.attrs);
        expect(encodeOmlAttrs(ies).equals(m.attrs), describeOml(m)).to.equal(true);
        const re = encodeOml({ ...m });
        expect(re.toString('hex'), describeOml(m)).to.equal(f.payload.toString('hex'));
      }
    });
  }

  it('decodes the Site Manager state report fields', () => {
    const m = decodeOml(Buffer.from('8080000d6100ffffff2401070001030401', 'hex'));
    expect(m.msgType).to.equal(OmlMsgType.STATECHG_EVENT_REP);
    expect(m.objClass).to.equal(OmlObjClass.SITE_MGR);
    expect(m.objInst).to.deep.equal([0xff, 0xff, 0xff]);
    expect(parseStateAttrs(m.attrs)).to.deep.equal({ oper: 1, avail: 3, adm: 1 });
  });

  it('decodes the ip.access RSL Connect sent by osmo-bsc', () => {
    const m = decodeOml(Buffer.from('1080000a0d636f6d2e697061636365737300e0040000ff8500810bbb', 'hex'));
    expect(m.mdisc).to.equal(OmlMdisc.MANUF);
    expect(m.manufId).to.equal('com.ipaccess');
    expect(m.msgType).to.equal(OmlMsgType.IPACC_RSL_CONNECT);
    const ies = parseOmlAttrs(m.attrs);
    expect(ies.map((i) => i.tag)).to.deep.equal([OmlAttr.IPACC_STREAM_ID, OmlAttr.IPACC_DST_IP_PORT]);
    expect(ies[1]!.value.readUInt16BE(0)).to.equal(3003);
  });

  it('rejects malformed input with typed errors carrying the offset', () => {
    const cases: [string, string][] = [
      ['', 'ERR_OML_TOO_SHORT'], ['8080', 'ERR_OML_TOO_SHORT'], ['4080000574', 'ERR_OML_BAD_MDISC'],
      ['8080000574', 'ERR_OML_BAD_LENGTH'], ['8080000974000000ff', 'ERR_OML_BAD_LENGTH'], ['108000', 'ERR_OML_TOO_SHORT'],
      ['1080000520636f6d', 'ERR_OML_BAD_MANUF'], ['80800003740000', 'ERR_OML_BAD_LENGTH'],
    ];
    for (const [hex, code] of cases) {
      const r = tryDecodeOml(Buffer.from(hex, 'hex'));
      expect(r.ok, hex).to.equal(false);
      if (!r.ok) { expect(r.error.code, hex).to.equal(code); expect(r.error.offset).to.be.a('number'); }
    }
    expect(() => parseOmlAttrs(Buffer.from('fe00', 'hex'))).to.throw(OmlDecodeError).with.property('code', 'ERR_OML_ATTR_UNKNOWN');
    expect(() => parseOmlAttrs(Buffer.from('070005ff', 'hex'))).to.throw(OmlDecodeError).with.property('code', 'ERR_OML_ATTR_TRUNCATED');
    expect(() => parseOmlAttrs(Buffer.from('19736d', 'hex'))).to.throw(OmlDecodeError).with.property('offset', 0);
  });

  it('is total: random bytes decode or give OmlDecodeError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = tryDecodeOml(bytes);
      if (r.ok) {
        try { parseOmlAttrs(r.msg.attrs); } catch (e) { if (!(e instanceof OmlDecodeError)) throw e; }
      }
    }), { numRuns: 3000 });
  });

  it('round-trips encode -> decode', () => {
    fc.assert(fc.property(
      fc.constantFrom(0x10, 0x61, 0x74, 0x75, 0x69, 0x6a, 0x81, 0x82, 0xe0), fc.constantFrom(0, 1, 2, 3, 4, 0xf0),
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)), fc.uint8Array({ maxLength: 40 }), fc.boolean(),
      (msgType, objClass, inst, attrs, manuf) => {
        const m = { msgType, objClass, objInst: inst, attrs: Buffer.from(attrs), ...(manuf ? { manufId: 'com.ipaccess' } : {}) };
        const d = decodeOml(encodeOml(m));
        expect(d.msgType).to.equal(msgType); expect(d.objClass).to.equal(objClass);
        expect(d.objInst).to.deep.equal(inst); expect(d.attrs.equals(Buffer.from(attrs))).to.equal(true);
        expect(d.manufId).to.equal(manuf ? 'com.ipaccess' : undefined);
      }));
  });
});
