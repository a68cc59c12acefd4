/** Errors of @osmo/sctp: setup failures carry the errno code; decode failures are typed with an offset. */
import { errnoName } from '@osmo/io';

/** A socket call failed: `code` is the errno name (EPROTONOSUPPORT, EADDRINUSE ...), `errno` negative. */
export class SctpError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(errno: number, syscall: string, detail?: string) {
    const code = errnoName(errno);
    const why = errno === -93 || errno === 93
      ? ' (this kernel has no SCTP: load the sctp module, or run under user-mode Linux: scripts/uml-run.sh)' : '';
    super(`${syscall} ${code}${detail ? `: ${detail}` : ''}${why}`);
    this.name = 'SctpError';
    this.code = code;
    this.errno = errno < 0 ? errno : -errno;
    this.syscall = syscall;
  }
}

export type SctpDecodeCode = 'ERR_SCTP_TRUNCATED' | 'ERR_SCTP_CMSG_MALFORMED' | 'ERR_SCTP_NOTIFICATION_MALFORMED';

/** Bytes the kernel handed over do not form what they claim (short, truncated, inconsistent lengths). */
export class SctpDecodeError extends Error {
  constructor(readonly code: SctpDecodeCode, message: string, readonly offset: number) {
    super(message);
    this.name = 'SctpDecodeError';
  }
}

/** @internal negative errno carried by an exception from a @osmo/io sock call */
export function errnoOf(err: unknown): number {
  const e = err as { errno?: unknown };
  if (e && typeof e.errno === 'number' && e.errno !== 0) return e.errno < 0 ? e.errno : -e.errno;
  return -5; // EIO
}

/** An argument of the wrong type or shape (Node's ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE). */
export class SctpTypeError extends TypeError {
  constructor(readonly code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE', message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** A number outside its range (Node's ERR_OUT_OF_RANGE). */
export class SctpRangeError extends RangeError {
  readonly code = 'ERR_OUT_OF_RANGE';
  constructor(message: string) {
    super(message);
    this.name = 'RangeError';
  }
}

/** An operation the object's state does not allow (`open()` after `destroy()`). */
export class SctpStateError extends Error {
  readonly code = 'ERR_OSMO_STREAM_DESTROYED';
  constructor(message: string) {
    super(message);
    this.name = 'Error';
  }
}

/** @internal an integer in [min, max] */
export function validateInteger(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SctpRangeError(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}
