/**
 * Linux errno values (positive); I/O results carry them negated, like the C API. The one module of the toolkit that
 * reads `os.constants.errno`: everything else imports `errno` / `errnoName` / `errnoOfCode` from here.
 */
import os from 'node:os';
import { getSystemErrorName } from 'node:util';

const c = os.constants.errno;
export const errno = Object.freeze({
  EPERM: c.EPERM, ENOENT: c.ENOENT, EINTR: c.EINTR, EIO: c.EIO, EBADF: c.EBADF, EAGAIN: c.EAGAIN,
  ENOMEM: c.ENOMEM, EACCES: c.EACCES, EBUSY: c.EBUSY, EEXIST: c.EEXIST, EINVAL: c.EINVAL, ENFILE: c.ENFILE,
  EMFILE: c.EMFILE, ENOSPC: c.ENOSPC, EPIPE: c.EPIPE, ENOSYS: c.ENOSYS, EPROTO: c.EPROTO, EMSGSIZE: c.EMSGSIZE,
  ENOTSOCK: c.ENOTSOCK, EPROTONOSUPPORT: c.EPROTONOSUPPORT, ENOTSUP: c.ENOTSUP, EADDRINUSE: c.EADDRINUSE,
  EADDRNOTAVAIL: c.EADDRNOTAVAIL, ENETDOWN: c.ENETDOWN, ENETUNREACH: c.ENETUNREACH, ECONNABORTED: c.ECONNABORTED,
  ECONNRESET: c.ECONNRESET, ENOBUFS: c.ENOBUFS, EISCONN: c.EISCONN, ENOTCONN: c.ENOTCONN,
  ETIMEDOUT: c.ETIMEDOUT, ECONNREFUSED: c.ECONNREFUSED, EHOSTUNREACH: c.EHOSTUNREACH, EALREADY: c.EALREADY,
  EINPROGRESS: c.EINPROGRESS, ECANCELED: c.ECANCELED,
  /** Linux's value; Node does not list ESHUTDOWN in os.constants.errno (libuv names it, see errnoName) */
  ESHUTDOWN: (c as Record<string, number | undefined>).ESHUTDOWN ?? 108,
});

/** 'ECONNRESET' for 104 or -104 (libuv's names, as Node's own errors carry them). */
export function errnoName(e: number): string {
  const n = Math.abs(e);
  if (n === 0) return 'errno 0';
  const name = getSystemErrorName(-n);
  return name.startsWith('Unknown') ? `errno ${n}` : name;
}

/** The positive errno of a code such as 'ECONNREFUSED' (undefined for codes that are no errno). */
export function errnoOfCode(code: string): number | undefined {
  const v = (c as Record<string, number | undefined>)[code];
  return typeof v === 'number' ? v : code === 'ESHUTDOWN' ? errno.ESHUTDOWN : undefined;
}
