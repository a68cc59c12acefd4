/**
 * Table-driven TLV parsing and building for the GSM/Osmocom information-element layouts: one table says how each
 * tag's element is laid out, one walk over the buffer parses them, one builder writes them. Used by the CCM
 * identity items, the NS IEs and the OML/RSL decoders of the examples.
 *
 * Forms (what follows the 1-octet tag):
 *   T      nothing (a flag)
 *   TV     a fixed-length value (`len` octets, or a function of the octets that follow for self-describing values)
 *   TLV    1-octet length, value
 *   TL16V  2-octet big-endian length, value
 *   TvLV   1-octet length with bit 8 set (7-bit length) or 2-octet length with bit 16 clear (15-bit) (TS 48.016)
 * A length-first table (`lengthFirst: 1 | 2`) reads every element as [length][tag][value] with the length
 * counting tag and value (the IPA CCM ID_GET / ID_RESP items).
 *
 * This module loads no native code: importing it (or a decoder built on it) costs no addon.
 */
import { TlvDecodeError, TlvEncodeError } from './errors.js';

export { TlvDecodeError, TlvEncodeError, type TlvDecodeErrorCode, type TlvEncodeErrorCode } from './errors.js';

/** value length computed from the octets after the tag; -1 when they cannot start a valid value */
export type TlvLengthFn = (buf: Uint8Array, valueOffset: number, end: number) => number;

export type TlvSpec =
  | { form: 'T' }
  | { form: 'TV'; len: number | TlvLengthFn }
  | { form: 'TLV' }
  | { form: 'TL16V' }
  | { form: 'TvLV' };

export interface TlvTableOptions {
  /** tag -> layout (tag-first tables) */
  ies?: Iterable<readonly [number, TlvSpec]>;
  /** layout of tags not in `ies`; 'error' (default) refuses them */
  unknown?: TlvSpec | 'error';
  /** every element is [length (1 or 2 octets, big endian)][tag][value], length = 1 + value length */
  lengthFirst?: 1 | 2;
}

/** One parsed element: its tag, the value (a view into the parsed buffer) and where the element starts. */
export interface TlvElement {
  tag: number;
  value: Buffer;
  offset: number;
}

/** An element to build. */
export interface TlvInput {
  tag: number;
  value: Uint8Array;
}

// form numbers of the compiled table (0: not in the table)
const F_NONE = 0, F_T = 1, F_TV = 2, F_TLV = 3, F_TL16V = 4, F_TVLV = 5, F_FN = 6;

function formNumber(s: TlvSpec): number {
  switch (s.form) {
    case 'T': return F_T;
    case 'TV': return typeof s.len === 'function' ? F_FN : F_TV;
    case 'TLV': return F_TLV;
    case 'TL16V': return F_TL16V;
    case 'TvLV': return F_TVLV;
  }
}

const hex2 = (t: number): string => `0x${t.toString(16).padStart(2, '0')}`;

/**
 * The first occurrence of each tag found by {@link TlvTable.index} (later repeats are skipped, as libosmocore's
 * tlv_parse does). Reusable: index() clears only what the previous parse set, so a hot decoder keeps one and
 * allocates nothing per message.
 */
export class TlvIndex {
  /** the buffer last indexed */
  buf: Uint8Array = new Uint8Array(0);
  /** value offset by tag, -1 when absent */
  readonly valueOffset = new Int32Array(256).fill(-1);
  /** value length by tag (valid when present) */
  readonly valueLength = new Int32Array(256);
  /** element (tag) offset by tag (valid when present) */
  readonly ieOffset = new Int32Array(256);
  /** @internal tags set since the last clear(), in order */
  readonly seen = new Uint8Array(256);
  /** @internal */
  n = 0;

  has(tag: number): boolean {
    return this.valueOffset[tag]! >= 0;
  }
  /** the value as a view into `buf`, or undefined */
  value(tag: number): Buffer | undefined {
    const o = this.valueOffset[tag]!;
    return o < 0 ? undefined : asBuffer(this.buf).subarray(o, o + this.valueLength[tag]!);
  }
  /** @internal */
  clear(): void {
    for (let i = 0; i < this.n; i++) this.valueOffset[this.seen[i]!] = -1;
    this.n = 0;
  }
  /** @internal */
  set(tag: number, ie: number, vOff: number, vLen: number): void {
    if (this.valueOffset[tag]! >= 0) return;
    this.valueOffset[tag] = vOff;
    this.valueLength[tag] = vLen;
    this.ieOffset[tag] = ie;
    this.seen[this.n++] = tag;
  }
}

/** A compiled element table: parse (list or index) and build. */
export class TlvTable {
  readonly #form = new Uint8Array(256);
  readonly #tvLen = new Uint16Array(256);
  readonly #fn = new Map<number, TlvLengthFn>();
  readonly #lengthFirst: 0 | 1 | 2;
  // where #step leaves its results (no object per element)
  #tag = 0;
  #vOff = 0;
  #vLen = 0;

  constructor(opts: TlvTableOptions) {
    this.#lengthFirst = opts.lengthFirst ?? 0;
    const unknown = opts.unknown ?? 'error';
    if (unknown !== 'error') for (let t = 0; t < 256; t++) this.#define(t, unknown);
    for (const [tag, spec] of opts.ies ?? []) this.#define(tag, spec);
  }

  #define(tag: number, spec: TlvSpec): void {
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xff) throw new TlvEncodeError('ERR_TLV_UNKNOWN_TAG', tag, `TLV tag must be 0..255, got ${tag}`);
    const f = formNumber(spec);
    this.#form[tag] = f;
    if (spec.form === 'TV') {
      if (typeof spec.len === 'function') this.#fn.set(tag, spec.len);
      else if (Number.isInteger(spec.len) && spec.len >= 0 && spec.len <= 0xffff) this.#tvLen[tag] = spec.len;
      else throw new TlvEncodeError('ERR_TLV_VALUE_LENGTH', tag, `TV length of tag ${hex2(tag)} must be 0..65535, got ${spec.len}`);
    }
  }

  /** true when the table has a layout for `tag` (always true for a length-first table) */
  knows(tag: number): boolean {
    return this.#lengthFirst !== 0 || this.#form[tag] !== F_NONE;
  }

  /** Parses one element at `o` (results in #tag/#vOff/#vLen); returns the offset after it. */
  #step(b: Uint8Array, o: number, end: number): number {
    let vOff: number, vLen: number;
    const lf = this.#lengthFirst;
    if (lf !== 0) {
      if (o + lf > end) throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, -1, `item length needs ${lf} bytes, have ${end - o}`);
      const len = lf === 1 ? b[o]! : (b[o]! << 8) | b[o + 1]!;
      if (len < 1) throw new TlvDecodeError('ERR_TLV_BAD_LENGTH', o, -1, 'item with length 0 (no tag)');
      if (o + lf + len > end) {
        throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, -1, `item length ${len} exceeds the ${end - o - lf} remaining bytes`);
      }
      this.#tag = b[o + lf]!;
      this.#vOff = o + lf + 1;
      this.#vLen = len - 1;
      return o + lf + len;
    }
    const tag = b[o]!;
    this.#tag = tag;
    switch (this.#form[tag]) {
      case F_T: vOff = o + 1; vLen = 0; break;
      case F_TV: vOff = o + 1; vLen = this.#tvLen[tag]!; break;
      case F_TLV:
        if (o + 2 > end) throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, tag, `tag ${hex2(tag)}: length missing`);
        vOff = o + 2; vLen = b[o + 1]!; break;
      case F_TL16V:
        if (o + 3 > end) throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, tag, `tag ${hex2(tag)}: length missing`);
        vOff = o + 3; vLen = (b[o + 1]! << 8) | b[o + 2]!; break;
      case F_TVLV: {
        if (o + 2 > end) throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, tag, `tag ${hex2(tag)}: length missing`);
        const l0 = b[o + 1]!;
        if (l0 & 0x80) { vOff = o + 2; vLen = l0 & 0x7f; }
        else {
          if (o + 3 > end) throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, tag, `tag ${hex2(tag)}: second length octet missing`);
          vOff = o + 3; vLen = (l0 << 8) | b[o + 2]!;
        }
        break;
      }
      case F_FN:
        vOff = o + 1;
        vLen = this.#fn.get(tag)!(b, vOff, end);
        if (!(vLen >= 0)) throw new TlvDecodeError('ERR_TLV_BAD_LENGTH', o, tag, `tag ${hex2(tag)}: invalid value`);
        break;
      default:
        throw new TlvDecodeError('ERR_TLV_UNKNOWN_TAG', o, tag, `unknown tag ${hex2(tag)}`);
    }
    if (vOff + vLen > end) {
      throw new TlvDecodeError('ERR_TLV_TRUNCATED', o, tag, `tag ${hex2(tag)}: value of ${vLen} bytes, ${Math.max(0, end - vOff)} left`);
    }
    this.#vOff = vOff;
    this.#vLen = vLen;
    return vOff + vLen;
  }

  /** All elements of `buf[start, end)` in order (repeats kept). Values are views into `buf`. Throws TlvDecodeError. */
  parse(buf: Uint8Array, start = 0, end = buf.length): TlvElement[] {
    const b = asBuffer(buf);
    const out: TlvElement[] = [];
    let o = start;
    while (o < end) {
      const next = this.#step(b, o, end);
      out.push({ tag: this.#tag, value: b.subarray(this.#vOff, this.#vOff + this.#vLen), offset: o });
      o = next;
    }
    return out;
  }

  /**
   * Walks `buf[start, end)` once, noting the first occurrence of each tag in `into` (a reused index allocates
   * nothing). Throws TlvDecodeError; `into` then holds the elements before the bad one.
   */
  index(buf: Uint8Array, start = 0, end = buf.length, into: TlvIndex = new TlvIndex()): TlvIndex {
    into.clear();
    into.buf = buf;
    const form = this.#form, tvLen = this.#tvLen, lf = this.#lengthFirst;
    const vo = into.valueOffset, vl = into.valueLength, io = into.ieOffset, seen = into.seen;
    let o = start;
    while (o < end) {
      // the fixed forms inline (this runs per message on receive paths); the rest through #step
      const tag = buf[o]!;
      const f = form[tag]!;
      let vOff: number, vLen: number;
      if (f === F_TV && lf === 0) { vOff = o + 1; vLen = tvLen[tag]!; }
      else if (f === F_TLV && lf === 0 && o + 2 <= end) { vOff = o + 2; vLen = buf[o + 1]!; }
      else {
        const next = this.#step(buf, o, end);
        into.set(this.#tag, o, this.#vOff, this.#vLen);
        o = next;
        continue;
      }
      if (vOff + vLen > end) this.#step(buf, o, end); // throws the same error as the general path
      if (vo[tag]! < 0) {
        vo[tag] = vOff;
        vl[tag] = vLen;
        io[tag] = o;
        seen[into.n++] = tag;
      }
      o = vOff + vLen;
    }
    return into;
  }

  /** Encoded size of one element (header + value). Throws TlvEncodeError when the value does not fit. */
  encodedLength(tag: number, valueLength: number): number {
    const lf = this.#lengthFirst;
    if (lf !== 0) {
      if (!Number.isInteger(tag) || tag < 0 || tag > 0xff) throw new TlvEncodeError('ERR_TLV_UNKNOWN_TAG', tag, `tag must be 0..255, got ${tag}`);
      if (valueLength + 1 > (lf === 1 ? 0xff : 0xffff)) {
        throw new TlvEncodeError('ERR_TLV_VALUE_LENGTH', tag, `item value of ${valueLength} bytes too long (max ${(lf === 1 ? 0xff : 0xffff) - 1})`);
      }
      return lf + 1 + valueLength;
    }
    const f = Number.isInteger(tag) && tag >= 0 && tag <= 0xff ? this.#form[tag]! : F_NONE;
    const bad = (max: string): never => {
      throw new TlvEncodeError('ERR_TLV_VALUE_LENGTH', tag, `tag ${hex2(tag)}: value of ${valueLength} bytes, ${max}`);
    };
    switch (f) {
      case F_T: if (valueLength !== 0) bad('carries no value'); return 1;
      case F_TV: if (valueLength !== this.#tvLen[tag]) bad(`needs ${this.#tvLen[tag]}`); return 1 + valueLength;
      case F_FN: return 1 + valueLength; // self-describing: the caller built the value
      case F_TLV: if (valueLength > 0xff) bad('max 255'); return 2 + valueLength;
      case F_TL16V: if (valueLength > 0xffff) bad('max 65535'); return 3 + valueLength;
      case F_TVLV: if (valueLength > 0x7fff) bad('max 32767'); return (valueLength <= 0x7f ? 2 : 3) + valueLength;
      default: throw new TlvEncodeError('ERR_TLV_UNKNOWN_TAG', tag, `unknown tag ${String(tag)}`);
    }
  }

  /** Writes one element at `off` of `out` (which must have room, see encodedLength); returns the offset after it. */
  write(out: Buffer, off: number, tag: number, value: Uint8Array): number {
    const n = this.encodedLength(tag, value.length);
    const lf = this.#lengthFirst;
    let o = off;
    if (lf === 1) { out[o++] = value.length + 1; out[o++] = tag; }
    else if (lf === 2) { out[o++] = (value.length + 1) >> 8; out[o++] = (value.length + 1) & 0xff; out[o++] = tag; }
    else {
      out[o++] = tag;
      switch (this.#form[tag]) {
        case F_TLV: out[o++] = value.length; break;
        case F_TL16V: out[o++] = value.length >> 8; out[o++] = value.length & 0xff; break;
        case F_TVLV:
          if (value.length <= 0x7f) out[o++] = 0x80 | value.length; // the 1-octet form when it fits, as libosmocore sends
          else { out[o++] = value.length >> 8; out[o++] = value.length & 0xff; }
          break;
        default: break;
      }
    }
    out.set(value, o);
    return off + n;
  }

  /** Builds `ies` in order into one new Buffer. Throws TlvEncodeError. */
  encode(ies: readonly TlvInput[]): Buffer {
    let n = 0;
    for (const ie of ies) n += this.encodedLength(ie.tag, ie.value.length);
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    for (const ie of ies) o = this.write(out, o, ie.tag, ie.value);
    return out;
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
