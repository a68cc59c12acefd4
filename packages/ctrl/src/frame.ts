/**
 * CTRL over IPA: one IPA frame per CTRL message, proto 0xEE (IPAC_PROTO_OSMO), extension byte 0x00
 * (IPAC_PROTO_EXT_CTRL), then the text. The IPA length counts the payload only (ext byte + text).
 */
import { encodeCtrl, type CtrlMessage } from './codec.js';

export const IPA_HEADER_LEN = 3;
export const IPAC_PROTO_OSMO = 0xee;
export const IPAC_PROTO_IPACCESS = 0xfe;
export const IPAC_PROTO_EXT_CTRL = 0x00;
export const IPAC_MSGT_PING = 0x00;
export const IPAC_MSGT_PONG = 0x01;
export const IPAC_MSGT_ID_GET = 0x04;
export const IPAC_MSGT_ID_RESP = 0x05;
export const IPAC_MSGT_ID_ACK = 0x06;
/** IPA_ALLOC_SIZE of libosmo-abis/libosmocore: len + 3 must not exceed it on receive */
export const IPA_MAX_FRAME = 1200;
/** largest CTRL text that fits one received frame (1200 - 3 header - 1 ext) */
export const CTRL_MAX_TEXT = IPA_MAX_FRAME - IPA_HEADER_LEN - 1;

/** Wrap CTRL text (bytes) into an IPA frame. */
export function ctrlFrameFromText(text: Buffer): Buffer {
  if (text.length + 1 > 0xffff) {
    const e = new RangeError(`CTRL text of ${text.length} bytes does not fit an IPA frame`) as RangeError & { code: string };
    e.code = 'ERR_OSMO_CTRL_ENCODE';
    throw e;
  }
  const out = Buffer.allocUnsafe(IPA_HEADER_LEN + 1 + text.length);
  out.writeUInt16BE(text.length + 1, 0);
  out[2] = IPAC_PROTO_OSMO;
  out[3] = IPAC_PROTO_EXT_CTRL;
  text.copy(out, 4);
  return out;
}

/** Encode a CTRL message as a complete IPA frame. */
export function encodeCtrlFrame(msg: CtrlMessage): Buffer {
  return ctrlFrameFromText(encodeCtrl(msg));
}

/** A CCM message without payload (PING, PONG, ID_ACK ...). */
export function ccmFrame(msgType: number): Buffer {
  return Buffer.from([0x00, 0x01, IPAC_PROTO_IPACCESS, msgType & 0xff]);
}

export type IpaFrameKind =
  | { kind: 'ctrl'; text: Buffer }
  | { kind: 'ccm'; msgType: number | undefined }
  | { kind: 'empty' }
  /** not a CTRL frame: proto other than 0xEE/0xFE, 0xEE without ext byte or with another extension, truncated */
  | { kind: 'invalid'; reason: string };

/** Classify one complete IPA frame (as delivered by the segmentation), like control_if.c's ctrl_handle_msg. */
export function classifyIpaFrame(frame: Buffer): IpaFrameKind {
  if (frame.length < IPA_HEADER_LEN) return { kind: 'invalid', reason: 'shorter than the IPA header' };
  const len = frame.readUInt16BE(0);
  if (frame.length !== IPA_HEADER_LEN + len) return { kind: 'invalid', reason: 'IPA length mismatch' };
  const proto = frame[2]!;
  if (len === 0) return { kind: 'empty' };
  if (proto === IPAC_PROTO_IPACCESS) return { kind: 'ccm', msgType: frame[3] };
  if (proto !== IPAC_PROTO_OSMO) return { kind: 'invalid', reason: `Protocol mismatch (0x${proto.toString(16)})` };
  if (frame[3] !== IPAC_PROTO_EXT_CTRL) {
    return { kind: 'invalid', reason: `OSMO extension 0x${frame[3]!.toString(16)} is not CTRL` };
  }
  return { kind: 'ctrl', text: frame.subarray(4) };
}

/**
 * Segmentation for IPA over a byte stream (the upstream contract): the length of the first complete frame,
 * or -EAGAIN when more bytes are needed.
 */
export function ipaFrameLength(data: Buffer): number {
  if (data.length < IPA_HEADER_LEN) return -11; // -EAGAIN
  const total = IPA_HEADER_LEN + data.readUInt16BE(0);
  return total > data.length ? -11 : total;
}
