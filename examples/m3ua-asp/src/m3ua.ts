/**
 * M3UA (RFC 4666) messages: common header + TLV parameters, symmetric encode/decode. Only what an ASP
 * needs for bring-up and traffic: ASPSM, ASPTM, RKM, MGMT, Transfer DATA.
 */
import { M3uaDecodeError, M3uaRangeError } from './errors.js';

export const CLASS = { MGMT: 0, XFER: 1, SSNM: 2, ASPSM: 3, ASPTM: 4, RKM: 9 } as const;
export const TYPE = {
  MGMT: { ERR: 0, NTFY: 1 },
  XFER: { DATA: 1 },
  ASPSM: { ASPUP: 1, ASPDN: 2, BEAT: 3, ASPUP_ACK: 4, ASPDN_ACK: 5, BEAT_ACK: 6 },
  ASPTM: { ASPAC: 1, ASPIA: 2, ASPAC_ACK: 3, ASPIA_ACK: 4 },
  RKM: { REG_REQ: 1, REG_RSP: 2, DEREG_REQ: 3, DEREG_RSP: 4 },
} as const;
export const TAG = {
  INFO_STRING: 0x0004, ROUTING_CONTEXT: 0x0006, DIAG_INFO: 0x0007, HEARTBEAT_DATA: 0x0009,
  TRAFFIC_MODE_TYPE: 0x000b, ERROR_CODE: 0x000c, STATUS: 0x000d, ASP_IDENTIFIER: 0x0011,
  ROUTING_KEY: 0x0207, REG_RESULT: 0x0208, LOCAL_RK_ID: 0x020a, DPC: 0x020b, PROTOCOL_DATA: 0x0210,
  REG_STATUS: 0x0212,
} as const;
export const TRAFFIC_MODE = { OVERRIDE: 1, LOADSHARE: 2, BROADCAST: 3 } as const;
export const PPID_M3UA = 3;

export interface Param { tag: number; value: Buffer }
export interface M3uaMsg { cls: number; type: number; params: Param[] }

export { M3uaDecodeError };

export function encodeParams(params: readonly Param[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of params) {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(p.tag, 0); h.writeUInt16BE(4 + p.value.length, 2);
    parts.push(h, p.value, Buffer.alloc((4 - (p.value.length & 3)) & 3));
  }
  return Buffer.concat(parts);
}

export function decodeParams(b: Buffer, base = 0): Param[] {
  const out: Param[] = [];
  let o = 0;
  while (o < b.length) {
    if (b.length - o < 4) throw new M3uaDecodeError(`${b.length - o} stray bytes instead of a parameter`, base + o);
    const tag = b.readUInt16BE(o), len = b.readUInt16BE(o + 2);
    if (len < 4 || o + len > b.length) throw new M3uaDecodeError(`parameter 0x${tag.toString(16)} length ${len} does not fit`, base + o);
    out.push({ tag, value: Buffer.from(b.subarray(o + 4, o + len)) });
    o += (len + 3) & ~3;
  }
  return out;
}

export function encode(m: M3uaMsg): Buffer {
  const body = encodeParams(m.params);
  const h = Buffer.alloc(8);
  h[0] = 1; h[1] = 0; h[2] = m.cls; h[3] = m.type; h.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([h, body]);
}

export function decode(b: Buffer): M3uaMsg {
  if (b.length < 8) throw new M3uaDecodeError(`message of ${b.length} bytes, the header is 8`, 0);
  if (b[0] !== 1) throw new M3uaDecodeError(`version ${b[0]}, expected 1`, 0);
  const len = b.readUInt32BE(4);
  if (len < 8 || len > b.length) throw new M3uaDecodeError(`length ${len} for ${b.length} bytes`, 4);
  return { cls: b[2], type: b[3], params: decodeParams(b.subarray(8, len), 8) };
}

export const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
export const param = (m: M3uaMsg | Param[], tag: number): Buffer | undefined =>
  (Array.isArray(m) ? m : m.params).find((p) => p.tag === tag)?.value;

/** ITU point code "a.b.c" (3.8.3) or a number -> 14-bit number */
export function parsePointCode(s: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (a < 8 && b < 256 && c < 8) return (a << 11) | (b << 3) | c;
  } else if (/^\d+$/.test(s) && Number(s) < 16384) return Number(s);
  throw new M3uaRangeError(`invalid point code ${s}: a.b.c (3.8.3) or 0..16383`);
}
export const formatPointCode = (pc: number): string => `${pc >> 11}.${(pc >> 3) & 0xff}.${pc & 7}`;

export function name(m: M3uaMsg): string {
  for (const [cn, cv] of Object.entries(CLASS)) {
    if (cv !== m.cls) continue;
    const types = (TYPE as Record<string, Record<string, number>>)[cn];
    for (const [tn, tv] of Object.entries(types ?? {})) if (tv === m.type) return tn;
    return `${cn}/${m.type}`;
  }
  return `${m.cls}/${m.type}`;
}

/** Protocol Data parameter (RFC 4666 3.3.1) */
export interface ProtocolData { opc: number; dpc: number; si: number; ni: number; mp: number; sls: number; data: Buffer }
export function encodeProtocolData(p: ProtocolData): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(p.opc, 0); b.writeUInt32BE(p.dpc, 4); b[8] = p.si; b[9] = p.ni; b[10] = p.mp; b[11] = p.sls;
  return Buffer.concat([b, p.data]);
}
export function decodeProtocolData(b: Buffer): ProtocolData {
  if (b.length < 12) throw new M3uaDecodeError(`protocol data of ${b.length} bytes, need 12`, 0);
  return { opc: b.readUInt32BE(0), dpc: b.readUInt32BE(4), si: b[8], ni: b[9], mp: b[10], sls: b[11], data: Buffer.from(b.subarray(12)) };
}
