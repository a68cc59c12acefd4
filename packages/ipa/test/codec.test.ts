import { expect } from 'chai';
import { loadFixtures, hex } from './fixtures.js';
import { IpaDecodeError, IpaEncodeError } from '../src/errors.js';
import { decodeIpaFrame, encodeIpaFrame, decodeIpaHeader, encodeIpaHeader, decodeIpaFrames, ipaProtoName } from '../src/header.js';
import { decodeOsmoFrame, encodeOsmoFrame, ipaOsmoExtName, IpaOsmoExt } from '../src/ext.js';
import {
  decodeCcmFrame, encodeCcmFrame, type CcmMessage, ccmIdGet, ccmIdResp, idGetTags, ccmPingFrame, ccmPongFrame,
  ccmIdAckFrame, ccmMsgTypeName,
} from '../src/ccm.js';
import { idValueString, idStringValue, idItemsToIdentity, identityToIdItems, IpaIdTag, ipaIdTagName } from '../src/idtags.js';
import { parseUnitId, formatUnitId } from '../src/unit-id.js';
import { parseIpaMessage } from '../src/message.js';

type ErrSpec = { code: string; offset: number };
interface CcmFields {
  proto: number;
  length: number;
  ccm?: { type: string; tags?: number[]; items?: { tag: number; value?: string; valueHex?: string }[]; msgType?: number; dataHex?: string };
  unitId?: { site: number; bts: number; trx: number };
  error?: ErrSpec;
}
interface OsmoFields { proto: number; length: number; ext?: number; text?: string; dataHex?: string; error?: ErrSpec }
interface FrameFields { proto: number; length: number; payloadHex: string }

function expectDecodeError(fn: () => unknown, spec: ErrSpec): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an IpaDecodeError').to.be.instanceOf(IpaDecodeError);
  expect((err as IpaDecodeError).code).to.equal(spec.code);
  expect((err as IpaDecodeError).offset).to.equal(spec.offset);
}

/** the CcmMessage a fixture describes (built from its fields, not from its bytes) */
function ccmFromFields(f: NonNullable<CcmFields['ccm']>): CcmMessage {
  switch (f.type) {
    case 'ID_GET':
      return ccmIdGet(f.tags!);
    case 'ID_RESP':
      return {
        type: 'ID_RESP',
        items: f.items!.map((i) => ({ tag: i.tag, value: i.valueHex !== undefined ? Buffer.from(i.valueHex, 'hex') : idStringValue(i.value!) })),
      };
    case 'OTHER':
      return { type: 'OTHER', msgType: f.msgType!, data: Buffer.from(f.dataHex!, 'hex') };
    default:
      return { type: f.type as 'PING' };
  }
}

describe('ipa codec: fixtures', () => {
  const ccm = loadFixtures<CcmFields>('ipa-ccm');
  const osmo = loadFixtures<OsmoFields>('ipa-osmo');
  const frames = loadFixtures<FrameFields>('ipa-frames');

  it('has fixtures for every CCM message type and every OSMO extension', () => {
    const types = new Set(ccm.map((f) => f.fields.ccm?.type));
    for (const t of ['PING', 'PONG', 'ID_GET', 'ID_RESP', 'ID_ACK', 'ID_NACK']) expect(types, t).to.include(t);
    const exts = new Set(osmo.map((f) => f.fields.ext));
    for (const v of Object.values(IpaOsmoExt)) expect(exts, ipaOsmoExtName(v)).to.include(v);
    for (const f of [...ccm, ...osmo, ...frames]) expect(f.source, f.name).to.not.equal('');
  });

  for (const f of ccm) {
    it(`CCM ${f.name}: decode, fields, re-encode`, () => {
      const bytes = Buffer.from(f.hex, 'hex');
      const frame = decodeIpaFrame(bytes);
      expect(frame.proto).to.equal(f.fields.proto);
      expect(frame.payload.length).to.equal(f.fields.length);
      expect(hex(encodeIpaFrame(frame.proto, frame.payload))).to.equal(f.hex);
      if (f.fields.error) {
        expectDecodeError(() => decodeCcmFrame(bytes), f.fields.error);
        return;
      }
      const msg = decodeCcmFrame(bytes);
      const want = f.fields.ccm!;
      expect(msg.type).to.equal(want.type);
      if (msg.type === 'ID_GET') expect(idGetTags(msg)).to.deep.equal(want.tags);
      if (msg.type === 'ID_RESP') {
        expect(msg.items.map((i) => i.tag)).to.deep.equal(want.items!.map((i) => i.tag));
        msg.items.forEach((it, k) => {
          const w = want.items![k]!;
          if (w.value !== undefined) {
            expect(idValueString(it.value)).to.equal(w.value);
            expect(it.value[it.value.length - 1], 'NUL-terminated').to.equal(0);
          } else expect(hex(it.value)).to.equal(w.valueHex);
        });
        if (f.fields.unitId) {
          expect(parseUnitId(idItemsToIdentity(msg.items).unitId!)).to.deep.equal(f.fields.unitId);
        }
      }
      if (msg.type === 'OTHER') {
        expect(msg.msgType).to.equal(want.msgType);
        expect(hex(msg.data)).to.equal(want.dataHex);
      }
      // re-encode the decoded value and the value built from the fields
      expect(hex(encodeCcmFrame(msg))).to.equal(f.hex);
      expect(hex(encodeCcmFrame(ccmFromFields(want)))).to.equal(f.hex);
    });
  }

  for (const f of osmo) {
    it(`OSMO ${f.name}: decode, fields, re-encode`, () => {
      const bytes = Buffer.from(f.hex, 'hex');
      const frame = decodeIpaFrame(bytes);
      expect(frame.proto).to.equal(f.fields.proto);
      expect(frame.payload.length).to.equal(f.fields.length);
      if (f.fields.error) {
        expectDecodeError(() => decodeOsmoFrame(bytes), f.fields.error);
        expectDecodeError(() => parseIpaMessage(bytes), f.fields.error);
        return;
      }
      const o = decodeOsmoFrame(bytes);
      expect(o.ext).to.equal(f.fields.ext);
      if (f.fields.text !== undefined) expect(o.data.toString('latin1')).to.equal(f.fields.text);
      else expect(hex(o.data)).to.equal(f.fields.dataHex);
      expect(hex(encodeOsmoFrame(o.ext, o.data))).to.equal(f.hex);
      const data = f.fields.text !== undefined ? Buffer.from(f.fields.text, 'latin1') : Buffer.from(f.fields.dataHex!, 'hex');
      expect(hex(encodeOsmoFrame(f.fields.ext!, data))).to.equal(f.hex);
      const m = parseIpaMessage(bytes);
      expect(m.kind).to.equal('osmo');
      expect(m.ext).to.equal(f.fields.ext);
      expect(hex(m.payload)).to.equal(hex(data));
    });
  }

  for (const f of frames) {
    it(`frame ${f.name}: decode, fields, re-encode`, () => {
      const bytes = Buffer.from(f.hex, 'hex');
      const frame = decodeIpaFrame(bytes);
      expect(frame.proto).to.equal(f.fields.proto);
      expect(frame.payload.length).to.equal(f.fields.length);
      expect(hex(frame.payload)).to.equal(f.fields.payloadHex);
      expect(hex(encodeIpaFrame(f.fields.proto, Buffer.from(f.fields.payloadHex, 'hex')))).to.equal(f.hex);
      const m = parseIpaMessage(bytes);
      expect(m.proto).to.equal(f.fields.proto);
      expect(hex(m.payload)).to.equal(f.fields.payloadHex);
    });
  }
});

describe('ipa codec: header and frames', () => {
  it('length counts only the payload, BE', () => {
    expect(hex(encodeIpaHeader({ proto: 0xff, length: 0x1234 }))).to.equal('1234ff');
    expect(decodeIpaHeader(Buffer.from('1234ff', 'hex'))).to.deep.equal({ length: 0x1234, proto: 0xff });
    expect(hex(encodeIpaFrame(0xff, Buffer.alloc(0)))).to.equal('0000ff');
    const big = encodeIpaFrame(0x00, Buffer.alloc(0xffff, 7));
    expect(big.length).to.equal(0xffff + 3);
    expect(decodeIpaFrame(big).payload.length).to.equal(0xffff);
  });

  it('typed errors for short, truncated and over-long input', () => {
    expectDecodeError(() => decodeIpaHeader(Buffer.from('00', 'hex')), { code: 'ERR_IPA_SHORT_HEADER', offset: 0 });
    expectDecodeError(() => decodeIpaFrame(Buffer.from('0002fe00', 'hex')), { code: 'ERR_IPA_TRUNCATED', offset: 4 });
    expectDecodeError(() => decodeIpaFrame(Buffer.from('0001fe0000', 'hex')), { code: 'ERR_IPA_TRAILING', offset: 4 });
    expectDecodeError(() => decodeCcmFrame(Buffer.from('0001ff00', 'hex')), { code: 'ERR_IPA_PROTO', offset: 2 });
    expectDecodeError(() => decodeOsmoFrame(Buffer.from('0001fe00', 'hex')), { code: 'ERR_IPA_PROTO', offset: 2 });
    expectDecodeError(() => decodeIpaFrames(Buffer.from('0001fe000001fe', 'hex')), { code: 'ERR_IPA_TRUNCATED', offset: 7 });
  });

  it('encoder range errors are IpaEncodeError (RangeError with code)', () => {
    expect(() => encodeIpaFrame(0xff, Buffer.alloc(0x10000))).to.throw(IpaEncodeError).with.property('code', 'ERR_IPA_PAYLOAD_TOO_LONG');
    expect(() => encodeIpaFrame(256, Buffer.alloc(1))).to.throw(RangeError).with.property('code', 'ERR_IPA_BAD_VALUE');
    expect(() => encodeOsmoFrame(-1, Buffer.alloc(1))).to.throw(IpaEncodeError);
    expect(() => encodeCcmFrame({ type: 'ID_GET', items: [{ tag: 1, value: Buffer.alloc(255) }] })).to.throw(IpaEncodeError);
    expect(() => encodeCcmFrame({ type: 'OTHER', msgType: 0, data: Buffer.alloc(0) })).to.throw(IpaEncodeError);
  });

  it('decodes back-to-back frames', () => {
    const b = Buffer.from('0001fe000001fe010000ff', 'hex');
    expect(decodeIpaFrames(b).map((f) => [f.proto, hex(f.payload)])).to.deep.equal([[0xfe, '00'], [0xfe, '01'], [0xff, '']]);
  });

  it('names', () => {
    expect(ipaProtoName(0xff)).to.equal('OML');
    expect(ipaProtoName(0x42)).to.equal('unknown 0x42');
    expect(ipaOsmoExtName(5)).to.equal('GSUP');
    expect(ccmMsgTypeName(5)).to.equal('ID_RESP');
    expect(ipaIdTagName(8)).to.equal('Unit_ID');
  });

  it('canned frames', () => {
    expect(hex(ccmPingFrame())).to.equal('0001fe00');
    expect(hex(ccmPongFrame())).to.equal('0001fe01');
    expect(hex(ccmIdAckFrame())).to.equal('0001fe06');
    expect(hex(encodeCcmFrame(ccmIdGet()))).to.equal('0011fe040108010701020103010401050101' + '0100');
  });

  it('unknown protocol bytes are classified as unknown, not rejected', () => {
    const m = parseIpaMessage(Buffer.from('000242abcd', 'hex'));
    expect(m).to.include({ kind: 'unknown', proto: 0x42 });
    expect(hex(m.payload)).to.equal('abcd');
  });

  it('CCM simple messages keep unexpected trailing bytes for an exact re-encode', () => {
    const b = Buffer.from('0003fe00abcd', 'hex');
    const m = decodeCcmFrame(b);
    expect(m.type).to.equal('PING');
    expect(hex(encodeCcmFrame(m))).to.equal(hex(b));
  });
});

describe('ipa codec: identity and unit id', () => {
  it('parses unit ids the upstream way', () => {
    expect(parseUnitId('1801/0/0')).to.deep.equal({ site: 1801, bts: 0, trx: 0 });
    expect(parseUnitId('1/2/3 trailing')).to.deep.equal({ site: 1, bts: 2, trx: 3 });
    expect(parseUnitId('65537/0/1')).to.deep.equal({ site: 1, bts: 0, trx: 1 }); // masked to 16 bits
    expect(formatUnitId({ site: 1234, bts: 5, trx: 1 })).to.equal('1234/5/1');
    for (const [s, off] of [['', 0], ['a/1/2', 0], ['1-2-3', 1], ['1/2', 3], ['1/2/', 4], ['1//2', 2]] as const) {
      expectDecodeError(() => parseUnitId(s), { code: 'ERR_IPA_UNIT_ID', offset: off });
    }
    expect(() => formatUnitId({ site: 70000, bts: 0, trx: 0 })).to.throw(RangeError);
  });

  it('answers requested tags from an identity, like upstream', () => {
    const items = identityToIdItems(
      { unitId: { site: 1801, bts: 0, trx: 0 }, macAddress: '02:fc:00:00:00:01', location2: 'OMLdummy', swVersion: '1.5.0' },
      [8, 7, 2, 3, 4, 5, 1, 0, 0x42],
    );
    // same values as osmo-bts-omldummy sends (unit name derived from the MAC); unknown tag 0x42 skipped
    const resp = encodeCcmFrame({ type: 'ID_RESP', items });
    const fx = loadFixtures<CcmFields>('ipa-ccm').find((f) => f.name === 'ccm-id-resp-omldummy')!;
    const want = decodeCcmFrame(Buffer.from(fx.hex, 'hex'));
    expect(want.type).to.equal('ID_RESP');
    const got = decodeCcmFrame(resp);
    if (got.type !== 'ID_RESP' || want.type !== 'ID_RESP') throw new Error('unreachable');
    expect(got.items.map((i) => [i.tag, idValueString(i.value)])).to.deep.equal(
      want.items.map((i) => [i.tag, i.tag === IpaIdTag.UNITNAME ? '02-fc-00-00-00-01' : idValueString(i.value)]),
    );
    expect(idItemsToIdentity(got.items)).to.include({ unitId: '1801/0/0', macAddress: '02:fc:00:00:00:01', serialNumber: '' });
  });

  it('cuts strings to 63 bytes plus NUL', () => {
    const v = idStringValue('x'.repeat(100));
    expect(v.length).to.equal(64);
    expect(v[63]).to.equal(0);
    const m = ccmIdResp({ unitName: 'y'.repeat(80) }, [IpaIdTag.UNITNAME]);
    expect(m.items[0]!.value.length).to.equal(64);
  });

  it('an unset unit id is answered as "0/0/0" (osmo-stp refuses a tag 0x08 that is not a/b/c), other unset tags as ""', () => {
    const m = ccmIdResp({ unitName: 'testasp' }, [IpaIdTag.UNIT, IpaIdTag.SERNR, IpaIdTag.UNITNAME]);
    expect(m.items.map((i) => [i.tag, idValueString(i.value)])).to.deep.equal([[8, '0/0/0'], [0, ''], [1, 'testasp']]);
  });
});
