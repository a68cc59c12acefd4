/** Typed errors of @osmo/ipa. */

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

/** @internal */
export function checkByte(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `${what} must be an integer 0..255, got ${v}`);
}

/** @internal */
export function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `${what} must be an integer 0..65535, got ${v}`);
}
