/** A received IPA frame classified by protocol (and OSMO extension), as the link layers dispatch it. */
import { IpaDecodeError } from './errors.js';
import { IpaProto, decodeIpaFrame } from './header.js';

export type IpaMessageKind = 'oml' | 'rsl' | 'ccm' | 'osmo' | 'sccp' | 'mgcp_old' | 'unknown';

export interface IpaMessage {
  kind: IpaMessageKind;
  proto: number;
  /** OSMO extension byte (kind 'osmo' only) */
  ext?: number;
  /** bytes after the IPA header (and, for 'osmo', after the extension byte); a view into the received frame */
  payload: Buffer;
}

const kindOfProto = new Map<number, IpaMessageKind>([
  [IpaProto.OML, 'oml'],
  [IpaProto.RSL, 'rsl'],
  [IpaProto.CCM, 'ccm'],
  [IpaProto.OSMO, 'osmo'],
  [IpaProto.SCCP, 'sccp'],
  [IpaProto.MGCP_OLD, 'mgcp_old'],
]);

/** Classifies one complete frame (header included). Throws IpaDecodeError for a malformed frame. */
export function parseIpaMessage(frame: Uint8Array): IpaMessage {
  const f = decodeIpaFrame(frame);
  const kind = kindOfProto.get(f.proto) ?? 'unknown';
  if (kind === 'osmo') {
    if (f.payload.length < 1) throw new IpaDecodeError('ERR_IPA_NO_EXT', 3, 'OSMO frame lacks the extension byte');
    return { kind, proto: f.proto, ext: f.payload[0]!, payload: f.payload.subarray(1) };
  }
  return { kind, proto: f.proto, payload: f.payload };
}
