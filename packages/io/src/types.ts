/** Public types of @osmo/io (docs/design.md §3). */
import type { IoFd } from './iofd.js';

export type Mode = 'read_write' | 'recvfrom_sendto' | 'recvmsg_sendmsg';
export type Backend = 'poll' | 'io_uring';

export type InetAddr = { address: string; port: number; family: 'IPv4' | 'IPv6' };
export type UnixAddr = { path: string };
export type SockAddr = InetAddr | UnixAddr;

export interface RecvmsgInfo {
  from: SockAddr | null;
  /** raw control-message bytes (struct cmsghdr chain) as the kernel returned them */
  control: Buffer;
  /** msg_flags of the received message (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_NOTIFICATION ...) */
  flags: number;
}

export interface IoOps {
  /** one call per (segmented) message; res > 0 bytes, 0 EOF (empty msg), < 0 -errno */
  readCb?(iofd: IoFd, res: number, msg: Buffer): void;
  /** res: bytes of msg written by this operation (may be partial), or -errno; msg null = connect notification (res 0 connected, -errno the connect failed) */
  writeCb?(iofd: IoFd, res: number, msg: Buffer | null): void;
  /**
   * read_write mode only: returns the length of the first complete message in data, -EAGAIN (or a value
   * larger than data.length) when more data is needed, or another -errno to report an error.
   * A function carrying a native descriptor (see `lengthPrefixSegmentation`) is run natively.
   */
  segmentationCb?(data: Buffer): number;
  recvfromCb?(iofd: IoFd, res: number, msg: Buffer, from: SockAddr | null): void;
  sendtoCb?(iofd: IoFd, res: number, msg: Buffer | null, to: SockAddr | null): void;
  recvmsgCb?(iofd: IoFd, res: number, msg: Buffer, info: RecvmsgInfo): void;
  sendmsgCb?(iofd: IoFd, res: number, msg: Buffer | null): void;
}

export interface SendmsgOptions {
  dest?: SockAddr;
  /** raw control-message bytes (cmsghdr chain, CMSG_SPACE aligned) */
  control?: Buffer;
  flags?: number;
}
