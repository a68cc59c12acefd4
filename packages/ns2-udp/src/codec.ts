/**
 * NS PDU codec (TS 48.016 clause 9/10 as libosmogb encodes it): `encodeNs(pdu)` and `decodeNs(buf)` over typed
 * PDU objects whose `type` is upstream's PDU name. The decoder is total: any byte string yields a PDU or an
 * NsDecodeError (never a RangeError); `tryDecodeNs` returns the error instead of throwing (the receive path).
 */
import { NsCause, NsIe, NsPduType, PDU_NAMES, PDU_TYPES, IE_NAMES, pduName, type NsPduName } from './constants.js';
import { NsDecodeError, NsError, type NsDecodeErrorCode } from './errors.js';
import { decodeElements, encodeElements, IPV4_ELEMENT_LEN, IPV6_ELEMENT_LEN, type IpElement } from './elements.js';
import { bytesToIp, ipToBytes, type IpFamily } from './ip.js';
import { TlvTable, TlvIndex, TlvDecodeError, TlvEncodeError } from '@osmo/ipa/tlv';

export type { IpElement } from './elements.js';

export interface IpAddress { family: IpFamily; address: string }

export interface NsUnitdata { type: 'NS-UNITDATA'; sduControl: number; bvci: number; sdu: Buffer }
export interface NsReset { type: 'NS-RESET'; cause: number; nsvci: number; nsei: number }
export interface NsResetAck { type: 'NS-RESET-ACK'; nsvci: number; nsei: number }
export interface NsBlock { type: 'NS-BLOCK'; cause: number; nsvci: number }
export interface NsBlockAck { type: 'NS-BLOCK-ACK'; nsvci: number }
export interface NsBare { type: 'NS-UNBLOCK' | 'NS-UNBLOCK-ACK' | 'NS-ALIVE' | 'NS-ALIVE-ACK' }
/** NS-STATUS: Cause plus the conditional IEs (which ones a cause needs is checked by the NS-VC, not here) */
export interface NsStatus {
  type: 'NS-STATUS'; cause: number; nsvci?: number; pdu?: Buffer; bvci?: number; ipv4?: IpElement[]; ipv6?: IpElement[];
}
export interface SnsAck {
  type: 'SNS-ACK'; nsei: number; transId: number; cause?: number; ipv4?: IpElement[]; ipv6?: IpElement[];
}
export interface SnsAdd { type: 'SNS-ADD' | 'SNS-CHANGEWEIGHT'; nsei: number; transId: number; ipv4?: IpElement[]; ipv6?: IpElement[] }
export interface SnsDelete {
  type: 'SNS-DELETE'; nsei: number; transId: number; ipv4?: IpElement[]; ipv6?: IpElement[]; ipAddress?: IpAddress;
}
export interface SnsConfig { type: 'SNS-CONFIG'; endFlag: boolean; nsei: number; ipv4?: IpElement[]; ipv6?: IpElement[] }
export interface SnsConfigAck { type: 'SNS-CONFIG-ACK'; nsei: number; cause?: number }
/**
 * SNS-SIZE. Reset flag and Max NS-VCs are mandatory on the wire, but an SGSN answers their absence with
 * SIZE-ACK cause 0x0d for the NSEI, so a decoded SIZE may lack them.
 */
export interface SnsSize {
  type: 'SNS-SIZE'; nsei: number; resetFlag?: boolean; maxNsvcs?: number; ipv4Count?: number; ipv6Count?: number;
}
export interface SnsSizeAck { type: 'SNS-SIZE-ACK'; nsei: number; cause?: number }

export type NsPdu =
  | NsUnitdata | NsReset | NsResetAck | NsBlock | NsBlockAck | NsBare | NsStatus
  | SnsAck | SnsAdd | SnsDelete | SnsConfig | SnsConfigAck | SnsSize | SnsSizeAck;

// ---------------------------------------------------------------------------------------------------------------
// decoding

/** IP Address IE (10.3.2b): address type 1 (IPv4) or 2 (IPv6), then the address; -1 for another type */
function ipAddrLength(b: Uint8Array, v: number, end: number): number {
  if (v >= end) return 1; // no address type: reported as running past the end
  const at = b[v]!;
  return at === 1 ? 5 : at === 2 ? 17 : -1;
}

/** The NS IE layouts (TS 48.016 10.3): TvLV unless listed, unknown IEIs skipped by their length. */
const NS_IES = new TlvTable({
  unknown: { form: 'TvLV' },
  ies: [
    [NsIe.RESET_FLAG, { form: 'TV', len: 1 }],
    [NsIe.MAX_NR_NSVC, { form: 'TV', len: 2 }],
    [NsIe.IPv4_EP_NR, { form: 'TV', len: 2 }],
    [NsIe.IPv6_EP_NR, { form: 'TV', len: 2 }],
    [NsIe.IP_ADDR, { form: 'TV', len: ipAddrLength }],
  ],
});

/** value offsets/lengths by IEI (first occurrence wins, as tlv_parse); -1 = absent */
class Ies {
  readonly off: Int32Array;
  readonly len: Int32Array;
  constructor(readonly buf: Buffer, readonly pdu: string, ix: TlvIndex) {
    this.off = ix.valueOffset;
    this.len = ix.valueLength;
  }
  has(iei: number): boolean { return this.off[iei]! >= 0; }
  fail(code: NsDecodeErrorCode, iei: number, off: number, detail: string): never {
    throw new NsDecodeError(code, this.pdu, IE_NAMES.get(iei) ?? `0x${iei.toString(16)}`, off, detail);
  }
  /** a mandatory IE of at least `min` bytes */
  need(iei: number, min: number): number {
    const o = this.off[iei]!;
    if (o < 0) this.fail('ERR_NS_MISSING_IE', iei, this.buf.length, 'missing');
    if (this.len[iei]! < min) this.fail('ERR_NS_INVALID_IE', iei, o, `length ${this.len[iei]} < ${min}`);
    return o;
  }
  u8(iei: number): number { return this.buf[this.need(iei, 1)]!; }
  u16(iei: number): number { return this.buf.readUInt16BE(this.need(iei, 2)); }
  optU8(iei: number): number | undefined { return this.has(iei) ? this.u8(iei) : undefined; }
  optU16(iei: number): number | undefined { return this.has(iei) ? this.u16(iei) : undefined; }
  value(iei: number): Buffer { const o = this.off[iei]!; return this.buf.subarray(o, o + this.len[iei]!); }
  list(iei: number, family: IpFamily): IpElement[] | undefined {
    if (!this.has(iei)) return undefined;
    const size = family === 'IPv4' ? IPV4_ELEMENT_LEN : IPV6_ELEMENT_LEN;
    if (this.len[iei]! % size !== 0) this.fail('ERR_NS_INVALID_IE', iei, this.off[iei]!, `length ${this.len[iei]} is not n x ${size}`);
    return decodeElements(this.value(iei), family);
  }
}

/** reused by every slow-path decode (synchronous, not re-entered) */
const nsIndex = new TlvIndex();

function parseIes(buf: Buffer, start: number, pdu: string): Ies {
  try {
    return new Ies(buf, pdu, NS_IES.index(buf, start, buf.length, nsIndex));
  } catch (e) {
    if (!(e instanceof TlvDecodeError)) throw e;
    const ie = IE_NAMES.get(e.tag) ?? `0x${e.tag.toString(16)}`;
    // the only bad length the table reports: an IP Address IE with an unknown address type
    if (e.code === 'ERR_TLV_BAD_LENGTH') throw new NsDecodeError('ERR_NS_INVALID_IE', pdu, ie, e.offset + 1, `address type ${buf[e.offset + 1]}`);
    throw new NsDecodeError('ERR_NS_TRUNCATED', pdu, ie, e.offset, e.detail);
  }
}

function ipAddress(ies: Ies): IpAddress | undefined {
  if (!ies.has(NsIe.IP_ADDR)) return undefined;
  const o = ies.off[NsIe.IP_ADDR]!;
  const family: IpFamily = ies.buf[o] === 1 ? 'IPv4' : 'IPv6';
  return { family, address: bytesToIp(ies.buf, o + 1, family) };
}

/** SNS-ACK/ADD/CHANGEWEIGHT/DELETE: `04 82 hi lo` NSEI then the bare transaction id, then TLVs (upstream's fixed layout) */
function transHeader(buf: Buffer, pdu: string): { nsei: number; transId: number; ies: Ies } {
  if (buf.length < 6) throw new NsDecodeError('ERR_NS_TRUNCATED', pdu, 'NSEI', buf.length, 'NSEI and transaction id need 5 octets');
  if (buf[1] !== NsIe.NSEI || buf[2] !== 0x82)
    throw new NsDecodeError('ERR_NS_INVALID_IE', pdu, 'NSEI', 1, 'expected NSEI IE with 1-octet length 2 at the start');
  return { nsei: buf.readUInt16BE(3), transId: buf[5]!, ies: parseIes(buf, 6, pdu) };
}

function bare(buf: Buffer, type: NsBare['type']): NsBare {
  if (buf.length !== 1) throw new NsDecodeError('ERR_NS_LENGTH', type, undefined, 1, `${type} must be 1 octet, got ${buf.length}`);
  return { type };
}

function decodeSlow(buf: Buffer): NsPdu {
  if (buf.length === 0) throw new NsDecodeError('ERR_NS_EMPTY', undefined, undefined, 0, 'empty PDU');
  const t = buf[0]!;
  const name = PDU_NAMES.get(t);
  if (name === undefined) throw new NsDecodeError('ERR_NS_UNKNOWN_PDU', pduName(t), undefined, 0, 'unknown PDU type');
  switch (t) {
    case NsPduType.UNITDATA:
      if (buf.length < 4) throw new NsDecodeError('ERR_NS_TRUNCATED', name, 'BVCI', buf.length, 'NS-UNITDATA header needs 4 octets');
      return { type: 'NS-UNITDATA', sduControl: buf[1]!, bvci: (buf[2]! << 8) | buf[3]!, sdu: buf.subarray(4) };
    case NsPduType.RESET: {
      const ies = parseIes(buf, 1, name);
      return { type: 'NS-RESET', cause: ies.u8(NsIe.CAUSE), nsvci: ies.u16(NsIe.VCI), nsei: ies.u16(NsIe.NSEI) };
    }
    case NsPduType.RESET_ACK: {
      const ies = parseIes(buf, 1, name);
      return { type: 'NS-RESET-ACK', nsvci: ies.u16(NsIe.VCI), nsei: ies.u16(NsIe.NSEI) };
    }
    case NsPduType.BLOCK: {
      const ies = parseIes(buf, 1, name);
      return { type: 'NS-BLOCK', cause: ies.u8(NsIe.CAUSE), nsvci: ies.u16(NsIe.VCI) };
    }
    case NsPduType.BLOCK_ACK: {
      const ies = parseIes(buf, 1, name);
      return { type: 'NS-BLOCK-ACK', nsvci: ies.u16(NsIe.VCI) };
    }
    case NsPduType.UNBLOCK: return bare(buf, 'NS-UNBLOCK');
    case NsPduType.UNBLOCK_ACK: return bare(buf, 'NS-UNBLOCK-ACK');
    case NsPduType.ALIVE: return bare(buf, 'NS-ALIVE');
    case NsPduType.ALIVE_ACK: return bare(buf, 'NS-ALIVE-ACK');
    case NsPduType.STATUS: {
      const ies = parseIes(buf, 1, name);
      const s: NsStatus = { type: 'NS-STATUS', cause: ies.u8(NsIe.CAUSE) };
      if (ies.has(NsIe.VCI)) s.nsvci = ies.u16(NsIe.VCI);
      if (ies.has(NsIe.PDU)) s.pdu = ies.value(NsIe.PDU);
      if (ies.has(NsIe.BVCI)) s.bvci = ies.u16(NsIe.BVCI);
      const v4 = ies.list(NsIe.IPv4_LIST, 'IPv4'), v6 = ies.list(NsIe.IPv6_LIST, 'IPv6');
      if (v4) s.ipv4 = v4;
      if (v6) s.ipv6 = v6;
      return s;
    }
    case NsPduType.SNS_ACK: {
      const { nsei, transId, ies } = transHeader(buf, name);
      const a: SnsAck = { type: 'SNS-ACK', nsei, transId };
      const cause = ies.optU8(NsIe.CAUSE);
      if (cause !== undefined) a.cause = cause;
      return withLists(a, ies);
    }
    case NsPduType.SNS_ADD:
    case NsPduType.SNS_CHANGEWEIGHT: {
      const { nsei, transId, ies } = transHeader(buf, name);
      const a = withLists<SnsAdd>({ type: name as SnsAdd['type'], nsei, transId }, ies);
      if (!a.ipv4 && !a.ipv6) ies.fail('ERR_NS_MISSING_IE', NsIe.IPv4_LIST, buf.length, 'needs an IPv4 or IPv6 list');
      return a;
    }
    case NsPduType.SNS_DELETE: {
      const { nsei, transId, ies } = transHeader(buf, name);
      const d = withLists<SnsDelete>({ type: 'SNS-DELETE', nsei, transId }, ies);
      const ip = ipAddress(ies);
      if (ip) d.ipAddress = ip;
      if (!d.ipv4 && !d.ipv6 && !ip) ies.fail('ERR_NS_MISSING_IE', NsIe.IP_ADDR, buf.length, 'needs a list or an IP Address');
      return d;
    }
    case NsPduType.SNS_CONFIG: {
      if (buf.length < 2) throw new NsDecodeError('ERR_NS_TRUNCATED', name, 'End Flag', 1, 'no end flag');
      const ies = parseIes(buf, 2, name);
      return withLists<SnsConfig>({ type: 'SNS-CONFIG', endFlag: (buf[1]! & 1) === 1, nsei: ies.u16(NsIe.NSEI) }, ies);
    }
    case NsPduType.SNS_CONFIG_ACK:
    case NsPduType.SNS_SIZE_ACK: {
      const ies = parseIes(buf, 1, name);
      const a: SnsConfigAck | SnsSizeAck = { type: name as 'SNS-CONFIG-ACK', nsei: ies.u16(NsIe.NSEI) };
      const cause = ies.optU8(NsIe.CAUSE);
      if (cause !== undefined) a.cause = cause;
      return a;
    }
    case NsPduType.SNS_SIZE: {
      const ies = parseIes(buf, 1, name);
      const s: SnsSize = { type: 'SNS-SIZE', nsei: ies.u16(NsIe.NSEI) };
      const reset = ies.optU8(NsIe.RESET_FLAG);
      if (reset !== undefined) s.resetFlag = (reset & 1) === 1;
      const max = ies.optU16(NsIe.MAX_NR_NSVC), n4 = ies.optU16(NsIe.IPv4_EP_NR), n6 = ies.optU16(NsIe.IPv6_EP_NR);
      if (max !== undefined) s.maxNsvcs = max;
      if (n4 !== undefined) s.ipv4Count = n4;
      if (n6 !== undefined) s.ipv6Count = n6;
      return s;
    }
  }
  /* c8 ignore next */
  throw new NsDecodeError('ERR_NS_UNKNOWN_PDU', name, undefined, 0, 'unknown PDU type');
}

function withLists<T extends { ipv4?: IpElement[]; ipv6?: IpElement[] }>(o: T, ies: Ies): T {
  const v4 = ies.list(NsIe.IPv4_LIST, 'IPv4'), v6 = ies.list(NsIe.IPv6_LIST, 'IPv6');
  if (v4) o.ipv4 = v4;
  if (v6) o.ipv6 = v6;
  return o;
}

/**
 * Decode one NS PDU (a whole UDP payload). NS-UNITDATA takes a hand-written fast path (four octets, no
 * allocation but the result object and the SDU view; see the README for the binary-parser comparison).
 * The SDU is a view into `buf`.
 */
export function decodeNs(buf: Buffer): NsPdu {
  if (buf.length >= 4 && buf[0] === NsPduType.UNITDATA)
    return { type: 'NS-UNITDATA', sduControl: buf[1]!, bvci: (buf[2]! << 8) | buf[3]!, sdu: buf.subarray(4) };
  try {
    return decodeSlow(buf);
  } catch (e) {
    if (e instanceof NsDecodeError) throw e;
    // a decoder bug must still surface as the typed error (the codec is total)
    throw new NsDecodeError('ERR_NS_INVALID_IE', buf.length ? pduName(buf[0]!) : undefined, undefined, 0, String(e));
  }
}

/** decodeNs without throwing: the PDU or the NsDecodeError */
export function tryDecodeNs(buf: Buffer): NsPdu | NsDecodeError {
  try {
    return decodeNs(buf);
  } catch (e) {
    return e as NsDecodeError;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// encoding

class Writer {
  private parts: Buffer[] = [];
  private bytes: number[] = [];
  flushBytes(): void { if (this.bytes.length) { this.parts.push(Buffer.from(this.bytes)); this.bytes = []; } }
  u8(v: number): this { this.bytes.push(checkRange(v, 0xff)); return this; }
  u16(v: number): this { checkRange(v, 0xffff); this.bytes.push(v >> 8, v & 0xff); return this; }
  raw(b: Buffer): this { this.flushBytes(); this.parts.push(b); return this; }
  /** one IE as the table lays it out (TvLV: the 1-octet length form when it fits, as libosmogb sends) */
  tlv(iei: number, value: Buffer): this {
    let ie: Buffer;
    try {
      ie = NS_IES.encode([{ tag: iei, value }]);
    } catch (e) {
      if (!(e instanceof TlvEncodeError)) throw e;
      throw new NsError('ERR_NS_ENCODE', `IE ${iei}: ${e.message}`);
    }
    return this.raw(ie);
  }
  tlv8(iei: number, v: number): this { return this.tlv(iei, Buffer.from([checkRange(v, 0xff)])); }
  tlv16(iei: number, v: number): this { checkRange(v, 0xffff); return this.tlv(iei, Buffer.from([v >> 8, v & 0xff])); }
  done(): Buffer { this.flushBytes(); return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts); }
}

function checkRange(v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new NsError('ERR_NS_ENCODE', `value ${v} out of range 0..${max}`);
  return v;
}

function lists(w: Writer, o: { ipv4?: readonly IpElement[]; ipv6?: readonly IpElement[] }): void {
  if (o.ipv4) w.tlv(NsIe.IPv4_LIST, encodeElements(o.ipv4, 'IPv4'));
  if (o.ipv6) w.tlv(NsIe.IPv6_LIST, encodeElements(o.ipv6, 'IPv6'));
}

/** NS-UNITDATA without building an object: header + SDU in one new Buffer */
export function encodeUnitdata(bvci: number, sdu: Buffer, sduControl = 0): Buffer {
  const out = Buffer.allocUnsafe(4 + sdu.length);
  out[0] = NsPduType.UNITDATA;
  out[1] = sduControl;
  out[2] = bvci >> 8;
  out[3] = bvci & 0xff;
  sdu.copy(out, 4);
  return out;
}

/** Encode a PDU. Throws NsError (a RangeError, code ERR_NS_ENCODE) for values that do not fit their IE. */
export function encodeNs(pdu: NsPdu): Buffer {
  const t = PDU_TYPES.get(pdu.type);
  if (t === undefined) throw new NsError('ERR_INVALID_ARG_VALUE', `unknown NS PDU type ${String((pdu as { type: unknown }).type)}`);
  if (pdu.type === 'NS-UNITDATA') {
    checkRange(pdu.bvci, 0xffff); checkRange(pdu.sduControl, 0xff);
    return encodeUnitdata(pdu.bvci, pdu.sdu, pdu.sduControl);
  }
  const w = new Writer().u8(t);
  switch (pdu.type) {
    case 'NS-RESET':
      w.tlv8(NsIe.CAUSE, pdu.cause).tlv16(NsIe.VCI, pdu.nsvci).tlv16(NsIe.NSEI, pdu.nsei); break;
    case 'NS-RESET-ACK':
      w.tlv16(NsIe.VCI, pdu.nsvci).tlv16(NsIe.NSEI, pdu.nsei); break;
    case 'NS-BLOCK':
      w.tlv8(NsIe.CAUSE, pdu.cause).tlv16(NsIe.VCI, pdu.nsvci); break;
    case 'NS-BLOCK-ACK':
      w.tlv16(NsIe.VCI, pdu.nsvci); break;
    case 'NS-UNBLOCK': case 'NS-UNBLOCK-ACK': case 'NS-ALIVE': case 'NS-ALIVE-ACK':
      break;
    case 'NS-STATUS':
      w.tlv8(NsIe.CAUSE, pdu.cause);
      if (pdu.nsvci !== undefined) w.tlv16(NsIe.VCI, pdu.nsvci);
      if (pdu.pdu !== undefined) w.tlv(NsIe.PDU, pdu.pdu);
      if (pdu.bvci !== undefined) w.tlv16(NsIe.BVCI, pdu.bvci);
      lists(w, pdu);
      break;
    case 'SNS-ACK':
      w.tlv16(NsIe.NSEI, pdu.nsei).u8(pdu.transId);
      if (pdu.cause !== undefined) w.tlv8(NsIe.CAUSE, pdu.cause);
      lists(w, pdu);
      break;
    case 'SNS-ADD': case 'SNS-CHANGEWEIGHT':
      w.tlv16(NsIe.NSEI, pdu.nsei).u8(pdu.transId);
      lists(w, pdu);
      break;
    case 'SNS-DELETE':
      w.tlv16(NsIe.NSEI, pdu.nsei).u8(pdu.transId);
      lists(w, pdu);
      if (pdu.ipAddress) {
        w.u8(NsIe.IP_ADDR).u8(pdu.ipAddress.family === 'IPv4' ? 1 : 2).raw(ipToBytes(pdu.ipAddress.address, pdu.ipAddress.family));
      }
      break;
    case 'SNS-CONFIG':
      w.u8(pdu.endFlag ? 1 : 0).tlv16(NsIe.NSEI, pdu.nsei);
      lists(w, pdu);
      break;
    case 'SNS-CONFIG-ACK': case 'SNS-SIZE-ACK':
      w.tlv16(NsIe.NSEI, pdu.nsei);
      if (pdu.cause !== undefined) w.tlv8(NsIe.CAUSE, pdu.cause);
      break;
    case 'SNS-SIZE':
      w.tlv16(NsIe.NSEI, pdu.nsei);
      if (pdu.resetFlag !== undefined) w.u8(NsIe.RESET_FLAG).u8(pdu.resetFlag ? 1 : 0);
      if (pdu.maxNsvcs !== undefined) w.u8(NsIe.MAX_NR_NSVC).u16(pdu.maxNsvcs);
      if (pdu.ipv4Count !== undefined) w.u8(NsIe.IPv4_EP_NR).u16(pdu.ipv4Count);
      if (pdu.ipv6Count !== undefined) w.u8(NsIe.IPv6_EP_NR).u16(pdu.ipv6Count);
      break;
  }
  return w.done();
}

export { NsCause };
export type { NsPduName };
