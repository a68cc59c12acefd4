/**
 * A-bis OML (3GPP TS 12.21 / 52.021) codec for the messages a BTS and a BSC exchange during bring-up,
 * including the ip.access manufacturer-specific ones osmo-bsc sends (RSL Connect, Set NV Attributes).
 *
 * Layout of an OML message (the payload of an IPA frame with proto 0xFF):
 *   mdisc(1) placement(1) sequence(1) length(1) [manufacturer label: len(1) + bytes, mdisc 0x10 only]
 *   FOM: msgType(1) objClass(1) objInst(3: bts, trx, ts) attributes...
 * `length` counts the FOM bytes (after the manufacturer label).
 *
 * Decoding is total: any byte string either decodes or raises an OmlDecodeError (code + offset); attributes are
 * kept as raw bytes (so an acknowledgement can echo them exactly) and parsed on demand with the attribute table
 * below (run by @osmo/ipa's table-driven TLV helper, which loads no native code).
 */
import { TlvTable, TlvDecodeError, TlvEncodeError, type TlvSpec } from '@osmo/ipa/tlv';
import { OmlDecodeError, OmlEncodeError } from './errors.js';

export const OmlMdisc = { FOM: 0x80, MMI: 0x40, TRAU: 0x20, MANUF: 0x10 } as const;
export const OML_PLACEMENT_ONLY = 0x80;
export const IPACCESS_MANUF_ID = 'com.ipaccess';

/** Message types used here (TS 12.21 §8.x; ip.access extensions 0xe0.., 0xf5..). ACK = type + 1, NACK = type + 2. */
export const OmlMsgType = {
  SW_ACT_REP: 0x10,
  SET_BTS_ATTR: 0x41, SET_BTS_ATTR_ACK: 0x42, SET_BTS_ATTR_NACK: 0x43,
  SET_RADIO_ATTR: 0x44, SET_RADIO_ATTR_ACK: 0x45, SET_RADIO_ATTR_NACK: 0x46,
  SET_CHAN_ATTR: 0x47, SET_CHAN_ATTR_ACK: 0x48, SET_CHAN_ATTR_NACK: 0x49,
  STATECHG_EVENT_REP: 0x61,
  FAILURE_EVENT_REP: 0x62,
  CHG_ADM_STATE: 0x69, CHG_ADM_STATE_ACK: 0x6a, CHG_ADM_STATE_NACK: 0x6b,
  OPSTART: 0x74, OPSTART_ACK: 0x75, OPSTART_NACK: 0x76,
  GET_ATTR: 0x81, GET_ATTR_RESP: 0x82,
  IPACC_RSL_CONNECT: 0xe0, IPACC_RSL_CONNECT_ACK: 0xe1, IPACC_RSL_CONNECT_NACK: 0xe2,
  IPACC_SET_NVATTR: 0xf5, IPACC_SET_NVATTR_ACK: 0xf6, IPACC_SET_NVATTR_NACK: 0xf7,
} as const;

const MSG_TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(OmlMsgType).map(([k, v]) => [v, k]));
export function omlMsgTypeName(t: number): string {
  return MSG_TYPE_NAMES.get(t) ?? `0x${t.toString(16).padStart(2, '0')}`;
}

/** Procedures the BSC initiates that a BTS acknowledges with type + 1 (NACK type + 2). */
export function isAckableRequest(t: number): boolean {
  return t === OmlMsgType.SET_BTS_ATTR || t === OmlMsgType.SET_RADIO_ATTR || t === OmlMsgType.SET_CHAN_ATTR ||
    t === OmlMsgType.CHG_ADM_STATE || t === OmlMsgType.OPSTART || t === OmlMsgType.IPACC_RSL_CONNECT ||
    t === OmlMsgType.IPACC_SET_NVATTR;
}

export const OmlObjClass = {
  SITE_MGR: 0x00, BTS: 0x01, RADIO_CARRIER: 0x02, CHANNEL: 0x03, BASEB_TRANSC: 0x04,
  GPRS_NSE: 0xf0, GPRS_CELL: 0xf1, GPRS_NSVC: 0xf2,
} as const;
const OBJ_CLASS_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(OmlObjClass).map(([k, v]) => [v, k]));
export function omlObjClassName(c: number): string {
  return OBJ_CLASS_NAMES.get(c) ?? `0x${c.toString(16).padStart(2, '0')}`;
}

export const OmlOperState = { NULL: 0x00, DISABLED: 0x01, ENABLED: 0x02 } as const;
export const OmlAdmState = { LOCKED: 0x01, UNLOCKED: 0x02, SHUTDOWN: 0x03, NULL: 0xff } as const;
/** Availability status as osmo-bts encodes it (one value; OK is 0xff). */
export const OmlAvail = { IN_TEST: 0, FAILED: 1, POWER_OFF: 2, OFF_LINE: 3, DEPENDENCY: 5, DEGRADED: 6, NOT_INSTALLED: 7, OK: 0xff } as const;

/** Attribute identifiers (TS 12.21 §9.4 and ip.access/Osmocom extensions). */
export const OmlAttr = {
  ADD_INFO: 0x02, ADD_TEXT: 0x03, ADM_STATE: 0x04, ARFCN_LIST: 0x05, AUTON_REPORT: 0x06, AVAIL_STATUS: 0x07,
  BCCH_ARFCN: 0x08, BSIC: 0x09, BTS_AIR_TIMER: 0x0a, CCCH_L_I_P: 0x0b, CCCH_L_T: 0x0c, CHAN_COMB: 0x0d,
  CONN_FAIL_CRIT: 0x0e, DEST: 0x0f, EVENT_TYPE: 0x11, FILE_ID: 0x12, FILE_VERSION: 0x13, GSM_TIME: 0x14, HSN: 0x15,
  HW_CONFIG: 0x16, HW_DESC: 0x17, INTAVE_PARAM: 0x18, INTERF_BOUND: 0x19, LIST_REQ_ATTR: 0x1a, MAIO: 0x1b,
  MANUF_STATE: 0x1c, MANUF_THRESH: 0x1d, MANUF_ID: 0x1e, MAX_TA: 0x1f, MDROP_LINK: 0x20, MDROP_NEXT: 0x21,
  NACK_CAUSES: 0x22, NY1: 0x23, OPER_STATE: 0x24, OVERL_PERIOD: 0x25, PHYS_CONF: 0x26, POWER_CLASS: 0x27,
  POWER_THRESH: 0x28, PROB_CAUSE: 0x29, RACH_B_THRESH: 0x2a, LDAVG_SLOTS: 0x2b, RAD_SUBC: 0x2c, RF_MAXPOWR_R: 0x2d,
  SITE_INPUTS: 0x2e, SPEC_PROB: 0x2f, START_TIME: 0x32, T200: 0x33, TEI: 0x34, TEST_DUR: 0x35, TEST_NO: 0x36,
  TEST_REPORT: 0x37, VSWR_THRESH: 0x38, WINDOW_SIZE: 0x39, TSC: 0x40, SW_CONFIG: 0x41, SW_DESCR: 0x42,
  SEVERITY: 0x43, GET_ARI: 0x44, HW_CONF_CHG: 0x45, OUTST_ALARM: 0x46, MEAS_RES: 0x48, MEAS_TYPE: 0x49,
  IPACC_DST_IP: 0x80, IPACC_DST_IP_PORT: 0x81, IPACC_SSRC: 0x82, IPACC_RTP_PAYLOAD: 0x83, IPACC_BASEB_ID: 0x84,
  IPACC_STREAM_ID: 0x85, IPACC_NV_FLAGS: 0x86, IPACC_FREQ_CTRL: 0x87, IPACC_PRIM_OML_CFG: 0x88,
  IPACC_SEC_OML_CFG: 0x89, IPACC_IP_IF_CFG: 0x8a, IPACC_IP_GW_CFG: 0x8b, IPACC_IN_SERV_TIME: 0x8c,
  IPACC_TRX_BTS_ASS: 0x8d, IPACC_LOCATION: 0x8e, IPACC_PAGING_CFG: 0x8f, IPACC_FILE_DATA: 0x90,
  IPACC_UNIT_ID: 0x91, IPACC_PARENT_UNIT_ID: 0x92, IPACC_UNIT_NAME: 0x93, IPACC_SNMP_CFG: 0x94,
  IPACC_PRIM_OML_CFG_LIST: 0x95, IPACC_PRIM_OML_FB_TOUT: 0x96, IPACC_CUR_SW_CFG: 0x97, IPACC_TIMING_BUS: 0x98,
  IPACC_CGI: 0x99, IPACC_RAC: 0x9a, IPACC_OBJ_VERSION: 0x9b, IPACC_GPRS_PAGING_CFG: 0x9c, IPACC_NSEI: 0x9d,
  IPACC_BVCI: 0x9e, IPACC_NSVCI: 0x9f, IPACC_NS_CFG: 0xa0, IPACC_BSSGP_CFG: 0xa1, IPACC_NS_LINK_CFG: 0xa2,
  IPACC_RLC_CFG: 0xa3, IPACC_ALM_THRESH_LIST: 0xa4, IPACC_MONIT_VAL_LIST: 0xa5, IPACC_TIB_CONTROL: 0xa6,
  IPACC_SUPP_FEATURES: 0xa7, IPACC_CODING_SCHEMES: 0xa8, IPACC_RLC_CFG_2: 0xa9, IPACC_HEARTB_TOUT: 0xaa,
  IPACC_UPTIME: 0xab, IPACC_RLC_CFG_3: 0xac, IPACC_SSL_CFG: 0xad, IPACC_SEC_POSSIBLE: 0xae,
  IPACC_IML_SSL_STATE: 0xaf, IPACC_REVOC_DATE: 0xb0,
} as const;

/** How an attribute is laid out: tag-only, fixed-length value, or a length-prefixed value (8- or 16-bit length). */
export type OmlAttrFormat = TlvSpec;

const T: TlvSpec = { form: 'T' };
const TL16V: TlvSpec = { form: 'TL16V' };
const TV = (len: number): TlvSpec => ({ form: 'TV', len });

/** The attribute table (the upstream pattern: one table drives both encoder and decoder). */
export const OML_ATTR_FORMATS: ReadonlyMap<number, TlvSpec> = new Map<number, TlvSpec>([
  [OmlAttr.ADD_INFO, TL16V], [OmlAttr.ADD_TEXT, TL16V], [OmlAttr.ADM_STATE, TV(1)], [OmlAttr.ARFCN_LIST, TL16V],
  [OmlAttr.AUTON_REPORT, TV(1)], [OmlAttr.AVAIL_STATUS, TL16V], [OmlAttr.BCCH_ARFCN, TV(2)], [OmlAttr.BSIC, TV(1)],
  [OmlAttr.BTS_AIR_TIMER, TV(1)], [OmlAttr.CCCH_L_I_P, TV(1)], [OmlAttr.CCCH_L_T, TV(1)], [OmlAttr.CHAN_COMB, TV(1)],
  [OmlAttr.CONN_FAIL_CRIT, TL16V], [OmlAttr.DEST, TL16V], [OmlAttr.EVENT_TYPE, TV(1)], [OmlAttr.FILE_ID, TL16V],
  [OmlAttr.FILE_VERSION, TL16V], [OmlAttr.GSM_TIME, TV(2)], [OmlAttr.HSN, TV(1)], [OmlAttr.HW_CONFIG, TL16V],
  [OmlAttr.HW_DESC, TL16V], [OmlAttr.INTAVE_PARAM, TV(1)], [OmlAttr.INTERF_BOUND, TV(6)],
  [OmlAttr.LIST_REQ_ATTR, TL16V], [OmlAttr.MAIO, TV(1)], [OmlAttr.MANUF_STATE, TV(1)],
  [OmlAttr.MANUF_THRESH, TL16V], [OmlAttr.MANUF_ID, TL16V], [OmlAttr.MAX_TA, TV(1)], [OmlAttr.MDROP_LINK, TV(2)],
  [OmlAttr.MDROP_NEXT, TV(2)], [OmlAttr.NACK_CAUSES, TV(1)], [OmlAttr.NY1, TV(1)], [OmlAttr.OPER_STATE, TV(1)],
  [OmlAttr.OVERL_PERIOD, TL16V], [OmlAttr.PHYS_CONF, TL16V], [OmlAttr.POWER_CLASS, TV(1)],
  [OmlAttr.POWER_THRESH, TV(3)], [OmlAttr.PROB_CAUSE, TV(3)], [OmlAttr.RACH_B_THRESH, TV(1)],
  [OmlAttr.LDAVG_SLOTS, TV(2)], [OmlAttr.RAD_SUBC, TV(1)], [OmlAttr.RF_MAXPOWR_R, TV(1)],
  [OmlAttr.SITE_INPUTS, TL16V], [OmlAttr.SPEC_PROB, TL16V], [OmlAttr.START_TIME, TV(2)], [OmlAttr.T200, TV(7)],
  [OmlAttr.TEI, TV(1)], [OmlAttr.TEST_DUR, TV(2)], [OmlAttr.TEST_NO, TV(1)], [OmlAttr.TEST_REPORT, TL16V],
  [OmlAttr.VSWR_THRESH, TV(2)], [OmlAttr.WINDOW_SIZE, TV(1)], [OmlAttr.TSC, TV(1)], [OmlAttr.SW_CONFIG, TL16V],
  [OmlAttr.SW_DESCR, T], [OmlAttr.SEVERITY, TV(1)], [OmlAttr.GET_ARI, TL16V], [OmlAttr.HW_CONF_CHG, TL16V],
  [OmlAttr.OUTST_ALARM, TV(1)], [OmlAttr.MEAS_RES, TL16V], [OmlAttr.MEAS_TYPE, TV(1)],
  [OmlAttr.IPACC_DST_IP, TV(4)], [OmlAttr.IPACC_DST_IP_PORT, TV(2)], [OmlAttr.IPACC_SSRC, TV(4)],
  [OmlAttr.IPACC_RTP_PAYLOAD, TV(1)], [OmlAttr.IPACC_BASEB_ID, TV(1)], [OmlAttr.IPACC_STREAM_ID, TV(1)],
  [OmlAttr.IPACC_NV_FLAGS, TL16V], [OmlAttr.IPACC_FREQ_CTRL, TL16V], [OmlAttr.IPACC_PRIM_OML_CFG, TL16V],
  [OmlAttr.IPACC_SEC_OML_CFG, TL16V], [OmlAttr.IPACC_IP_IF_CFG, TL16V], [OmlAttr.IPACC_IP_GW_CFG, TL16V],
  [OmlAttr.IPACC_IN_SERV_TIME, TL16V], [OmlAttr.IPACC_TRX_BTS_ASS, TL16V], [OmlAttr.IPACC_LOCATION, TL16V],
  [OmlAttr.IPACC_PAGING_CFG, TL16V], [OmlAttr.IPACC_FILE_DATA, TL16V], [OmlAttr.IPACC_UNIT_ID, TL16V],
  [OmlAttr.IPACC_PARENT_UNIT_ID, TL16V], [OmlAttr.IPACC_UNIT_NAME, TL16V], [OmlAttr.IPACC_SNMP_CFG, TL16V],
  [OmlAttr.IPACC_PRIM_OML_CFG_LIST, TL16V], [OmlAttr.IPACC_PRIM_OML_FB_TOUT, TL16V],
  [OmlAttr.IPACC_CUR_SW_CFG, TL16V], [OmlAttr.IPACC_TIMING_BUS, TL16V], [OmlAttr.IPACC_CGI, TL16V],
  [OmlAttr.IPACC_RAC, TL16V], [OmlAttr.IPACC_OBJ_VERSION, TL16V], [OmlAttr.IPACC_GPRS_PAGING_CFG, TL16V],
  [OmlAttr.IPACC_NSEI, TL16V], [OmlAttr.IPACC_BVCI, TL16V], [OmlAttr.IPACC_NSVCI, TL16V],
  [OmlAttr.IPACC_NS_CFG, TL16V], [OmlAttr.IPACC_BSSGP_CFG, TL16V], [OmlAttr.IPACC_NS_LINK_CFG, TL16V],
  [OmlAttr.IPACC_RLC_CFG, TL16V], [OmlAttr.IPACC_ALM_THRESH_LIST, TL16V], [OmlAttr.IPACC_MONIT_VAL_LIST, TL16V],
  [OmlAttr.IPACC_TIB_CONTROL, TL16V], [OmlAttr.IPACC_SUPP_FEATURES, TL16V], [OmlAttr.IPACC_CODING_SCHEMES, TL16V],
  [OmlAttr.IPACC_RLC_CFG_2, TL16V], [OmlAttr.IPACC_HEARTB_TOUT, TL16V], [OmlAttr.IPACC_UPTIME, TL16V],
  [OmlAttr.IPACC_RLC_CFG_3, TL16V], [OmlAttr.IPACC_SSL_CFG, TL16V], [OmlAttr.IPACC_SEC_POSSIBLE, TL16V],
  [OmlAttr.IPACC_IML_SSL_STATE, TL16V], [OmlAttr.IPACC_REVOC_DATE, TL16V],
]);

const OML_ATTRS = new TlvTable({ ies: OML_ATTR_FORMATS });




export type ObjInst = readonly [bts: number, trx: number, ts: number];

export interface OmlMessage {
  mdisc: number;          // OmlMdisc.FOM or OmlMdisc.MANUF
  placement: number;
  sequence: number;
  manufId?: string;       // only for mdisc MANUF ("com.ipaccess"; the encoded label carries a trailing NUL)
  msgType: number;
  objClass: number;
  objInst: ObjInst;
  attrs: Buffer;          // raw attribute bytes (parse with parseOmlAttrs)
}

export interface OmlAttrIe { tag: number; value: Buffer }

function u8(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new OmlEncodeError(`${what} out of range: ${v}`);
}

export function encodeOml(m: Omit<OmlMessage, 'placement' | 'sequence' | 'mdisc' | 'attrs'> &
  Partial<Pick<OmlMessage, 'placement' | 'sequence' | 'mdisc' | 'attrs'>>): Buffer {
  const attrs = m.attrs ?? Buffer.alloc(0);
  const mdisc = m.mdisc ?? (m.manufId !== undefined ? OmlMdisc.MANUF : OmlMdisc.FOM);
  const label = mdisc === OmlMdisc.MANUF ? Buffer.from(`${m.manufId ?? IPACCESS_MANUF_ID}\0`, 'latin1') : null;
  const fomLen = 5 + attrs.length;
  if (fomLen > 0xff) throw new OmlEncodeError(`OML FOM too long: ${fomLen} bytes`);
  if (label && label.length > 0xff) throw new OmlEncodeError('manufacturer label too long');
  u8(m.msgType, 'msgType'); u8(m.objClass, 'objClass');
  m.objInst.forEach((v, i) => u8(v, `objInst[${i}]`));
  const out = Buffer.alloc(4 + (label ? 1 + label.length : 0) + fomLen);
  out[0] = mdisc; out[1] = m.placement ?? OML_PLACEMENT_ONLY; out[2] = m.sequence ?? 0; out[3] = fomLen;
  let o = 4;
  if (label) { out[o++] = label.length; label.copy(out, o); o += label.length; }
  out[o++] = m.msgType; out[o++] = m.objClass;
  out[o++] = m.objInst[0]; out[o++] = m.objInst[1]; out[o++] = m.objInst[2];
  attrs.copy(out, o);
  return out;
}

/** Decode an OML message (IPA payload, without the 3-byte IPA header). Throws only OmlDecodeError. */
export function decodeOml(buf: Uint8Array): OmlMessage {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 4) throw new OmlDecodeError('ERR_OML_TOO_SHORT', `OML header needs 4 bytes, got ${b.length}`, 0);
  const mdisc = b[0]!;
  let o = 4;
  let manufId: string | undefined;
  if (mdisc === OmlMdisc.MANUF) {
    if (b.length < 5) throw new OmlDecodeError('ERR_OML_TOO_SHORT', 'missing manufacturer label length', 4);
    const l = b[4]!;
    if (5 + l > b.length) throw new OmlDecodeError('ERR_OML_BAD_MANUF', `manufacturer label of ${l} bytes exceeds message`, 4);
    manufId = b.subarray(5, 5 + l).toString('latin1').replace(/\0+$/, '');
    o = 5 + l;
  } else if (mdisc !== OmlMdisc.FOM) {
    throw new OmlDecodeError('ERR_OML_BAD_MDISC', `unsupported message discriminator 0x${mdisc.toString(16)}`, 0);
  }
  const len = b[3]!;
  if (len < 5) throw new OmlDecodeError('ERR_OML_BAD_LENGTH', `FOM length ${len} < 5`, 3);
  if (o + len > b.length) throw new OmlDecodeError('ERR_OML_BAD_LENGTH', `FOM length ${len} exceeds the ${b.length - o} bytes present`, 3);
  const msg: OmlMessage = {
    mdisc, placement: b[1]!, sequence: b[2]!, msgType: b[o]!, objClass: b[o + 1]!,
    objInst: [b[o + 2]!, b[o + 3]!, b[o + 4]!],
    attrs: Buffer.from(b.subarray(o + 5, o + len)),   // a copy: callers may keep it
  };
  if (manufId !== undefined) msg.manufId = manufId;
  return msg;
}

export type OmlDecodeResult = { ok: true; msg: OmlMessage } | { ok: false; error: OmlDecodeError };
export function tryDecodeOml(buf: Uint8Array): OmlDecodeResult {
  try { return { ok: true, msg: decodeOml(buf) }; } catch (e) {
    if (e instanceof OmlDecodeError) return { ok: false, error: e };
    throw e;
  }
}

/** Parse a run of attributes with the table. `baseOffset` is added to error offsets. Values are copies. */
export function parseOmlAttrs(buf: Uint8Array, baseOffset = 0): OmlAttrIe[] {
  try {
    return OML_ATTRS.parse(buf).map(({ tag, value }) => ({ tag, value: Buffer.from(value) }));
  } catch (e) {
    if (!(e instanceof TlvDecodeError)) throw e;
    const code = e.code === 'ERR_TLV_UNKNOWN_TAG' ? 'ERR_OML_ATTR_UNKNOWN' : 'ERR_OML_ATTR_TRUNCATED';
    throw new OmlDecodeError(code, `attribute ${e.detail}`, baseOffset + e.offset);
  }
}

export function encodeOmlAttrs(ies: readonly OmlAttrIe[]): Buffer {
  try {
    return OML_ATTRS.encode(ies);
  } catch (e) {
    if (!(e instanceof TlvEncodeError)) throw e;
    throw new OmlEncodeError(`attribute ${e.message}`);
  }
}

export function findAttr(ies: readonly OmlAttrIe[], tag: number): Buffer | undefined {
  return ies.find((a) => a.tag === tag)?.value;
}

/** State Changed Event Report attributes: OperState, AvailStatus (one value, or empty when 0xff/OK is not sent), AdmState. */
export function stateAttrs(oper: number, avail: number, adm: number): Buffer {
  return encodeOmlAttrs([
    { tag: OmlAttr.OPER_STATE, value: Buffer.of(oper) },
    { tag: OmlAttr.AVAIL_STATUS, value: Buffer.of(avail) },
    { tag: OmlAttr.ADM_STATE, value: Buffer.of(adm) },
  ]);
}

export interface OmlState { oper?: number; avail?: number; adm?: number }
export function parseStateAttrs(attrs: Uint8Array): OmlState {
  const ies = parseOmlAttrs(attrs);
  const s: OmlState = {};
  const oper = findAttr(ies, OmlAttr.OPER_STATE); if (oper) s.oper = oper[0]!;
  const avail = findAttr(ies, OmlAttr.AVAIL_STATUS); if (avail) s.avail = avail.length ? avail[0]! : OmlAvail.OK;
  const adm = findAttr(ies, OmlAttr.ADM_STATE); if (adm) s.adm = adm[0]!;
  return s;
}

/** Human-readable one-liner, for logs and tests ("OPSTART BTS(00,ff,ff)"). */
export function describeOml(m: OmlMessage): string {
  const inst = m.objInst.map((v) => v.toString(16).padStart(2, '0')).join(',');
  return `${omlMsgTypeName(m.msgType)} ${omlObjClassName(m.objClass)}(${inst})`;
}
