/**
 * Every error bsc-link-sim throws, with its code: usage, backend choice, and the OML / RSL decoders and encoders
 * (decode errors say what went wrong and at which byte offset of the input).
 */

/** A bad command line value; the CLI prints `message` as its one line. */
export class ArgError extends Error {
  override readonly name = 'ArgError';
  readonly code = 'ERR_BSC_SIM_USAGE';
}

/** the backend asked for cannot be had (same code as @osmo/io's error for an invalid OSMO_IO_BACKEND) */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  readonly code = 'ERR_OSMO_IO_BACKEND';
}

/** a value outside what the simulator supports (a programming error of its caller) */
export class SimRangeError extends RangeError {
  override readonly name = 'SimRangeError';
  readonly code = 'ERR_OUT_OF_RANGE';
}

/** An A-bis decoder's typed error: what went wrong (code) and at which byte offset of the input. */
class AbisDecodeError<C extends string> extends Error {
  constructor(readonly code: C, message: string, readonly offset: number) {
    super(`${message} (at offset ${offset})`);
  }
}

export type OmlDecodeErrorCode = 'ERR_OML_TOO_SHORT' | 'ERR_OML_BAD_MDISC' | 'ERR_OML_BAD_LENGTH' | 'ERR_OML_BAD_MANUF' |
  'ERR_OML_ATTR_UNKNOWN' | 'ERR_OML_ATTR_TRUNCATED';

export class OmlDecodeError extends AbisDecodeError<OmlDecodeErrorCode> {
  override readonly name = 'OmlDecodeError';
}

export class OmlEncodeError extends RangeError {
  override readonly name = 'OmlEncodeError';
  readonly code = 'ERR_OML_ENCODE';
}

export type RslDecodeErrorCode = 'ERR_RSL_TOO_SHORT' | 'ERR_RSL_UNSUPPORTED' | 'ERR_RSL_IE_UNKNOWN' | 'ERR_RSL_IE_TRUNCATED' |
  'ERR_RSL_IE_MISSING' | 'ERR_RSL_IE_INVALID';

export class RslDecodeError extends AbisDecodeError<RslDecodeErrorCode> {
  override readonly name = 'RslDecodeError';
}

export class RslEncodeError extends RangeError {
  override readonly name = 'RslEncodeError';
  readonly code = 'ERR_RSL_ENCODE';
}
