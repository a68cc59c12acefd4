/** The IPA header: 2-byte big-endian payload length (header excluded) and a 1-byte protocol (stream id). */
import { IpaDecodeError, IpaEncodeError, checkByte } from './errors.js';

export const IPA_HEADER_LEN = 3;
/** largest payload the 16-bit length field can announce */
export const IPA_MAX_PAYLOAD_LEN = 0xffff;

/** IPA protocol (stream identifier) values. RSL uses 0x00..0x03 for TRX 0..3 in some setups. */
export const IpaProto = {
  RSL: 0x00,
  OSMO: 0xee,
  MGCP_OLD: 0xfc,
  SCCP: 0xfd,
  CCM: 0xfe,
  OML: 0xff,
} as const;
export type IpaProtoName = keyof typeof IpaProto;

const protoNames = new Map<number, IpaProtoName>(
  (Object.entries(IpaProto) as [IpaProtoName, number][]).map(([k, v]) => [v, k]),
);

/** 'RSL', 'OML', 'CCM', ... or `unknown 0x42` */
export function ipaProtoName(proto: number): string {
  return protoNames.get(proto) ?? `unknown 0x${proto.toString(16).padStart(2, '0')}`;
}

/** true for the protocol values this package dispatches by name (RSL, OSMO, MGCP_OLD, SCCP, CCM, OML) */
export function isKnownIpaProto(proto: number): boolean {
  return protoNames.has(proto);
}

export interface IpaHeader {
  /** payload length (bytes after the 3-byte header) */
  length: number;
  proto: number;
}

/** A decoded IPA frame: protocol and the payload after the 3-byte header. */
export interface IpaFrame {
  proto: number;
  payload: Buffer;
}

export function encodeIpaHeader(h: IpaHeader): Buffer {
  checkByte(h.proto, 'IPA protocol');
  if (!Number.isInteger(h.length) || h.length < 0 || h.length > IPA_MAX_PAYLOAD_LEN) {
    throw new IpaEncodeError('ERR_IPA_PAYLOAD_TOO_LONG', `IPA payload length must be 0..65535, got ${h.length}`);
  }
  const b = Buffer.allocUnsafe(IPA_HEADER_LEN);
  b.writeUInt16BE(h.length, 0);
  b[2] = h.proto;
  return b;
}

/** Decodes the 3-byte header at `offset` (the payload need not be present). */
export function decodeIpaHeader(buf: Uint8Array, offset = 0): IpaHeader {
  if (buf.length - offset < IPA_HEADER_LEN) {
    throw new IpaDecodeError('ERR_IPA_SHORT_HEADER', offset, `IPA header needs 3 bytes, have ${Math.max(0, buf.length - offset)}`);
  }
  return { length: (buf[offset]! << 8) | buf[offset + 1]!, proto: buf[offset + 2]! };
}

/** Header + payload in one Buffer. */
export function encodeIpaFrame(proto: number, payload: Uint8Array): Buffer {
  const h = encodeIpaHeader({ proto, length: payload.length });
  return Buffer.concat([h, payload]);
}

/**
 * Decodes exactly one frame. `buf` must hold the whole frame and nothing more. The payload is a view into `buf`.
 */
export function decodeIpaFrame(buf: Uint8Array): IpaFrame {
  const h = decodeIpaHeader(buf, 0);
  const total = IPA_HEADER_LEN + h.length;
  if (buf.length < total) {
    throw new IpaDecodeError('ERR_IPA_TRUNCATED', buf.length, `IPA header announces ${h.length} payload bytes, have ${buf.length - IPA_HEADER_LEN}`);
  }
  if (buf.length > total) {
    throw new IpaDecodeError('ERR_IPA_TRAILING', total, `${buf.length - total} bytes after the end of the IPA frame`);
  }
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { proto: h.proto, payload: b.subarray(IPA_HEADER_LEN, total) };
}

/**
 * Splits a byte string holding back-to-back complete frames. Throws IpaDecodeError on a truncated last frame.
 */
export function decodeIpaFrames(buf: Uint8Array): IpaFrame[] {
  const out: IpaFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    const h = decodeIpaHeader(buf, off);
    const end = off + IPA_HEADER_LEN + h.length;
    if (end > buf.length) {
      throw new IpaDecodeError('ERR_IPA_TRUNCATED', buf.length, `IPA frame at ${off} announces ${h.length} payload bytes, only ${buf.length - off - IPA_HEADER_LEN} present`);
    }
    out.push(decodeIpaFrame(buf.subarray(off, end)));
    off = end;
  }
  return out;
}
