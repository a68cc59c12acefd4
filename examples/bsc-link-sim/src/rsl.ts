/**
 * A-bis RSL (3GPP TS 48.058) codec for the messages the simulator sends: MEASurement RESult (dedicated channel
 * management) carrying a 32-bit sequence number, so the receiver can detect loss and duplication.
 *
 * Where the sequence number lives: the Uplink Measurements IE (§9.3.25) is a TLV whose octets after the three
 * RXLEV/RXQUAL octets are "supplementary measurement information"; we put the sequence number (32-bit BE) there,
 * and its low 8 bits also go into the Measurement Result Number IE (§9.3.27), which is what that IE is for.
 *
 * Decoding is total: anything either decodes or raises an RslDecodeError (code + offset). The IEs are walked by
 * @osmo/ipa's table-driven TLV helper (the table below).
 */
import { TlvTable, TlvIndex, TlvDecodeError, type TlvSpec } from '@osmo/ipa/tlv';
import { RslDecodeError, RslEncodeError } from './errors.js';

export const RslMdisc = { RLL: 0x02, DCHAN: 0x08, CCHAN: 0x0c, TRX: 0x10, LOC: 0x20, IPACCESS: 0x7e } as const;

export const RslMsgType = { MEAS_RES: 0x28 } as const;

export const RslIe = {
  CHAN_NR: 0x01, BS_POWER: 0x04, L1_INFO: 0x0a, L3_INFO: 0x0b, UPLINK_MEAS: 0x19, MEAS_RES_NR: 0x1b,
  MS_TIMING_OFFSET: 0x24,
} as const;

export type RslIeFormat = TlvSpec;

/** IE table: one entry per IE used here; drives encoder and decoder. */
export const RSL_IE_FORMATS: ReadonlyMap<number, RslIeFormat> = new Map<number, RslIeFormat>([
  [RslIe.CHAN_NR, { form: 'TV', len: 1 }],
  [RslIe.BS_POWER, { form: 'TV', len: 1 }],
  [RslIe.L1_INFO, { form: 'TV', len: 2 }],
  [RslIe.L3_INFO, { form: 'TL16V' }],
  [RslIe.UPLINK_MEAS, { form: 'TLV' }],
  [RslIe.MEAS_RES_NR, { form: 'TV', len: 1 }],
  [RslIe.MS_TIMING_OFFSET, { form: 'TV', len: 1 }],
]);
const RSL_IES = new TlvTable({ ies: RSL_IE_FORMATS });

function rslIeError(e: unknown): never {
  if (!(e instanceof TlvDecodeError)) throw e;
  throw new RslDecodeError(e.code === 'ERR_TLV_UNKNOWN_TAG' ? 'ERR_RSL_IE_UNKNOWN' : 'ERR_RSL_IE_TRUNCATED', `IE ${e.detail}`, e.offset);
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
  try {
    return RSL_IES.parse(b, start).map(({ tag, value, offset }) => ({ iei: tag, value, offset }));
  } catch (e) {
    return rslIeError(e);
  }
}

export interface RslHeader { mdisc: number; transparent: boolean; msgType: number }

export function decodeRslHeader(buf: Uint8Array): RslHeader {
  if (buf.length < 2) throw new RslDecodeError('ERR_RSL_TOO_SHORT', `RSL header needs 2 bytes, got ${buf.length}`, 0);
  return { mdisc: buf[0]! & 0xfe, transparent: (buf[0]! & 1) === 1, msgType: buf[1]! };
}

/** reused by every decodeMeasResult call (synchronous, not re-entered): the walk allocates nothing */
const measIes = new TlvIndex();

/**
 * Decode a MEASurement RESult (IPA payload without the IPA header). Throws only RslDecodeError.
 * One pass over the IEs noting where the first of each lives: this runs for every message of every link, so it
 * allocates nothing but the result.
 */
export function decodeMeasResult(b: Uint8Array): MeasResult {
  if (b.length < 2) throw new RslDecodeError('ERR_RSL_TOO_SHORT', `RSL header needs 2 bytes, got ${b.length}`, 0);
  const mdisc = b[0]! & 0xfe, msgType = b[1]!;
  if (mdisc !== RslMdisc.DCHAN || msgType !== RslMsgType.MEAS_RES) {
    throw new RslDecodeError('ERR_RSL_UNSUPPORTED', `not a MEAS RES (mdisc 0x${mdisc.toString(16)} type 0x${msgType.toString(16)})`, 0);
  }
  // one walk noting where the first of each IE lives
  let ix: TlvIndex;
  try {
    ix = RSL_IES.index(b, 2, b.length, measIes);
  } catch (e) {
    return rslIeError(e);
  }
  const at = ix.valueOffset;
  const cn = at[RslIe.CHAN_NR]!, nr = at[RslIe.MEAS_RES_NR]!, ul = at[RslIe.UPLINK_MEAS]!, bs = at[RslIe.BS_POWER]!;
  const l1 = at[RslIe.L1_INFO]!, to = at[RslIe.MS_TIMING_OFFSET]!;
  const ulOff = ix.ieOffset[RslIe.UPLINK_MEAS]!, ulLen = ix.valueLength[RslIe.UPLINK_MEAS]!;
  const missing = (iei: number): RslDecodeError =>
    new RslDecodeError('ERR_RSL_IE_MISSING', `mandatory IE 0x${iei.toString(16)} missing`, b.length);
  if (cn < 0) throw missing(RslIe.CHAN_NR);
  if (nr < 0) throw missing(RslIe.MEAS_RES_NR);
  if (ul < 0) throw missing(RslIe.UPLINK_MEAS);
  if (ulLen < 7) throw new RslDecodeError('ERR_RSL_IE_INVALID', `uplink measurements of ${ulLen} bytes carry no sequence number`, ulOff);
  const seq = ((b[ul + 3]! << 24) | (b[ul + 4]! << 16) | (b[ul + 5]! << 8) | b[ul + 6]!) >>> 0;
  if ((seq & 0xff) !== b[nr]) throw new RslDecodeError('ERR_RSL_IE_INVALID', `measurement result number ${b[nr]} does not match sequence ${seq}`, ulOff);
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
