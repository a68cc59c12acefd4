/** The table-driven TLV helper: each form, index vs list, builder, and a fuzz run (only TlvDecodeError escapes). */
import { expect } from 'chai';
import { TlvTable, TlvIndex, TlvDecodeError, TlvEncodeError, type TlvSpec } from '../src/tlv.js';
import { loadFixtures } from './fixtures.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const hx = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function ipLen(b: Uint8Array, v: number, end: number): number {
  if (v >= end) return 1;
  return b[v] === 1 ? 5 : b[v] === 2 ? 17 : -1;
}

/** one tag per form, plus a self-describing TV */
const mixed = new TlvTable({
  ies: [
    [0x01, { form: 'T' }],
    [0x02, { form: 'TV', len: 2 }],
    [0x03, { form: 'TLV' }],
    [0x04, { form: 'TL16V' }],
    [0x05, { form: 'TvLV' }],
    [0x06, { form: 'TV', len: ipLen }],
  ] as [number, TlvSpec][],
});

function decodeError(fn: () => unknown): TlvDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(TlvDecodeError);
    return e as TlvDecodeError;
  }
  throw new Error('no error');
}

describe('tlv: forms', () => {
  it('parses every form in one walk, values as views, offsets of the elements', () => {
    const b = h('01 02abcd 0302eeff 040001aa 0581bb 05000299cc 060101020304');
    const ies = mixed.parse(b);
    expect(ies.map((e) => [e.tag, hx(e.value), e.offset])).to.deep.equal([
      [1, '', 0], [2, 'abcd', 1], [3, 'eeff', 4], [4, 'aa', 8], [5, 'bb', 12], [5, '99cc', 15], [6, '0101020304', 20],
    ]);
    expect(ies[1]!.value.buffer).to.equal(b.buffer);
  });

  it('index: the first occurrence of each tag, cleared between walks', () => {
    const ix = new TlvIndex();
    mixed.index(h('0581bb 0582ccdd 01'), 0, 8, ix);
    expect(hx(ix.value(5)!)).to.equal('bb');
    expect([ix.ieOffset[5], ix.valueOffset[5], ix.valueLength[5]]).to.deep.equal([0, 2, 1]);
    expect(ix.has(1)).to.equal(true);
    expect(ix.has(2)).to.equal(false);
    mixed.index(h('02abcd'), 0, 3, ix);
    expect([ix.has(1), ix.has(5), hx(ix.value(2)!)]).to.deep.equal([false, false, 'abcd']);
    expect(ix.value(5)).to.equal(undefined);
  });

  it('honours start and end', () => {
    expect(mixed.parse(h('ff 01 01 ff'), 1, 3).map((e) => e.offset)).to.deep.equal([1, 2]);
  });

  it('errors: unknown tag, missing length, value past the end, bad self-described value', () => {
    expect(decodeError(() => mixed.parse(h('01 7f')))).to.include({ code: 'ERR_TLV_UNKNOWN_TAG', offset: 1, tag: 0x7f });
    expect(decodeError(() => mixed.parse(h('01 03')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 1, tag: 3 });
    expect(decodeError(() => mixed.parse(h('0400')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 4 });
    expect(decodeError(() => mixed.parse(h('0500')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 5 });
    expect(decodeError(() => mixed.parse(h('02ab')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 2 });
    expect(decodeError(() => mixed.parse(h('0303aabb')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 3 });
    expect(decodeError(() => mixed.parse(h('06')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 6 });
    expect(decodeError(() => mixed.parse(h('0603')))).to.include({ code: 'ERR_TLV_BAD_LENGTH', offset: 0, tag: 6 });
    // the index reports the same errors as the list walk
    expect(decodeError(() => mixed.index(h('02ab')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0, tag: 2 });
    expect(decodeError(() => mixed.index(h('01 03')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 1, tag: 3 });
  });

  it('unknown tags can be given a layout', () => {
    const t = new TlvTable({ unknown: { form: 'TLV' }, ies: [[0x10, { form: 'T' }]] });
    expect(t.parse(h('10 7701aa 10')).map((e) => e.tag)).to.deep.equal([0x10, 0x77, 0x10]);
    expect(t.knows(0x77)).to.equal(true);
    expect(mixed.knows(0x77)).to.equal(false);
  });

  it('length-first items (IPA CCM): 1- and 2-octet lengths counting the tag', () => {
    const l1 = new TlvTable({ lengthFirst: 1 });
    const l2 = new TlvTable({ lengthFirst: 2 });
    expect(l1.parse(h('0108 03 07aabb')).map((e) => [e.tag, hx(e.value), e.offset])).to.deep.equal([[8, '', 0], [7, 'aabb', 2]]);
    expect(l2.parse(h('000308 aa00')).map((e) => [e.tag, hx(e.value)])).to.deep.equal([[8, 'aa00']]);
    expect(decodeError(() => l1.parse(h('0108 00')))).to.include({ code: 'ERR_TLV_BAD_LENGTH', offset: 2, tag: -1 });
    expect(decodeError(() => l1.parse(h('0508')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0 });
    expect(decodeError(() => l2.parse(h('00')))).to.include({ code: 'ERR_TLV_TRUNCATED', offset: 0 });
    expect(hx(l1.encode([{ tag: 8, value: Buffer.alloc(0) }, { tag: 7, value: h('aabb') }]))).to.equal('010803' + '07aabb');
    expect(hx(l2.encode([{ tag: 8, value: h('aa00') }]))).to.equal('000308aa00');
    expect(() => l1.encode([{ tag: 1, value: Buffer.alloc(255) }])).to.throw(TlvEncodeError).with.property('code', 'ERR_TLV_VALUE_LENGTH');
  });
});

describe('tlv: builder', () => {
  it('writes each form; TvLV uses the 1-octet length up to 127 bytes', () => {
    const b = mixed.encode([
      { tag: 1, value: Buffer.alloc(0) }, { tag: 2, value: h('abcd') }, { tag: 3, value: h('ee') }, { tag: 4, value: h('aa') },
      { tag: 5, value: Buffer.alloc(127, 1) }, { tag: 5, value: Buffer.alloc(128, 2) }, { tag: 6, value: h('0101020304') },
    ]);
    expect(hx(b.subarray(0, 11))).to.equal('01' + '02abcd' + '0301ee' + '040001aa');
    expect(hx(b.subarray(11, 13))).to.equal('05ff');
    expect(hx(b.subarray(13 + 127, 13 + 127 + 3))).to.equal('050080');
    expect(mixed.parse(b).map((e) => e.value.length)).to.deep.equal([0, 2, 1, 1, 127, 128, 5]);
  });

  it('refuses what does not fit the table', () => {
    const bad = (tag: number, len: number, code: string): void => {
      expect(() => mixed.encode([{ tag, value: Buffer.alloc(len) }]), `${tag}/${len}`).to.throw(TlvEncodeError).with.property('code', code);
    };
    bad(1, 1, 'ERR_TLV_VALUE_LENGTH');
    bad(2, 3, 'ERR_TLV_VALUE_LENGTH');
    bad(3, 256, 'ERR_TLV_VALUE_LENGTH');
    bad(4, 0x10000, 'ERR_TLV_VALUE_LENGTH');
    bad(5, 0x8000, 'ERR_TLV_VALUE_LENGTH');
    bad(0x7f, 0, 'ERR_TLV_UNKNOWN_TAG');
    bad(256, 0, 'ERR_TLV_UNKNOWN_TAG');
    expect(() => new TlvTable({ ies: [[300, { form: 'T' }]] })).to.throw(TlvEncodeError);
    expect(() => new TlvTable({ ies: [[1, { form: 'TV', len: -1 }]] })).to.throw(TlvEncodeError).with.property('code', 'ERR_TLV_VALUE_LENGTH');
  });
});

/** xorshift32: reproducible inputs */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

const tables: [string, TlvTable][] = [
  ['mixed', mixed],
  ['unknown TvLV', new TlvTable({ unknown: { form: 'TvLV' }, ies: [[0x0b, { form: 'TV', len: ipLen }], [0x0a, { form: 'TV', len: 1 }]] })],
  ['length-first 1', new TlvTable({ lengthFirst: 1 })],
  ['length-first 2', new TlvTable({ lengthFirst: 2 })],
];

function fail(b: Buffer, what: string): never {
  throw new Error(`${hx(b)}: ${what}`);
}

/**
 * parse, index and re-encode agree; the only error is TlvDecodeError with an offset inside the input (plain
 * comparisons here: this runs 200,000 times)
 */
function check(t: TlvTable, b: Buffer, ix: TlvIndex, stats: { ok: number; err: number }): void {
  let ies;
  try {
    ies = t.parse(b);
  } catch (e) {
    if (!(e instanceof TlvDecodeError)) fail(b, `parse threw ${String(e)}`);
    if (!e.code.startsWith('ERR_TLV_') || !(e.offset >= 0 && e.offset < b.length)) fail(b, `bad error ${e.code} at ${e.offset}`);
    try {
      t.index(b, 0, b.length, ix);
      fail(b, 'index accepted what parse refused');
    } catch (e2) {
      if (!(e2 instanceof TlvDecodeError)) throw e2;
      if (e2.code !== e.code || e2.offset !== e.offset || e2.tag !== e.tag) fail(b, `index: ${e2.message}, parse: ${e.message}`);
    }
    stats.err++;
    return;
  }
  stats.ok++;
  t.index(b, 0, b.length, ix);
  for (const ie of ies) {
    const first = ix.ieOffset[ie.tag]!;
    if (!ix.has(ie.tag) || first > ie.offset) fail(b, `index misses tag ${ie.tag} at ${ie.offset}`);
    if (first === ie.offset && !ix.value(ie.tag)!.equals(ie.value)) fail(b, `index value of tag ${ie.tag}`);
  }
  // what parses re-encodes to the same elements (a TvLV length that could have used the short form comes out short)
  const again = t.parse(t.encode(ies));
  if (again.length !== ies.length || again.some((e, i) => e.tag !== ies[i]!.tag || !e.value.equals(ies[i]!.value))) {
    fail(b, 're-encoding changed the elements');
  }
}

describe('tlv fuzz: only TlvDecodeError escapes', function () {
  this.timeout(120000);

  it('100,000 random byte strings over four tables', () => {
    const r = rng(0x71f);
    const ix = new TlvIndex();
    const stats = { ok: 0, err: 0 };
    for (let i = 0; i < 100000; i++) {
      const [, t] = tables[i % tables.length]!;
      const len = r() % 24;
      const b = Buffer.alloc(len);
      // mostly small octets (known tags, short lengths) so that valid walks are common
      for (let j = 0; j < len; j++) b[j] = (r() & 3) !== 0 ? 1 + (r() % 3) : r() & 0xff;
      check(t, b, ix, stats);
    }
    expect(stats.ok + stats.err).to.equal(100000);
    expect(stats.ok).to.be.greaterThan(5000);
    expect(stats.err).to.be.greaterThan(50000);
  });

  it('100,000 mutations of valid element runs and of the CCM fixtures', () => {
    const r = rng(0xb10b);
    const ix = new TlvIndex();
    const stats = { ok: 0, err: 0 };
    const seeds: [TlvTable, Buffer][] = [
      [mixed, h('01 02abcd 0302eeff 040001aa 0581bb 05000299cc 060101020304')],
      [tables[1]![1], h('0481aa 0b0101020304 0a01 0b02' + '00'.repeat(16) + ' 030002bbbb')],
    ];
    for (const f of loadFixtures<{ ccm?: { type: string } }>('ipa-ccm')) {
      const t = f.fields.ccm?.type;
      if (t === 'ID_GET') seeds.push([tables[2]![1], Buffer.from(f.hex, 'hex').subarray(4)]);
      if (t === 'ID_RESP') seeds.push([tables[3]![1], Buffer.from(f.hex, 'hex').subarray(4)]);
    }
    expect(seeds.length).to.be.greaterThan(3);
    for (let i = 0; i < 100000; i++) {
      const [t, seed] = seeds[r() % seeds.length]!;
      let b = Buffer.from(seed);
      const n = 1 + (r() % 3);
      for (let k = 0; k < n; k++) {
        const op = r() % 4;
        if (op === 0 && b.length) b[r() % b.length] ^= 1 << (r() % 8);
        else if (op === 1) b = b.subarray(0, r() % (b.length + 1));
        else if (op === 2) b = Buffer.concat([b, Buffer.from([r() & 0xff, r() & 0x0f])]);
        else b = Buffer.concat([b.subarray(0, r() % (b.length + 1)), seed.subarray(r() % (seed.length + 1))]);
      }
      check(t, b, ix, stats);
    }
    expect(stats.ok).to.be.greaterThan(10000);
    expect(stats.err).to.be.greaterThan(10000);
  });
});
