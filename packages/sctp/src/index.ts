/** @osmo/sctp: kernel SCTP on @osmo/io (recvmsg_sendmsg mode, poll and io_uring backends). */
import { sock } from '@osmo/io';
import { createSocket, type SctpSocketOptions } from './socket.js';
import { SctpSocket, type SctpSocketOpts } from './sctp-socket.js';

export const sctp = {
  /** A set-up SCTP socket fd (like sock.inet): options before listen/connect; throws SctpError with the errno code. */
  socket(opts: SctpSocketOptions): number {
    return createSocket(opts).fd;
  },
  /**
   * A socket (one-to-one 'stream' or one-to-many 'seqpacket') driven by an IoFd: send / 'message' / 'notification'.
   * With `remote`, 'connect' follows once the association is up (stream) or COMM_UP arrives (seqpacket).
   * A factory, named like dgram.createSocket: it is not an `open()` (those return nothing, docs/design.md §5) and, being
   * a single system call sequence with nothing to retry, throws SctpError for a refused socket/bind/connect.
   */
  createSocket(opts: SctpSocketOptions & SctpSocketOpts): SctpSocket {
    const info = createSocket(opts);
    try {
      return new SctpSocket(info.fd, opts.type, { ...opts, connecting: opts.type === 'stream' && !!opts.remote });
    } catch (e) {
      sock.close(info.fd);
      throw e;
    }
  },
};

export { SctpSocket, SctpAssociation } from './sctp-socket.js';
export type { SctpSocketOpts, SendCallback } from './sctp-socket.js';
export { SctpClient } from './client.js';
export type { SctpClientOptions, SctpClientState } from './client.js';
export { SctpServer, SctpServerConn } from './server.js';
export type { SctpServerOptions } from './server.js';
export type { SctpSocketOptions } from './socket.js';
export { decodeNotification } from './notification.js';
export type { SctpNotification, SctpNotificationType, AssocState, PeerAddrState } from './notification.js';
export { parseRcvinfo } from './cmsg.js';
export type { SendInfo, RcvInfo } from './cmsg.js';
export { DEFAULT_EVENTS, status, peeloff, subscribeEvents } from './sockopt.js';
export type { SctpEventName, SctpStatus, RtoOptions } from './sockopt.js';
export { SctpError, SctpDecodeError, SctpTypeError, SctpRangeError, SctpStateError } from './errors.js';
export type { SctpDecodeCode } from './errors.js';
export type { InetEndpoint, SctpAddress } from './addr.js';
export * as constants from './constants.js';
