/**
 * sctp.socket(opts): an SCTP socket set up in the order the kernel needs (options that shape INIT before
 * listen/connect), non-blocking and close-on-exec; connect completes later (the iofd's connect notification).
 */
import net from 'node:net';
import { sock } from '@osmo/io';
import { IPPROTO_SCTP } from './constants.js';
import { SctpError, SctpTypeError, errnoOf, validateInteger } from './errors.js';
import type { InetEndpoint } from './addr.js';
import {
  DEFAULT_EVENTS, bindx, connectx, setHeartbeat, setInitmsg, setNodelay, setRecvRcvinfo, setRto, subscribeEvents,
  type RtoOptions, type SctpEventName,
} from './sockopt.js';

export interface SctpSocketOptions {
  type: 'stream' | 'seqpacket';
  family?: 'IPv4' | 'IPv6';
  /** several addresses: sctp_bindx (multi-homing); all with the same port */
  local?: InetEndpoint[];
  /** several addresses: sctp_connectx */
  remote?: InetEndpoint[];
  listen?: boolean;
  backlog?: number;
  /** SCTP_INITMSG */
  streams?: { out: number; in: number };
  nodelay?: boolean;
  /** notification types to subscribe (default DEFAULT_EVENTS) */
  events?: readonly SctpEventName[];
  rto?: RtoOptions;
  /** heartbeat interval; 0 disables heartbeats */
  heartbeatMs?: number;
  /** SCTP_PEER_ADDR_PARAMS path max retransmissions together with heartbeatMs */
  pathMaxRetrans?: number;
  /** SO_SNDBUF / SO_RCVBUF in bytes (the kernel doubles them); the receive buffer sets the advertised window */
  sndbuf?: number;
  rcvbuf?: number;
}

/** What socket() set up, for the layers above. */
export interface SctpSocketInfo { fd: number; events: SctpEventName[]; connectAssocId: number }

function checkEndpoints(name: string, v: unknown): InetEndpoint[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0)
    throw new SctpTypeError('ERR_INVALID_ARG_TYPE', `${name} must be a non-empty array of { address, port }`);
  return v.map((e: unknown, i) => {
    const o = e as InetEndpoint;
    if (!o || typeof o.address !== 'string' || !net.isIP(o.address))
      throw new SctpTypeError('ERR_INVALID_ARG_VALUE', `${name}[${i}].address must be an IPv4 or IPv6 address`);
    validateInteger(o.port, `${name}[${i}].port`, 0, 65535);
    return { address: o.address, port: o.port };
  });
}

const checkCount = (name: string, v: unknown, min: number, max: number): number => validateInteger(v, name, min, max);

/** Create and set up the socket; throws SctpError (code = errno name) or SctpTypeError/SctpRangeError for bad options. */
export function createSocket(o: SctpSocketOptions): SctpSocketInfo {
  if (!o || typeof o !== 'object') throw new SctpTypeError('ERR_INVALID_ARG_TYPE', 'options must be an object');
  if (o.type !== 'stream' && o.type !== 'seqpacket')
    throw new SctpTypeError('ERR_INVALID_ARG_VALUE', `type must be 'stream' or 'seqpacket', got ${String(o.type)}`);
  const local = checkEndpoints('local', o.local), remote = checkEndpoints('remote', o.remote);
  if (o.streams !== undefined) { checkCount('streams.out', o.streams.out, 1, 65535); checkCount('streams.in', o.streams.in, 1, 65535); }
  if (o.heartbeatMs !== undefined) checkCount('heartbeatMs', o.heartbeatMs, 0, 0x7fffffff);
  const backlog = o.backlog === undefined ? 128 : checkCount('backlog', o.backlog, 1, 65535);
  const v6 = o.family === 'IPv6' || [...local, ...remote].some((e) => net.isIPv6(e.address));
  // the first local address binds through sock.inet (which picks the family); the rest go through bindx
  const first = local[0] ?? (v6 ? { address: '::', port: 0 } : undefined);
  let fd: number;
  try {
    fd = sock.inet({ proto: 'sctp', type: o.type, ...(first ? { local: first } : {}), reuseAddr: o.listen === true });
  } catch (e) {
    throw new SctpError(errnoOf(e), (e as { syscall?: string }).syscall ?? 'socket',
      `IPPROTO_SCTP ${o.type}${first ? ` on ${first.address}:${first.port}` : ''}`);
  }
  try {
    setRecvRcvinfo(fd);
    const events = subscribeEvents(fd, o.events ?? DEFAULT_EVENTS);
    if (o.streams) setInitmsg(fd, o.streams.out, o.streams.in);
    if (o.nodelay) setNodelay(fd, true);
    if (o.rto) setRto(fd, o.rto);
    if (o.sndbuf !== undefined) sock.setsockopt(fd, 1 /* SOL_SOCKET */, 7 /* SO_SNDBUF */, checkCount('sndbuf', o.sndbuf, 1024, 0x7fffffff));
    if (o.rcvbuf !== undefined) sock.setsockopt(fd, 1 /* SOL_SOCKET */, 8 /* SO_RCVBUF */, checkCount('rcvbuf', o.rcvbuf, 1024, 0x7fffffff));
    if (o.heartbeatMs !== undefined) setHeartbeat(fd, o.heartbeatMs, o.pathMaxRetrans ?? 0);
    if (local.length > 1) {
      // every further address on the port the first one got
      const port = local[0].port || (sock.localAddress(fd) as { port: number }).port;
      bindx(fd, local.slice(1).map((e) => ({ address: e.address, port: e.port || port })));
    }
    if (o.listen) {
      const rc = sock.listen(fd, backlog);
      if (rc < 0) throw new SctpError(rc, 'listen');
    }
    const connectAssocId = remote.length ? connectx(fd, remote) : 0;
    return { fd, events, connectAssocId };
  } catch (e) {
    sock.close(fd);
    throw e;
  }
}

export { IPPROTO_SCTP };
