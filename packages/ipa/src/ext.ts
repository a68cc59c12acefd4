/** The OSMO protocol (IPA proto 0xEE) extension byte: first payload byte, names the Osmocom sub-protocol. */
import { IpaDecodeError, checkByte } from './errors.js';
import { IpaProto, encodeIpaFrame, decodeIpaFrame } from './header.js';

/** Extension values (the OSMO extension byte, docs/design.md §4). */
export const IpaOsmoExt = {
  CTRL: 0x00,
  MGCP: 0x01,
  LAC: 0x02,
  SMSC: 0x03,
  ORC: 0x04, // OML router control
  GSUP: 0x05,
  OAP: 0x06,
  RSPRO: 0x07,
  PCU: 0x08,
  TCAP_ROUTING: 0x09,
} as const;
export type IpaOsmoExtName = keyof typeof IpaOsmoExt;

const extNames = new Map<number, IpaOsmoExtName>(
  (Object.entries(IpaOsmoExt) as [IpaOsmoExtName, number][]).map(([k, v]) => [v, k]),
);

/** 'CTRL', 'GSUP', ... or `unknown 0x42` */
export function ipaOsmoExtName(ext: number): string {
  return extNames.get(ext) ?? `unknown 0x${ext.toString(16).padStart(2, '0')}`;
}

/** Payload of an OSMO frame: extension byte and the data after it. */
export interface IpaOsmoPayload {
  ext: number;
  data: Buffer;
}

/** ext byte + data (the payload of an IPA OSMO frame, without the IPA header) */
export function encodeOsmoPayload(ext: number, data: Uint8Array): Buffer {
  checkByte(ext, 'OSMO extension');
  return Buffer.concat([Buffer.of(ext), data]);
}

/** Splits an OSMO payload (IPA header already removed). `data` is a view into `payload`. */
export function decodeOsmoPayload(payload: Uint8Array): IpaOsmoPayload {
  if (payload.length < 1) throw new IpaDecodeError('ERR_IPA_NO_EXT', 0, 'OSMO payload lacks the extension byte');
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return { ext: b[0]!, data: b.subarray(1) };
}

/** Complete frame: IPA header (proto 0xEE, length = 1 + data length), ext byte, data. */
export function encodeOsmoFrame(ext: number, data: Uint8Array): Buffer {
  return encodeIpaFrame(IpaProto.OSMO, encodeOsmoPayload(ext, data));
}

/** Decodes one complete OSMO frame. Offsets in errors refer to the frame. */
export function decodeOsmoFrame(frame: Uint8Array): IpaOsmoPayload {
  const f = decodeIpaFrame(frame);
  if (f.proto !== IpaProto.OSMO) throw new IpaDecodeError('ERR_IPA_PROTO', 2, `expected IPA proto 0xee, got 0x${f.proto.toString(16)}`);
  if (f.payload.length < 1) throw new IpaDecodeError('ERR_IPA_NO_EXT', 3, 'OSMO frame lacks the extension byte');
  return decodeOsmoPayload(f.payload);
}
