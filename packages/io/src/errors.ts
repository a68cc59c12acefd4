/** Programming errors of @osmo/io, Node style: TypeError / RangeError / Error carrying a stable `code`. */

export class OsmoIoTypeError extends TypeError {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

export class OsmoIoRangeError extends RangeError {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RangeError';
  }
}

export class OsmoIoError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * A failed system call, as Node reports one (`net`'s errnoException / exceptionWithHostPort): `code` 'ECONNREFUSED',
 * negative `errno`, `syscall`, and where it applies `hostname` or `address` / `port`.
 */
export class OsmoIoSystemError extends Error {
  hostname?: string;
  address?: string;
  port?: number;
  constructor(readonly code: string, readonly errno: number, readonly syscall: string, message: string,
              where: { hostname?: string; address?: string; port?: number } = {}) {
    super(message);
    if (where.hostname !== undefined) this.hostname = where.hostname;
    if (where.address !== undefined) this.address = where.address;
    if (where.port !== undefined) this.port = where.port;
  }
}

export function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be an integer. Received ${String(v)}`);
  if (v < min || v > max)
    throw new OsmoIoRangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be >= ${min} and <= ${max}. Received ${v}`);
  return v;
}

export function checkBuffer(name: string, v: unknown): Buffer {
  if (!Buffer.isBuffer(v))
    throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a Buffer`);
  return v;
}
