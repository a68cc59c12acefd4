/**
 * A-bis RSL (3GPP TS 48.058) codec for the messages the simulator sends: MEASurement RESult (dedicated channel
 * management) carrying a 32-bit sequence number, so the receiver can detect loss and duplication.
 *
 * Where the sequence number lives: the Uplink Measurements IE (§9.3.25) is a TLV whose octets after the three
 * RXLEV/RXQUAL octets are "supplementary measurement information"; we put the sequence number (32-bit BE) there,
 * and its low 8 bits also go into the Measurement Result Number IE (§9.3.27), which is what that IE is for.
 *
 * Decoding is total: anything either decodes or raises an RslDecodeError (code + offset).
 */

export const RslMdisc = { RLL: 0x02, DCHAN: 0x08, CCHAN: 0x0c, TRX: 0x10, LOC: 0x20, IPACCESS: 0x7e } as const;

export const RslMsgType = { MEAS_RES: 0x28 } as const;

export const RslIe = {
  CHAN_NR: 0x01, BS_POWER: 0x04, L1_INFO: 0x0a, L3_INFO: 0x0b, UPLINK_MEAS: 0x19, MEAS_RES_NR: 0x1b,
  MS_TIMING_OFFSET: 0x24,
} as const;

export type RslIeFormat = { kind: 'TV'; len: number } | { kind: 'TLV' } | { kind: 'TL16V' };

/** IE table: one entry per IE used here; drives encoder and decoder. */
export const RSL_IE_FORMATS: ReadonlyMap<number, RslIeFormat> = new Map<number, RslIeFormat>([
  [RslIe.CHAN_NR, { kind: 'TV', len: 1 }],
  [RslIe.BS_POWER, { kind: 'TV', len: 1 }],
  [RslIe.L1_INFO, { kind: 'TV', len: 2 }],
  [RslIe.L3_INFO, { kind: 'TL16V' }],
  [RslIe.UPLINK_MEAS, { kind: 'TLV' }],
  [RslIe.MEAS_RES_NR, { kind: 'TV', len: 1 }],
  [RslIe.MS_TIMING_OFFSET, { kind: 'TV', len: 1 }],
]);

export type RslDecodeErrorCode = 'RSL_TOO_SHORT' | 'RSL_UNSUPPORTED' | 'RSL_IE_UNKNOWN' | 'RSL_IE_TRUNCATED' |
  'RSL_IE_MISSING' | 'RSL_IE_INVALID';

export class RslDecodeError extends Error {
  override readonly name = 'RslDecodeError';
  constructor(readonly code: RslDecodeErrorCode, message: string, readonly offset: number) {
    super(`${message} (at offset ${offset})`);
  }
}

export class RslEncodeError extends RangeError {
  override readonly name = 'RslEncodeError';
  readonly code = 'ERR_RSL_ENCODE';
}

/** Channel Number IE: C-bits 0x01 = Bm + ACCH (TCH/F), 0x02..0x03 Lm, 0x04..0x07 SDCCH/4, 0x08..0x0f SDCCH/8. */
export function chanNr(cbits: number, tn: number): number { return ((cbits & 0x1f) << 3) | (tn & 0x07); }

export interface MeasResult {
  chanNr: number;        // Channel Number octet
  seq: number;           // 32-bit sequence number (also: Measurement Result Number = seq & 0xff)
  rxlevFull: number;     // 0..63
  rxlevSub: number;      // 0..63
  rxqualFull: number;    // 0..7
  rxqualSub: number;     // 0..7
  dtxd: boolean;
  bsPower: number;       // BS Power IE octet (power level 0..15 in the low bits)
  msPower: number;       // L1 info: MS power level 0..31
  timingAdvance: number; // L1 info: 0..63
  msTimingOffset?: number;
}

function u(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RslEncodeError(`${what} out of range: ${v}`);
}

export function encodeMeasResult(m: MeasResult): Buffer {
  u(m.chanNr, 0xff, 'chanNr'); u(m.seq, 0xffffffff, 'seq'); u(m.rxlevFull, 63, 'rxlevFull'); u(m.rxlevSub, 63, 'rxlevSub');
  u(m.rxqualFull, 7, 'rxqualFull'); u(m.rxqualSub, 7, 'rxqualSub'); u(m.bsPower, 0xff, 'bsPower');
  u(m.msPower, 31, 'msPower'); u(m.timingAdvance, 63, 'timingAdvance');
  const hasTo = m.msTimingOffset !== undefined;
  if (hasTo) u(m.msTimingOffset!, 0xff, 'msTimingOffset');
  const out = Buffer.alloc(2 + 2 + 2 + 9 + 2 + 3 + (hasTo ? 2 : 0));
  let o = 0;
  out[o++] = RslMdisc.DCHAN; out[o++] = RslMsgType.MEAS_RES;
  out[o++] = RslIe.CHAN_NR; out[o++] = m.chanNr;
  out[o++] = RslIe.MEAS_RES_NR; out[o++] = m.seq & 0xff;
  out[o++] = RslIe.UPLINK_MEAS; out[o++] = 7;
  out[o++] = (m.dtxd ? 0x40 : 0) | m.rxlevFull;
  out[o++] = m.rxlevSub;
  out[o++] = (m.rxqualFull << 3) | m.rxqualSub;
  out.writeUInt32BE(m.seq, o); o += 4;
  out[o++] = RslIe.BS_POWER; out[o++] = m.bsPower;
  out[o++] = RslIe.L1_INFO; out[o++] = m.msPower << 3; out[o++] = m.timingAdvance;
  if (hasTo) { out[o++] = RslIe.MS_TIMING_OFFSET; out[o++] = m.msTimingOffset!; }
  return out;
}

export interface RslIeValue { iei: number; value: Buffer; offset: number }

export function parseRslIes(b: Buffer, start: number): RslIeValue[] {
  const out: RslIeValue[] = [];
  let o = start;
  while (o < b.length) {
    const iei = b[o]!;
    const fmt = RSL_IE_FORMATS.get(iei);
    if (!fmt) throw new RslDecodeError('RSL_IE_UNKNOWN', `unknown IE 0x${iei.toString(16)}`, o);
    let vs: number, len: number;
    if (fmt.kind === 'TV') { vs = o + 1; len = fmt.len; }
    else if (fmt.kind === 'TLV') {
      if (o + 2 > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} length missing`, o);
      vs = o + 2; len = b[o + 1]!;
    } else {
      if (o + 3 > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} length missing`, o);
      vs = o + 3; len = b.readUInt16BE(o + 1);
    }
    if (vs + len > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} needs ${len} bytes`, o);
    out.push({ iei, value: b.subarray(vs, vs + len), offset: o });
    o = vs + len;
  }
  return out;
}

export interface RslHeader { mdisc: number; transparent: boolean; msgType: number }

export function decodeRslHeader(buf: Uint8Array): RslHeader {
  if (buf.length < 2) throw new RslDecodeError('RSL_TOO_SHORT', `RSL header needs 2 bytes, got ${buf.length}`, 0);
  return { mdisc: buf[0]! & 0xfe, transparent: (buf[0]! & 1) === 1, msgType: buf[1]! };
}

/** IE format by IEI for the hot decoder: TV value length, TLV_ or TL16V_, or 0 for an IE not in the table. */
const TLV_ = -1, TL16V_ = -2;
const IE_FMT = new Int8Array(256);
for (const [iei, f] of RSL_IE_FORMATS) IE_FMT[iei] = f.kind === 'TV' ? f.len : f.kind === 'TLV' ? TLV_ : TL16V_;

/**
 * Decode a MEASurement RESult (IPA payload without the IPA header). Throws only RslDecodeError.
 * One pass over the IEs noting where the first of each lives: this runs for every message of every link, so it
 * allocates nothing but the result.
 */
export function decodeMeasResult(b: Uint8Array): MeasResult {
  if (b.length < 2) throw new RslDecodeError('RSL_TOO_SHORT', `RSL header needs 2 bytes, got ${b.length}`, 0);
  const mdisc = b[0]! & 0xfe, msgType = b[1]!;
  if (mdisc !== RslMdisc.DCHAN || msgType !== RslMsgType.MEAS_RES) {
    throw new RslDecodeError('RSL_UNSUPPORTED', `not a MEAS RES (mdisc 0x${mdisc.toString(16)} type 0x${msgType.toString(16)})`, 0);
  }
  // value offset of the first occurrence of each IE used, -1 if absent; ulOff/ulLen: the IE's own offset and length
  let cn = -1, nr = -1, ul = -1, ulOff = -1, ulLen = 0, bs = -1, l1 = -1, to = -1;
  let o = 2;
  while (o < b.length) {
    const iei = b[o]!;
    const f = IE_FMT[iei]!;
    if (f === 0) throw new RslDecodeError('RSL_IE_UNKNOWN', `unknown IE 0x${iei.toString(16)}`, o);
    let vs: number, len: number;
    if (f > 0) { vs = o + 1; len = f; }
    else if (f === TLV_) {
      if (o + 2 > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} length missing`, o);
      vs = o + 2; len = b[o + 1]!;
    } else {
      if (o + 3 > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} length missing`, o);
      vs = o + 3; len = (b[o + 1]! << 8) | b[o + 2]!;
    }
    if (vs + len > b.length) throw new RslDecodeError('RSL_IE_TRUNCATED', `IE 0x${iei.toString(16)} needs ${len} bytes`, o);
    switch (iei) {
      case RslIe.CHAN_NR: if (cn < 0) cn = vs; break;
      case RslIe.MEAS_RES_NR: if (nr < 0) nr = vs; break;
      case RslIe.UPLINK_MEAS: if (ul < 0) { ul = vs; ulOff = o; ulLen = len; } break;
      case RslIe.BS_POWER: if (bs < 0) bs = vs; break;
      case RslIe.L1_INFO: if (l1 < 0) l1 = vs; break;
      case RslIe.MS_TIMING_OFFSET: if (to < 0) to = vs; break;
    }
    o = vs + len;
  }
  const missing = (iei: number): RslDecodeError =>
    new RslDecodeError('RSL_IE_MISSING', `mandatory IE 0x${iei.toString(16)} missing`, b.length);
  if (cn < 0) throw missing(RslIe.CHAN_NR);
  if (nr < 0) throw missing(RslIe.MEAS_RES_NR);
  if (ul < 0) throw missing(RslIe.UPLINK_MEAS);
  if (ulLen < 7) throw new RslDecodeError('RSL_IE_INVALID', `uplink measurements of ${ulLen} bytes carry no sequence number`, ulOff);
  const seq = ((b[ul + 3]! << 24) | (b[ul + 4]! << 16) | (b[ul + 5]! << 8) | b[ul + 6]!) >>> 0;
  if ((seq & 0xff) !== b[nr]) throw new RslDecodeError('RSL_IE_INVALID', `measurement result number ${b[nr]} does not match sequence ${seq}`, ulOff);
  if (bs < 0) throw missing(RslIe.BS_POWER);
  if (l1 < 0) throw missing(RslIe.L1_INFO);
  const m: MeasResult = {
    chanNr: b[cn]!, seq,
    dtxd: (b[ul]! & 0x40) !== 0, rxlevFull: b[ul]! & 0x3f, rxlevSub: b[ul + 1]! & 0x3f,
    rxqualFull: (b[ul + 2]! >> 3) & 7, rxqualSub: b[ul + 2]! & 7,
    bsPower: b[bs]!, msPower: b[l1]! >> 3, timingAdvance: b[l1 + 1]! & 0x3f,
  };
  if (to >= 0) m.msTimingOffset = b[to]!;
  return m;
}

export type MeasResultDecode = { ok: true; msg: MeasResult } | { ok: false; error: RslDecodeError };
export function tryDecodeMeasResult(buf: Uint8Array): MeasResultDecode {
  try { return { ok: true, msg: decodeMeasResult(buf) }; } catch (e) {
    if (e instanceof RslDecodeError) return { ok: false, error: e };
    throw e;
  }
}

/** A plausible measurement result for TRX traffic: channel and levels derived from the sequence number. */
export function syntheticMeasResult(seq: number): MeasResult {
  const tn = 2 + (seq % 6);   // TCH/F on timeslots 2..7
  return {
    chanNr: chanNr(0x01, tn), seq: seq >>> 0,
    rxlevFull: 20 + (seq % 30), rxlevSub: 20 + (seq % 30), rxqualFull: seq % 8, rxqualSub: seq % 8, dtxd: false,
    bsPower: 0, msPower: 5, timingAdvance: seq % 4,
  };
}
