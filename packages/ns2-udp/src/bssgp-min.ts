/**
 * The few BSSGP PDUs osmo-ns-dummy speaks (3GPP TS 48.018): BVC-RESET (0x22) and BVC-RESET-ACK (0x23) with the
 * BVCI IE (0x04, TLV) and Cause IE (0x07). Not a BSSGP implementation: just enough to prove the NS layer end to end.
 */
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

/** name and BVCI of a BVC-RESET / BVC-RESET-ACK, or null for anything else (or a malformed one) */
export function parseBvcReset(sdu: Buffer): { pdu: 'BVC-RESET' | 'BVC-RESET-ACK'; bvci: number } | null {
  if (sdu.length < 5 || (sdu[0] !== BSSGP_BVC_RESET && sdu[0] !== BSSGP_BVC_RESET_ACK)) return null;
  // the BVCI IE is the first IE in both PDUs; its length octet is 0x82 (or 0x00 0x02 in the long form)
  if (sdu[1] !== IE_BVCI) return null;
  let off: number;
  if (sdu[2] === 0x82) off = 3;
  else if (sdu[2] === 0x00 && sdu[3] === 0x02 && sdu.length >= 6) off = 4;
  else return null;
  return { pdu: sdu[0] === BSSGP_BVC_RESET ? 'BVC-RESET' : 'BVC-RESET-ACK', bvci: sdu.readUInt16BE(off) };
}
