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

/** Codes of the programming and state errors @osmo/ns2-udp throws (Node style: a stable `code` on each). */
export type NsErrorCode =
  | 'ERR_OUT_OF_RANGE' // a number outside its field (NSEI, BVCI, IE value, timer)
  | 'ERR_INVALID_ARG_VALUE' // an argument of the right type but unusable (an address of the wrong family, a PDU type)
  | 'ERR_NS_ENCODE' // a PDU value that does not fit its IE
  | 'ERR_NS_UNKNOWN_TIMER' // a timer name not in TS 48.016 / osmo-ns
  | 'ERR_NS_NSE_EXISTS' // createNse() for an NSEI that is in use
  | 'ERR_NS_NSVC_EXISTS' // addNsvc() to a remote the bind already has an NS-VC to
  | 'ERR_NS_NSVCI_IN_USE' // addNsvc() with an NSVCI another NS-VC has
  | 'ERR_NS_NSVCI_REQUIRED' // addNsvc() on an ipaccess NSE without an NSVCI
  | 'ERR_NS_NOT_SNS_BSS'; // an IP-SNS BSS operation on an NSE of another dialect or role

/**
 * Arguments and state that make an operation impossible (RangeError, so `instanceof RangeError` keeps working);
 * `code` says which.
 */
export class NsError extends RangeError {
  override readonly name = 'NsError';
  constructor(readonly code: NsErrorCode, message: string) {
    super(message);
  }
}

/** @internal an integer in [min, max] */
export function validateRange(v: unknown, name: string, min: number, max: number, code: NsErrorCode = 'ERR_OUT_OF_RANGE'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new NsError(code, `The value of "${name}" is out of range. It must be an integer >= ${min} and <= ${max}. Received ${String(v)}`);
  }
  return v;
}

/** A bad osmo-ns-dummy command line (code ERR_NS_USAGE); an empty message asks for the usage text alone. */
export class NsUsageError extends Error {
  override readonly name = 'NsUsageError';
  readonly code = 'ERR_NS_USAGE';
}
