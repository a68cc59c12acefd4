/**
 * MSG_NOTIFICATION payloads -> typed objects. Every length is checked against what the kernel handed over:
 * a short or cut notification is an SctpDecodeError, never a guess.
 */
import { ASSOC_STATES, PADDR_STATES, SN } from './constants.js';
import { SctpDecodeError } from './errors.js';
import { decodeAddr, type SctpAddress } from './addr.js';
import {
  SN_HEADER_SIZE, adaptationParser, assocChangeParser, assocOnlyParser, authkeyParser, paddrChangeParser,
  pdapiParser, remoteErrorParser, sendFailedEventParser, sendFailedParser, snHeaderParser,
} from './structs.js';

export type AssocState = typeof ASSOC_STATES[number];
export type PeerAddrState = typeof PADDR_STATES[number];

export type SctpNotification =
  | { type: 'ASSOC_CHANGE'; state: AssocState | `UNKNOWN_${number}`; error: number; outStreams: number;
      inStreams: number; assocId: number }
  | { type: 'PEER_ADDR_CHANGE'; address: SctpAddress | null; state: PeerAddrState | `UNKNOWN_${number}`;
      error: number; assocId: number }
  | { type: 'SEND_FAILED_EVENT'; error: number; sent: boolean; ppid: number; stream: number; context: number;
      assocId: number; data: Buffer; legacy: boolean }
  | { type: 'REMOTE_ERROR'; error: number; assocId: number; data: Buffer }
  | { type: 'SHUTDOWN_EVENT'; assocId: number }
  | { type: 'PARTIAL_DELIVERY_EVENT'; indication: number; stream: number; seq: number; assocId: number }
  | { type: 'ADAPTATION_INDICATION'; indication: number; assocId: number }
  | { type: 'AUTHENTICATION_EVENT'; keyNumber: number; indication: number; assocId: number }
  | { type: 'SENDER_DRY_EVENT'; assocId: number }
  | { type: 'UNKNOWN'; snType: number; flags: number; data: Buffer };

export type SctpNotificationType = SctpNotification['type'];

/** minimum struct size per notification type */
const MIN: Record<number, number> = {
  [SN.ASSOC_CHANGE]: 20, [SN.PEER_ADDR_CHANGE]: 148, [SN.SEND_FAILED]: 48, [SN.REMOTE_ERROR]: 16,
  [SN.SHUTDOWN_EVENT]: 12, [SN.PARTIAL_DELIVERY_EVENT]: 24, [SN.ADAPTATION_INDICATION]: 16,
  [SN.AUTHENTICATION_EVENT]: 20, [SN.SENDER_DRY_EVENT]: 12, [SN.SEND_FAILED_EVENT]: 32,
};

type Any = Record<string, number> & { addr: Buffer; info: Record<string, number> };

/** Decode one complete notification (its bytes as recvmsg returned them with MSG_NOTIFICATION). */
export function decodeNotification(b: Buffer): SctpNotification {
  if (b.length < SN_HEADER_SIZE)
    throw new SctpDecodeError('ERR_SCTP_TRUNCATED', `notification of ${b.length} bytes, the header alone is 8`, 0);
  const h = snHeaderParser.parse(b) as { type: number; flags: number; length: number };
  if (h.length > b.length)
    throw new SctpDecodeError('ERR_SCTP_TRUNCATED', `notification 0x${h.type.toString(16)} says ${h.length} bytes, got ${b.length}`, 4);
  const need = MIN[h.type];
  if (need !== undefined && h.length < need)
    throw new SctpDecodeError('ERR_SCTP_NOTIFICATION_MALFORMED',
      `notification 0x${h.type.toString(16)} of ${h.length} bytes, its struct needs ${need}`, 4);
  const v = b.subarray(0, h.length);
  const p = (parser: { parse(b: Buffer): unknown }): Any => parser.parse(v) as Any;
  switch (h.type) {
    case SN.ASSOC_CHANGE: {
      const r = p(assocChangeParser);
      return { type: 'ASSOC_CHANGE', state: ASSOC_STATES[r.state] ?? `UNKNOWN_${r.state}`, error: r.error,
        outStreams: r.outStreams, inStreams: r.inStreams, assocId: r.assocId };
    }
    case SN.PEER_ADDR_CHANGE: {
      const r = p(paddrChangeParser);
      return { type: 'PEER_ADDR_CHANGE', address: decodeAddr(r.addr), state: PADDR_STATES[r.state] ?? `UNKNOWN_${r.state}`,
        error: r.error, assocId: r.assocId };
    }
    case SN.SEND_FAILED: {
      const r = p(sendFailedParser);
      return { type: 'SEND_FAILED_EVENT', error: r.error, sent: (h.flags & 1) !== 0, ppid: r.info.ppid,
        stream: r.info.sid, context: r.info.context, assocId: r.assocId, data: Buffer.from(v.subarray(48)), legacy: true };
    }
    case SN.SEND_FAILED_EVENT: {
      const r = p(sendFailedEventParser);
      return { type: 'SEND_FAILED_EVENT', error: r.error, sent: (h.flags & 1) !== 0, ppid: r.info.ppid,
        stream: r.info.sid, context: r.info.context, assocId: r.assocId, data: Buffer.from(v.subarray(32)), legacy: false };
    }
    case SN.REMOTE_ERROR: {
      const r = p(remoteErrorParser);
      return { type: 'REMOTE_ERROR', error: r.error, assocId: r.assocId, data: Buffer.from(v.subarray(16)) };
    }
    case SN.SHUTDOWN_EVENT:
      return { type: 'SHUTDOWN_EVENT', assocId: p(assocOnlyParser).assocId };
    case SN.SENDER_DRY_EVENT:
      return { type: 'SENDER_DRY_EVENT', assocId: p(assocOnlyParser).assocId };
    case SN.PARTIAL_DELIVERY_EVENT: {
      const r = p(pdapiParser);
      return { type: 'PARTIAL_DELIVERY_EVENT', indication: r.indication, stream: r.stream, seq: r.seq, assocId: r.assocId };
    }
    case SN.ADAPTATION_INDICATION: {
      const r = p(adaptationParser);
      return { type: 'ADAPTATION_INDICATION', indication: r.indication, assocId: r.assocId };
    }
    case SN.AUTHENTICATION_EVENT: {
      const r = p(authkeyParser);
      return { type: 'AUTHENTICATION_EVENT', keyNumber: r.keyNumber, indication: r.indication, assocId: r.assocId };
    }
    default:
      return { type: 'UNKNOWN', snType: h.type, flags: h.flags, data: Buffer.from(v) };
  }
}
