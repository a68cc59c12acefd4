/** The one error a decoder raises: names the PDU and the IE, carries (nsCause) the NS cause a receiver answers with. */
import { NsCause } from './constants.js';

export type NsDecodeErrorCode =
  | 'ERR_NS_EMPTY'          // zero-length datagram
  | 'ERR_NS_UNKNOWN_PDU'    // PDU type octet not in TS 48.016
  | 'ERR_NS_TRUNCATED'      // an IE (or fixed header) runs past the end
  | 'ERR_NS_MISSING_IE'     // a mandatory IE is absent
  | 'ERR_NS_INVALID_IE'     // an IE has a wrong length or value
  | 'ERR_NS_LENGTH';        // a 1-octet PDU is longer than 1 octet

export class NsDecodeError extends Error {
  override readonly name = 'NsDecodeError';
  /** the NS-STATUS cause upstream answers this with (0x0b / 0x0c / 0x0d) */
  readonly nsCause: number;
  constructor(
    readonly code: NsDecodeErrorCode,
    /** the PDU type name (e.g. "NS-RESET") or undefined for an empty or unknown PDU */
    readonly pdu: string | undefined,
    /** the IE name (e.g. "NSEI") when the error concerns one */
    readonly ie: string | undefined,
    /** byte offset into the PDU where decoding failed */
    readonly offset: number,
    detail: string,
  ) {
    super(`${pdu ?? 'NS PDU'}${ie ? ` IE ${ie}` : ''}: ${detail} (offset ${offset})`);
    this.nsCause = code === 'ERR_NS_MISSING_IE' ? NsCause.MISSING_ESSENT_IE
      : code === 'ERR_NS_INVALID_IE' ? NsCause.INVAL_ESSENT_IE : NsCause.PROTO_ERR_UNSPEC;
  }
}
