/**
 * Every error @osmo/ipa throws, Node style: a class per kind, a stable `code` on each, and the argument validators
 * the public entry points call before doing any work. Decoders throw only their typed decode error.
 */

/** Codes carried by {@link IpaDecodeError}. */
export type IpaDecodeErrorCode =
  | 'ERR_IPA_SHORT_HEADER' // fewer than 3 bytes where an IPA header was expected
  | 'ERR_IPA_TRUNCATED' // the header announces more payload than present
  | 'ERR_IPA_TRAILING' // bytes after the end of the announced frame
  | 'ERR_IPA_NO_EXT' // OSMO (0xEE) frame without the extension byte
  | 'ERR_IPA_EMPTY_CCM' // CCM (0xFE) frame without the message type byte
  | 'ERR_IPA_PROTO' // frame carries a different protocol than the decoder expects
  | 'ERR_IPA_CCM_ITEM' // malformed ID_GET / ID_RESP item (zero length, overflow)
  | 'ERR_IPA_UNIT_ID'; // unit id text not of the form site/bts/trx

/** Any byte string handed to a decoder either decodes or yields this error (never a stray TypeError/RangeError). */
export class IpaDecodeError extends Error {
  override readonly name = 'IpaDecodeError';
  readonly code: IpaDecodeErrorCode;
  /** byte offset (into the decoder's input) where decoding failed */
  readonly offset: number;
  constructor(code: IpaDecodeErrorCode, offset: number, message: string) {
    super(`${message} (at offset ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}

/** Codes carried by {@link IpaEncodeError}. */
export type IpaEncodeErrorCode =
  | 'ERR_IPA_PAYLOAD_TOO_LONG' // payload does not fit the 16-bit length field
  | 'ERR_IPA_BAD_VALUE'; // a field value is out of range (protocol byte, tag, unit-id component...)

/** Encoding programming mistakes (value out of range): a RangeError with a Node-style `code`. */
export class IpaEncodeError extends RangeError {
  override readonly name = 'IpaEncodeError';
  readonly code: IpaEncodeErrorCode;
  constructor(code: IpaEncodeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Codes carried by {@link TlvDecodeError}. */
export type TlvDecodeErrorCode =
  | 'ERR_TLV_UNKNOWN_TAG' // a tag the table does not know (and the table refuses unknown tags)
  | 'ERR_TLV_TRUNCATED' // the length octet(s) or the value run past the end
  | 'ERR_TLV_BAD_LENGTH'; // a length that cannot be right (length-first item without room for its tag, bad TV length)

/**
 * What {@link TlvTable} parsing throws. Protocol decoders built on the table catch it and rethrow their own typed
 * decode error at the same offset, so a caller sees one error class per protocol.
 */
export class TlvDecodeError extends Error {
  override readonly name = 'TlvDecodeError';
  readonly code: TlvDecodeErrorCode;
  /** offset (into the parsed buffer) of the element that failed */
  readonly offset: number;
  /** its tag, or -1 when the input ends before the tag */
  readonly tag: number;
  /** the message without the offset, for decoders that word their own */
  readonly detail: string;
  constructor(code: TlvDecodeErrorCode, offset: number, tag: number, detail: string) {
    super(`${detail} (at offset ${offset})`);
    this.code = code;
    this.offset = offset;
    this.tag = tag;
    this.detail = detail;
  }
}

/** Codes carried by {@link TlvEncodeError}. */
export type TlvEncodeErrorCode =
  | 'ERR_TLV_UNKNOWN_TAG' // the table has no entry for the tag
  | 'ERR_TLV_VALUE_LENGTH'; // the value does not fit the tag's form (fixed length, 8/15/16-bit length)

/** Building elements that do not fit the table: a RangeError with a `code`. */
export class TlvEncodeError extends RangeError {
  override readonly name = 'TlvEncodeError';
  readonly code: TlvEncodeErrorCode;
  readonly tag: number;
  constructor(code: TlvEncodeErrorCode, tag: number, message: string) {
    super(message);
    this.code = code;
    this.tag = tag;
  }
}

/** An argument of the wrong type (Node's ERR_INVALID_ARG_TYPE). */
export class IpaTypeError extends TypeError {
  override readonly name = 'TypeError';
  readonly code = 'ERR_INVALID_ARG_TYPE';
}

/** A numeric argument outside its range (Node's ERR_OUT_OF_RANGE). */
export class IpaRangeError extends RangeError {
  override readonly name = 'RangeError';
  readonly code = 'ERR_OUT_OF_RANGE';
}

// ---------------------------------------------------------------------------------------------------------------
// validators (called where a value enters the package)

/** @internal an integer in [min, max] */
export function validateInteger(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number') throw new IpaTypeError(`The "${name}" argument must be of type number. Received ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new IpaRangeError(`The value of "${name}" is out of range. It must be an integer >= ${min} and <= ${max}. Received ${v}`);
  }
  return v;
}

/** @internal a finite number > 0 (durations in ms) */
export function validatePositive(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new IpaTypeError(`The "${name}" argument must be of type number. Received ${typeof v}`);
  if (!Number.isFinite(v) || v <= 0) throw new IpaRangeError(`The value of "${name}" is out of range. It must be > 0. Received ${v}`);
  return v;
}

/** @internal */
export function checkByte(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `${what} must be an integer 0..255, got ${v}`);
}

/** @internal */
export function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `${what} must be an integer 0..65535, got ${v}`);
}
