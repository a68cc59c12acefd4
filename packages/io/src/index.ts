/** @osmo/io: the osmo_io model for Node.js (docs/design.md §3). */
export { IoFd, getBackend, stats } from './iofd.js';
export { errno, errnoName } from './errno.js';
export { sock, socketpair } from './sock.js';
export type { InetOptions, UnixOptions, InetEndpoint } from './sock.js';
export { Acceptor } from './acceptor.js';
export { lengthPrefixSegmentation, kNativeSegmentation } from './segmentation.js';
export type { LengthPrefixSpec, SegmentationFn } from './segmentation.js';
export { OsmoIoError, OsmoIoTypeError, OsmoIoRangeError, OsmoIoSystemError } from './errors.js';
export type { Mode, Backend, SockAddr, InetAddr, UnixAddr, IoOps, RecvmsgInfo, SendmsgOptions } from './types.js';
export * from './stream.js';
export { lookupHost, stripBrackets, formatHostPort, connectError } from './resolve.js';
export type { LookupFamily, LookupAddress, LookupFunction, NetError } from './resolve.js';
export { formatIpv6 } from './sockaddr.js';
