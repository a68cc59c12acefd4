/**
 * Sockets in the spirit of osmo_sock_init2: the core creates and owns every fd it drives (O_NONBLOCK,
 * O_CLOEXEC); connect is non-blocking (completion via IoFd.notifyConnected). Setup failures throw an
 * Error with Node-style code / errno / syscall; per-operation results are -errno numbers.
 */
import net from 'node:net';
import { native } from './native.js';
import { OsmoIoTypeError, checkInt } from './errors.js';
import { decodeSockaddr } from './sockaddr.js';
import type { SockAddr } from './types.js';

/** The addon's socket constants (loads the addon: call only when doing I/O). */
function K(): Record<string, number> {
  return native().constants;
}

export interface InetEndpoint { address: string; port: number }
export interface InetOptions {
  proto: 'tcp' | 'udp' | 'sctp';
  type?: 'stream' | 'seqpacket';
  local?: InetEndpoint;
  remote?: InetEndpoint;
  /** listen after bind; a number is the backlog */
  listen?: boolean | number;
  reuseAddr?: boolean;
  nodelay?: boolean;
}
export interface UnixOptions {
  type: 'stream' | 'dgram' | 'seqpacket';
  local?: string;
  remote?: string;
  listen?: boolean | number;
}

function endpoint(name: string, e: InetEndpoint | undefined): { address: string; port: number } | null {
  if (e === undefined) return null;
  if (!e || typeof e.address !== 'string' || !net.isIP(e.address))
    throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `${name}.address must be an IPv4 or IPv6 address`);
  checkInt(`${name}.port`, e.port, 0, 65535);
  return { address: e.address, port: e.port };
}

function sockType(t: string | undefined, dflt: number): number {
  if (t === undefined) return dflt;
  const C = K();
  const m: Record<string, number> = { stream: C.SOCK_STREAM, dgram: C.SOCK_DGRAM, seqpacket: C.SOCK_SEQPACKET };
  if (!(t in m)) throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `invalid socket type ${t}`);
  return m[t];
}

function listenFlags(listen: boolean | number | undefined): [number, number] {
  if (listen === undefined || listen === false) return [0, 0];
  return [K().OIO_SOCK_LISTEN, listen === true ? 128 : checkInt('listen', listen, 1, 65535)];
}

export const sock = {
  /** AF_*, SOCK_*, IPPROTO_*, SOL_*, SO_*, TCP_* ... as the addon was built with (reading it loads the addon) */
  get constants(): Record<string, number> { return K(); },

  /** TCP, UDP or SCTP socket; bind to `local`, connect (non-blocking) to `remote`, optionally listen. */
  inet(o: InetOptions): number {
    if (!o || typeof o !== 'object') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'options must be an object');
    const C = K();
    const local = endpoint('local', o.local), remote = endpoint('remote', o.remote);
    const fam = (local && net.isIPv6(local.address)) || (remote && net.isIPv6(remote.address)) ? C.AF_INET6 : C.AF_INET;
    let type: number, proto: number;
    if (o.proto === 'tcp') { type = C.SOCK_STREAM; proto = C.IPPROTO_TCP; }
    else if (o.proto === 'udp') { type = C.SOCK_DGRAM; proto = C.IPPROTO_UDP; }
    else if (o.proto === 'sctp') { type = sockType(o.type, C.SOCK_STREAM); proto = C.IPPROTO_SCTP; }
    else throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `invalid proto ${String(o.proto)}: tcp, udp or sctp`);
    const [lf, backlog] = listenFlags(o.listen);
    let flags = lf;
    if (o.reuseAddr ?? (lf !== 0)) flags |= C.OIO_SOCK_REUSEADDR;
    if (o.nodelay) flags |= C.OIO_SOCK_NODELAY;
    return native().sockInit(fam, type, proto, local, remote, flags, backlog);
  },

  /** Unix-domain socket bound to `local` and/or connected to `remote`. */
  unix(o: UnixOptions): number {
    if (!o || typeof o !== 'object') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'options must be an object');
    const C = K();
    const type = sockType(o.type, C.SOCK_STREAM);
    for (const k of ['local', 'remote'] as const)
      if (o[k] !== undefined && (typeof o[k] !== 'string' || !o[k] || Buffer.byteLength(o[k]!) > 107))
        throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `${k} must be a socket path of at most 107 bytes`);
    const [flags, backlog] = listenFlags(o.listen);
    return native().sockInit(C.AF_UNIX, type, 0, o.local ? { path: o.local } : null, o.remote ? { path: o.remote } : null,
                           flags, backlog);
  },

  /** A pending connection's fd, or -errno (-EAGAIN when none is pending). */
  accept(fd: number): number { return native().accept(checkInt('fd', fd, 0, 0x7fffffff)); },
  localAddress(fd: number): SockAddr {
    const b = native().localAddress(checkInt('fd', fd, 0, 0x7fffffff));
    return decodeSockaddr(b, 0, b.length) as SockAddr;
  },
  peerAddress(fd: number): SockAddr | null {
    const b = native().peerAddress(checkInt('fd', fd, 0, 0x7fffffff));
    return b === null ? null : decodeSockaddr(b, 0, b.length);
  },
  setsockopt(fd: number, level: number, name: number, value: number | Buffer): void {
    native().setsockopt(checkInt('fd', fd, 0, 0x7fffffff), level, name, value);
  },
  getsockopt(fd: number, level: number, name: number): number { return native().getsockopt(fd, level, name); },
  /** Pending SO_ERROR as a positive errno (0: none) — how a non-blocking connect reports its outcome. */
  soError(fd: number): number { return native().getsockopt(fd, K().SOL_SOCKET, K().SO_ERROR); },
  shutdown(fd: number, how: 'read' | 'write' | 'both'): number {
    const C = K();
    return native().shutdown(fd, how === 'read' ? C.SHUT_RD : how === 'write' ? C.SHUT_WR : C.SHUT_RDWR);
  },
  close(fd: number): number { return native().closeFd(checkInt('fd', fd, 0, 0x7fffffff)); },
  /** listen() on a socket set up step by step (e.g. SCTP options first): 0 or -errno. */
  listen(fd: number, backlog = 128): number {
    return native().sockListen(checkInt('fd', fd, 0, 0x7fffffff), checkInt('backlog', backlog, 1, 65535));
  },
  /**
   * setsockopt / getsockopt with a Buffer that is both argument and result (get: the kernel reads the
   * argument from it and writes the result back, e.g. SCTP peeloff / SCTP_STATUS). Returns setsockopt's
   * value (SCTP connectx: the association id) or getsockopt's result length, or -errno; never throws.
   */
  sockoptBuf(fd: number, level: number, name: number, buf: Buffer, get: boolean): number {
    checkInt('fd', fd, 0, 0x7fffffff);
    if (!Buffer.isBuffer(buf)) throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'The "buf" argument must be a Buffer');
    return native().sockoptBuf(fd, checkInt('level', level, 0, 0x7fffffff), checkInt('name', name, 0, 0x7fffffff), buf, !!get);
  },
};

/** A connected pair of Unix sockets (O_NONBLOCK, O_CLOEXEC). */
export function socketpair(type: 'stream' | 'dgram' | 'seqpacket'): [number, number] {
  return native().socketpair(sockType(type, K().SOCK_STREAM));
}
