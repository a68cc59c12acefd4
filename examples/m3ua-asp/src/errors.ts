/** The errors of the M3UA ASP example, with their codes. */

export class M3uaDecodeError extends Error {
  readonly code = 'ERR_M3UA_DECODE';
  constructor(message: string, readonly offset: number) { super(message); this.name = 'M3uaDecodeError'; }
}

/** a value outside what M3UA allows (a point code, ...) */
export class M3uaRangeError extends RangeError {
  override readonly name = 'M3uaRangeError';
  readonly code = 'ERR_OUT_OF_RANGE';
}
