/**
 * The few BSSGP PDUs osmo-ns-dummy speaks (3GPP TS 48.018): BVC-RESET (0x22) and BVC-RESET-ACK (0x23) with the
 * BVCI IE (0x04, TLV) and Cause IE (0x07). Not a BSSGP implementation: just enough to prove the NS layer end to end.
 */
import { TlvTable, TlvDecodeError } from '@osmo/ipa/tlv';
export const BSSGP_BVC_RESET = 0x22;
export const BSSGP_BVC_RESET_ACK = 0x23;
const IE_BVCI = 0x04, IE_CAUSE = 0x07;
/** BSSGP cause O&M intervention */
export const BSSGP_CAUSE_OML_INTERV = 0x08;

export function bvcReset(bvci: number, cause = BSSGP_CAUSE_OML_INTERV): Buffer {
  return Buffer.from([BSSGP_BVC_RESET, IE_BVCI, 0x82, bvci >> 8, bvci & 0xff, IE_CAUSE, 0x81, cause]);
}
export function bvcResetAck(bvci: number): Buffer {
  return Buffer.from([BSSGP_BVC_RESET_ACK, IE_BVCI, 0x82, bvci >> 8, bvci & 0xff]);
}

/** BSSGP IEs are TvLV (TS 48.018 11.1) */
const BSSGP_IES = new TlvTable({ unknown: { form: 'TvLV' } });

/** name and BVCI of a BVC-RESET / BVC-RESET-ACK, or null for anything else (or a malformed one) */
export function parseBvcReset(sdu: Buffer): { pdu: 'BVC-RESET' | 'BVC-RESET-ACK'; bvci: number } | null {
  if (sdu.length < 1 || (sdu[0] !== BSSGP_BVC_RESET && sdu[0] !== BSSGP_BVC_RESET_ACK)) return null;
  let bvci: Buffer | undefined;
  try {
    bvci = BSSGP_IES.index(sdu, 1).value(IE_BVCI);
  } catch (e) {
    if (e instanceof TlvDecodeError) return null;
    throw e;
  }
  if (bvci === undefined || bvci.length !== 2) return null;
  return { pdu: sdu[0] === BSSGP_BVC_RESET ? 'BVC-RESET' : 'BVC-RESET-ACK', bvci: bvci.readUInt16BE(0) };
}
