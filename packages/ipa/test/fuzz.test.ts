import { expect } from 'chai';
import fc from 'fast-check';
import { IpaDecodeError } from '../src/errors.js';
import { decodeIpaFrame, encodeIpaFrame, decodeIpaHeader, encodeIpaHeader, decodeIpaFrames } from '../src/header.js';
import { decodeOsmoFrame, decodeOsmoPayload, encodeOsmoFrame, encodeOsmoPayload } from '../src/ext.js';
import { decodeCcmPayload, encodeCcmPayload, decodeCcmFrame, encodeCcmFrame, type CcmMessage } from '../src/ccm.js';
import { parseUnitId, formatUnitId } from '../src/unit-id.js';
import { parseIpaMessage } from '../src/message.js';
import { idItemsToIdentity, identityToIdItems, idValueString } from '../src/idtags.js';
import { hex } from './fixtures.js';

const RUNS = 3000;

/** the decoder either returns or throws IpaDecodeError with a sane offset; anything else fails the property */
function total<T>(input: Uint8Array, fn: () => T): T | IpaDecodeError {
  try {
    return fn();
  } catch (e) {
    expect(e, `non-IpaDecodeError thrown for ${hex(input)}: ${String(e)}`).to.be.instanceOf(IpaDecodeError);
    const d = e as IpaDecodeError;
    expect(d.offset).to.be.a('number').and.at.least(0);
    expect(d.code).to.match(/^ERR_IPA_/);
    return d;
  }
}

/** random bytes biased towards plausible IPA/CCM shapes */
const frameLike = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0x00, 0xee, 0xfe, 0xff, 0x42), fc.uint8Array({ maxLength: 40 }))
    .map(([len, proto, rest]) => Uint8Array.from([len >> 8, len & 0xff, proto, ...rest])),
  fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7, 8), fc.array(fc.uint8Array({ minLength: 0, maxLength: 6 }), { maxLength: 5 }))
    .map(([t, parts]) => {
      const p = Uint8Array.from([t, ...parts.flatMap((x) => [...x])]);
      return Uint8Array.from([p.length >> 8, p.length & 0xff, 0xfe, ...p]);
    }),
);

describe('ipa fuzz: decoders are total', () => {
  it('decodeIpaHeader / decodeIpaFrame / decodeIpaFrames', () => {
    fc.assert(fc.property(frameLike, fc.nat(5), (u, off) => {
      total(u, () => decodeIpaHeader(u, off));
      const f = total(u, () => decodeIpaFrame(u));
      if (!(f instanceof IpaDecodeError)) expect(hex(encodeIpaFrame(f.proto, f.payload))).to.equal(hex(u));
      const fs = total(u, () => decodeIpaFrames(u));
      if (!(fs instanceof IpaDecodeError)) expect(hex(Buffer.concat(fs.map((x) => encodeIpaFrame(x.proto, x.payload))))).to.equal(hex(u));
    }), { numRuns: RUNS });
  });

  it('decodeCcmPayload / decodeCcmFrame: value re-encodes to the same bytes', () => {
    fc.assert(fc.property(frameLike, (u) => {
      const m = total(u, () => decodeCcmPayload(u));
      if (!(m instanceof IpaDecodeError)) expect(hex(encodeCcmPayload(m))).to.equal(hex(u));
      const f = total(u, () => decodeCcmFrame(u));
      if (!(f instanceof IpaDecodeError)) expect(hex(encodeCcmFrame(f))).to.equal(hex(u));
    }), { numRuns: RUNS });
  });

  it('decodeOsmoPayload / decodeOsmoFrame / parseIpaMessage', () => {
    fc.assert(fc.property(frameLike, (u) => {
      const p = total(u, () => decodeOsmoPayload(u));
      if (!(p instanceof IpaDecodeError)) expect(hex(encodeOsmoPayload(p.ext, p.data))).to.equal(hex(u));
      const f = total(u, () => decodeOsmoFrame(u));
      if (!(f instanceof IpaDecodeError)) expect(hex(encodeOsmoFrame(f.ext, f.data))).to.equal(hex(u));
      total(u, () => parseIpaMessage(u));
    }), { numRuns: RUNS });
  });

  it('parseUnitId on any string', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{0,7}\/[0-9]{0,7}\/?[0-9]{0,7}.{0,3}$/)), (s) => {
      const u = total(Buffer.from(s), () => parseUnitId(s));
      if (!(u instanceof IpaDecodeError)) {
        for (const v of [u.site, u.bts, u.trx]) expect(v).to.be.within(0, 0xffff);
      }
    }), { numRuns: RUNS });
  });

  it('ID_RESP items -> identity never throws', () => {
    fc.assert(fc.property(fc.array(fc.record({ tag: fc.nat(255), value: fc.uint8Array({ maxLength: 20 }) })), (items) => {
      idItemsToIdentity(items.map((i) => ({ tag: i.tag, value: Buffer.from(i.value) })));
    }), { numRuns: 500 });
  });
});

const item = (maxLen: number) => fc.record({ tag: fc.nat(255), value: fc.uint8Array({ maxLength: maxLen }).map((u) => Buffer.from(u)) });
const ccmArb: fc.Arbitrary<CcmMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('PING' as const, 'PONG' as const, 'ID_ACK' as const, 'ID_NACK' as const) }),
  fc.record({ type: fc.constantFrom('PING' as const, 'ID_NACK' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((u) => Buffer.from(u)) }),
  fc.record({ type: fc.constant('ID_GET' as const), items: fc.array(item(10), { maxLength: 10 }) }),
  fc.record({ type: fc.constant('ID_RESP' as const), items: fc.array(item(70), { maxLength: 10 }) }),
  fc.record({
    type: fc.constant('OTHER' as const),
    msgType: fc.integer({ min: 8, max: 255 }),
    data: fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
  }),
);

/** plain-data view for deep comparison (Buffers as hex) */
function norm(m: CcmMessage): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? hex(Buffer.from((v as { data: number[] }).data)) : v)));
}

describe('ipa fuzz: decode(encode(x)) == x', () => {
  it('CCM messages', () => {
    fc.assert(fc.property(ccmArb, (m) => {
      const f = encodeCcmFrame(m);
      expect(norm(decodeCcmFrame(f))).to.deep.equal(norm(m));
    }), { numRuns: RUNS });
  });

  it('IPA frames and OSMO frames', () => {
    fc.assert(fc.property(fc.nat(255), fc.uint8Array({ maxLength: 300 }), (p, payload) => {
      const f = decodeIpaFrame(encodeIpaFrame(p, payload));
      expect(f.proto).to.equal(p);
      expect(hex(f.payload)).to.equal(hex(payload));
      const o = decodeOsmoFrame(encodeOsmoFrame(p, payload));
      expect(o.ext).to.equal(p);
      expect(hex(o.data)).to.equal(hex(payload));
      expect(decodeIpaHeader(encodeIpaHeader({ proto: p, length: payload.length }))).to.deep.equal({ proto: p, length: payload.length });
    }), { numRuns: RUNS });
  });

  it('unit ids', () => {
    fc.assert(fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xffff), (site, bts, trx) => {
      expect(parseUnitId(formatUnitId({ site, bts, trx }))).to.deep.equal({ site, bts, trx });
      expect(parseUnitId(formatUnitId({ site, bts, trx }) + '\0')).to.deep.equal({ site, bts, trx });
    }), { numRuns: 1000 });
  });

  it('identity strings through ID_RESP', () => {
    const s = fc.string({ maxLength: 30 }).filter((x) => !x.includes('\0'));
    fc.assert(fc.property(s, s, s, (unitName, serialNumber, swVersion) => {
      const items = identityToIdItems({ unitName, serialNumber, swVersion }, [1, 0, 5]);
      const back = decodeCcmFrame(encodeCcmFrame({ type: 'ID_RESP', items }));
      if (back.type !== 'ID_RESP') throw new Error('type');
      expect(idItemsToIdentity(back.items)).to.deep.equal({ unitName, serialNumber, swVersion });
      back.items.forEach((it) => expect(idValueString(it.value)).to.be.a('string'));
    }), { numRuns: 1000 });
  });
});
