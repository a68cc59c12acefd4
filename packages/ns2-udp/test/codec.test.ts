import { expect } from 'chai';
import { decodeNs, encodeNs, tryDecodeNs, NsDecodeError, type NsPdu } from '../src/index.js';
import { loadFixtures, toJson } from './fixtures.js';

function fromJson(f: Record<string, unknown>): NsPdu {
  const o = { ...f };
  for (const k of ['sdu', 'pdu']) if (typeof o[k] === 'string') o[k] = Buffer.from(o[k] as string, 'hex');
  return o as unknown as NsPdu;
}

describe('ns codec', function () {
  const tx = loadFixtures<Record<string, unknown>>('ns-pdus');
  const rx = loadFixtures<Record<string, unknown>>('ns-rx');

  it('has a fixture for every PDU type of TS 48.016', function () {
    const types = new Set(tx.map((f) => f.fields.type));
    for (const t of ['NS-UNITDATA', 'NS-RESET', 'NS-RESET-ACK', 'NS-BLOCK', 'NS-BLOCK-ACK', 'NS-UNBLOCK', 'NS-UNBLOCK-ACK',
      'NS-STATUS', 'NS-ALIVE', 'NS-ALIVE-ACK', 'SNS-ACK', 'SNS-ADD', 'SNS-CHANGEWEIGHT', 'SNS-CONFIG', 'SNS-CONFIG-ACK',
      'SNS-DELETE', 'SNS-SIZE', 'SNS-SIZE-ACK']) expect(types, t).to.include(t);
  });

  for (const f of loadFixtures<Record<string, unknown>>('ns-pdus')) {
    it(`${f.name}: decodes to the fixture fields and encodes back to the same bytes`, function () {
      const buf = Buffer.from(f.hex, 'hex');
      expect(toJson(decodeNs(buf))).to.deep.equal(f.fields);
      expect(encodeNs(fromJson(f.fields)).toString('hex')).to.equal(f.hex);
    });
  }

  for (const f of rx) {
    it(`${f.name}: receive-only form`, function () {
      const buf = Buffer.from(f.hex, 'hex');
      if (f.fields.error) {
        const e = tryDecodeNs(buf);
        expect(e).to.be.instanceOf(NsDecodeError);
        const err = e as NsDecodeError;
        expect(err.code).to.equal(f.fields.error);
        if (f.fields.pdu) expect(err.pdu).to.equal(f.fields.pdu);
        if (f.fields.ie) expect(err.ie).to.equal(f.fields.ie);
        if (f.fields.cause !== undefined) expect(err.nsCause).to.equal(f.fields.cause);
        expect(() => decodeNs(buf)).to.throw(NsDecodeError);
      } else {
        expect(toJson(decodeNs(buf))).to.deep.equal(f.fields);
      }
    });
  }

  it('uses the 2-octet TvLV length form for values over 127 octets', function () {
    const big = Buffer.alloc(200, 0x5a);
    const b = encodeNs({ type: 'NS-STATUS', cause: 0x0b, pdu: big });
    expect(b.subarray(0, 6).toString('hex')).to.equal('0800810b0200');
    expect(b[6]).to.equal(200);
    const d = decodeNs(b);
    expect(d.type === 'NS-STATUS' && d.pdu?.equals(big)).to.equal(true);
  });

  it('round-trips IPv4 and IPv6 lists of several elements', function () {
    const pdu: NsPdu = {
      type: 'SNS-ACK', nsei: 7, transId: 255, cause: 0x12,
      ipv4: [{ ip: '10.0.0.1', port: 1, sigWeight: 0, dataWeight: 255 }, { ip: '192.168.1.2', port: 65535, sigWeight: 3, dataWeight: 4 }],
      ipv6: [{ ip: 'fe80::1:2', port: 23000, sigWeight: 1, dataWeight: 1 }, { ip: '2001:db8:0:1::', port: 2, sigWeight: 9, dataWeight: 8 }],
    };
    expect(decodeNs(encodeNs(pdu))).to.deep.equal(pdu);
  });

  it('keeps the first of duplicated IEs (tlv_parse) and skips unknown IEIs', function () {
    const d = decodeNs(Buffer.from('0382000001820001048204d2048204d30f8100', 'hex'));
    expect(d).to.deep.equal({ type: 'NS-RESET-ACK', nsvci: 1, nsei: 1234 });
  });

  it('rejects values that do not fit on encode with RangeError', function () {
    expect(() => encodeNs({ type: 'NS-RESET', cause: 1, nsvci: 70000, nsei: 1 })).to.throw(RangeError);
    expect(() => encodeNs({ type: 'SNS-CONFIG', endFlag: true, nsei: 1, ipv4: [{ ip: '::1', port: 1, sigWeight: 1, dataWeight: 1 }] }))
      .to.throw(RangeError);
  });
});
