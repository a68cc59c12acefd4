/** SCTP socket options: encoders for the fixed structs the kernel takes, through @osmo/io's sock helpers. */
import { sock } from '@osmo/io';
import {
  SCTP_EVENT, SCTP_EVENTS, SCTP_INITMSG, SCTP_NODELAY, SCTP_PEER_ADDR_PARAMS, SCTP_RECVRCVINFO, SCTP_RTOINFO,
  SCTP_SOCKOPT_BINDX_ADD, SCTP_SOCKOPT_CONNECTX, SCTP_STATUS, SN, SOL_SCTP, SPP_HB_DISABLE, SPP_HB_ENABLE,
} from './constants.js';
import { SctpError } from './errors.js';
import { packAddrs, type InetEndpoint } from './addr.js';
import { STATUS_SIZE, statusParser } from './structs.js';

const SCTP_SOCKOPT_PEELOFF_FLAGS = 122;
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;

export type SctpEventName =
  | 'ASSOC_CHANGE' | 'PEER_ADDR_CHANGE' | 'SEND_FAILED' | 'REMOTE_ERROR' | 'SHUTDOWN_EVENT'
  | 'PARTIAL_DELIVERY_EVENT' | 'ADAPTATION_INDICATION' | 'AUTHENTICATION_EVENT' | 'SENDER_DRY_EVENT'
  | 'SEND_FAILED_EVENT';

/** Subscribed by default: the association, shutdown, send-failed and peer-address events. */
export const DEFAULT_EVENTS: readonly SctpEventName[] =
  ['ASSOC_CHANGE', 'SHUTDOWN_EVENT', 'SEND_FAILED_EVENT', 'PEER_ADDR_CHANGE', 'PARTIAL_DELIVERY_EVENT'];

/** Where a kernel refuses a type, the older equivalent to try instead. */
const FALLBACK: Partial<Record<SctpEventName, SctpEventName>> = { SEND_FAILED_EVENT: 'SEND_FAILED' };

function set(fd: number, name: number, buf: Buffer, what: string): void {
  const rc = sock.sockoptBuf(fd, SOL_SCTP, name, buf, false);
  if (rc < 0) throw new SctpError(rc, 'setsockopt', what);
}

/** SCTP_INITMSG: streams asked for in INIT (out) and accepted at most (in). */
export function setInitmsg(fd: number, out: number, inStreams: number, maxAttempts = 0, maxInitTimeoMs = 0): void {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(out, 0); b.writeUInt16LE(inStreams, 2); b.writeUInt16LE(maxAttempts, 4); b.writeUInt16LE(maxInitTimeoMs, 6);
  set(fd, SCTP_INITMSG, b, 'SCTP_INITMSG');
}

export function setNodelay(fd: number, on: boolean): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(on ? 1 : 0);
  set(fd, SCTP_NODELAY, b, 'SCTP_NODELAY');
}

/** SCTP_RECVRCVINFO: every message comes with an SCTP_RCVINFO cmsg. */
export function setRecvRcvinfo(fd: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(1);
  set(fd, SCTP_RECVRCVINFO, b, 'SCTP_RECVRCVINFO');
}

export interface RtoOptions { initialMs?: number; minMs?: number; maxMs?: number }

/** SCTP_RTOINFO (0 keeps a value as it is). */
export function setRto(fd: number, o: RtoOptions): void {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(o.initialMs ?? 0, 4); b.writeUInt32LE(o.maxMs ?? 0, 8); b.writeUInt32LE(o.minMs ?? 0, 12);
  set(fd, SCTP_RTOINFO, b, 'SCTP_RTOINFO');
}

/** SCTP_PEER_ADDR_PARAMS for the whole endpoint: heartbeat interval (0 disables heartbeats). */
export function setHeartbeat(fd: number, ms: number, pathMaxRetrans = 0): void {
  const b = Buffer.alloc(156); // packed: assoc_id 0, sockaddr_storage 4, hbinterval 132, pathmaxrxt 136, ... flags 146
  b.writeUInt32LE(ms, 132);
  b.writeUInt16LE(pathMaxRetrans, 136);
  b.writeUInt32LE(ms > 0 ? SPP_HB_ENABLE : SPP_HB_DISABLE, 146);
  set(fd, SCTP_PEER_ADDR_PARAMS, b, 'SCTP_PEER_ADDR_PARAMS');
}

/**
 * Subscribe to notification types one by one (SCTP_EVENT). A type the kernel refuses is replaced by its older
 * equivalent where there is one; if SCTP_EVENT itself is unknown, the 14-byte SCTP_EVENTS struct is used.
 * Returns the types in effect; never fails the socket for a refused type.
 */
/** The setsockopt subscribeEvents uses (a test gives a kernel that refuses what it wants). */
export type SockoptFn = (fd: number, level: number, name: number, buf: Buffer, get: boolean) => number;

export function subscribeEvents(fd: number, names: readonly SctpEventName[],
                                setopt: SockoptFn = (...a) => sock.sockoptBuf(...a)): SctpEventName[] {
  const on: SctpEventName[] = [];
  const b = Buffer.alloc(8);
  let eventOptMissing = false;
  const trySet = (n: SctpEventName): boolean => {
    b.fill(0);
    b.writeUInt16LE(SN[n], 4);
    b[6] = 1;
    const rc = setopt(fd, SOL_SCTP, SCTP_EVENT, b, false);
    if (rc === -92 /* ENOPROTOOPT */) eventOptMissing = true;
    return rc === 0;
  };
  for (const n of names) {
    if (trySet(n)) on.push(n);
    else if (FALLBACK[n] && trySet(FALLBACK[n]!)) on.push(FALLBACK[n]!);
    if (eventOptMissing) break;
  }
  if (eventOptMissing) {
    // struct sctp_event_subscribe: one byte per type, index = type - 0x8000; kernels without SCTP_EVENT
    // know the older send-failed notification only
    const s = Buffer.alloc(10);
    on.length = 0;
    for (const n of names) {
      const use = n === 'SEND_FAILED_EVENT' ? 'SEND_FAILED' : n;
      s[SN[use] - 0x8000] = 1;
      on.push(use);
    }
    const rc = setopt(fd, SOL_SCTP, SCTP_EVENTS, s, false);
    if (rc < 0) throw new SctpError(rc, 'setsockopt', 'SCTP_EVENTS');
  }
  return on;
}

/** sctp_bindx(SCTP_BINDX_ADD_ADDR) */
export function bindx(fd: number, addrs: readonly InetEndpoint[]): void {
  set(fd, SCTP_SOCKOPT_BINDX_ADD, packAddrs(addrs), 'sctp_bindx');
}

/** sctp_connectx, non-blocking: the association id, or 0 when still in progress. */
export function connectx(fd: number, addrs: readonly InetEndpoint[]): number {
  const rc = sock.sockoptBuf(fd, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, packAddrs(addrs), false);
  if (rc === -115 /* EINPROGRESS */) return 0;
  if (rc < 0) throw new SctpError(rc, 'sctp_connectx');
  return rc;
}

export interface SctpStatus {
  assocId: number; state: number; rwnd: number; unackData: number; pendData: number;
  inStreams: number; outStreams: number; fragmentationPoint: number;
}

/** getsockopt(SCTP_STATUS) for an association (0: the one of a one-to-one socket). */
export function status(fd: number, assocId = 0): SctpStatus {
  const b = Buffer.alloc(STATUS_SIZE);
  b.writeInt32LE(assocId, 0);
  const rc = sock.sockoptBuf(fd, SOL_SCTP, SCTP_STATUS, b, true);
  if (rc < 0) throw new SctpError(rc, 'getsockopt', 'SCTP_STATUS');
  return statusParser.parse(b) as SctpStatus;
}

/** sctp_peeloff: the association's own one-to-one fd (O_NONBLOCK, O_CLOEXEC). */
export function peeloff(fd: number, assocId: number): number {
  const b = Buffer.alloc(12);
  b.writeInt32LE(assocId, 0);
  b.writeUInt32LE(O_NONBLOCK | O_CLOEXEC, 8);
  const rc = sock.sockoptBuf(fd, SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS, b, true);
  if (rc < 0) throw new SctpError(rc, 'sctp_peeloff');
  return b.readInt32LE(4);
}

export { SN };
