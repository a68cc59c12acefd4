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
