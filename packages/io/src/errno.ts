/** Linux errno values (positive). I/O results carry them negated, like the C API. */
import os from 'node:os';

const c = os.constants.errno;
export const errno = Object.freeze({
  EPERM: c.EPERM, ENOENT: c.ENOENT, EINTR: c.EINTR, EIO: c.EIO, EBADF: c.EBADF, EAGAIN: c.EAGAIN,
  ENOMEM: c.ENOMEM, EACCES: c.EACCES, EEXIST: c.EEXIST, EINVAL: c.EINVAL, ENFILE: c.ENFILE, EMFILE: c.EMFILE,
  ENOSPC: c.ENOSPC, EPIPE: c.EPIPE, ENOSYS: c.ENOSYS, EPROTO: c.EPROTO, EMSGSIZE: c.EMSGSIZE,
  ENOTSOCK: c.ENOTSOCK, EPROTONOSUPPORT: c.EPROTONOSUPPORT, ENOTSUP: c.ENOTSUP, EADDRINUSE: c.EADDRINUSE,
  EADDRNOTAVAIL: c.EADDRNOTAVAIL, ENETUNREACH: c.ENETUNREACH, ECONNABORTED: c.ECONNABORTED,
  ECONNRESET: c.ECONNRESET, ENOBUFS: c.ENOBUFS, EISCONN: c.EISCONN, ENOTCONN: c.ENOTCONN,
  ETIMEDOUT: c.ETIMEDOUT, ECONNREFUSED: c.ECONNREFUSED, EHOSTUNREACH: c.EHOSTUNREACH, EALREADY: c.EALREADY,
  EINPROGRESS: c.EINPROGRESS, ECANCELED: c.ECANCELED,
});

const names = new Map<number, string>();
for (const [k, v] of Object.entries(c)) if (!names.has(v)) names.set(v, k);

/** 'ECONNRESET' for 104 or -104. */
export function errnoName(e: number): string {
  return names.get(Math.abs(e)) ?? `errno ${Math.abs(e)}`;
}
