/**
 * NS numbers of 3GPP TS 48.016 as libosmogb names them: PDU types (gsm_08_16.h, names from gprs_ns_pdu_strings),
 * IEIs (enum ns_ctrl_ie) and causes (enum ns_cause, names from gprs_ns2_cause_strs).
 */

export const NsPduType = {
  UNITDATA: 0x00,
  RESET: 0x02,
  RESET_ACK: 0x03,
  BLOCK: 0x04,
  BLOCK_ACK: 0x05,
  UNBLOCK: 0x06,
  UNBLOCK_ACK: 0x07,
  STATUS: 0x08,
  ALIVE: 0x0a,
  ALIVE_ACK: 0x0b,
  SNS_ACK: 0x0c,
  SNS_ADD: 0x0d,
  SNS_CHANGEWEIGHT: 0x0e,
  SNS_CONFIG: 0x0f,
  SNS_CONFIG_ACK: 0x10,
  SNS_DELETE: 0x11,
  SNS_SIZE: 0x12,
  SNS_SIZE_ACK: 0x13,
} as const;

/** the `type` strings of decoded PDUs, as upstream prints them */
export type NsPduName =
  | 'NS-UNITDATA' | 'NS-RESET' | 'NS-RESET-ACK' | 'NS-BLOCK' | 'NS-BLOCK-ACK' | 'NS-UNBLOCK' | 'NS-UNBLOCK-ACK'
  | 'NS-STATUS' | 'NS-ALIVE' | 'NS-ALIVE-ACK' | 'SNS-ACK' | 'SNS-ADD' | 'SNS-CHANGEWEIGHT' | 'SNS-CONFIG'
  | 'SNS-CONFIG-ACK' | 'SNS-DELETE' | 'SNS-SIZE' | 'SNS-SIZE-ACK';

export const PDU_NAMES: ReadonlyMap<number, NsPduName> = new Map<number, NsPduName>([
  [0x00, 'NS-UNITDATA'], [0x02, 'NS-RESET'], [0x03, 'NS-RESET-ACK'], [0x04, 'NS-BLOCK'], [0x05, 'NS-BLOCK-ACK'],
  [0x06, 'NS-UNBLOCK'], [0x07, 'NS-UNBLOCK-ACK'], [0x08, 'NS-STATUS'], [0x0a, 'NS-ALIVE'], [0x0b, 'NS-ALIVE-ACK'],
  [0x0c, 'SNS-ACK'], [0x0d, 'SNS-ADD'], [0x0e, 'SNS-CHANGEWEIGHT'], [0x0f, 'SNS-CONFIG'], [0x10, 'SNS-CONFIG-ACK'],
  [0x11, 'SNS-DELETE'], [0x12, 'SNS-SIZE'], [0x13, 'SNS-SIZE-ACK'],
]);
export const PDU_TYPES: ReadonlyMap<NsPduName, number> = new Map([...PDU_NAMES].map(([k, v]) => [v, k]));

/** upstream's name for a PDU type octet ("unknown 0x42" for others) */
export function pduName(t: number): string {
  return PDU_NAMES.get(t) ?? `unknown 0x${t.toString(16).padStart(2, '0')}`;
}

export const NsIe = {
  CAUSE: 0x00,
  VCI: 0x01,
  PDU: 0x02,
  BVCI: 0x03,
  NSEI: 0x04,
  IPv4_LIST: 0x05,
  IPv6_LIST: 0x06,
  MAX_NR_NSVC: 0x07,
  IPv4_EP_NR: 0x08,
  IPv6_EP_NR: 0x09,
  RESET_FLAG: 0x0a,
  IP_ADDR: 0x0b,
} as const;

/** IE names used in decode errors */
export const IE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'Cause'], [0x01, 'NS-VCI'], [0x02, 'NS PDU'], [0x03, 'BVCI'], [0x04, 'NSEI'], [0x05, 'List of IP4 Elements'],
  [0x06, 'List of IP6 Elements'], [0x07, 'Maximum Number of NS-VCs'], [0x08, 'Number of IP4 Endpoints'],
  [0x09, 'Number of IP6 Endpoints'], [0x0a, 'Reset Flag'], [0x0b, 'IP Address'],
]);

export const NsCause = {
  TRANSIT_FAIL: 0x00,
  OM_INTERVENTION: 0x01,
  EQUIP_FAIL: 0x02,
  NSVC_BLOCKED: 0x03,
  NSVC_UNKNOWN: 0x04,
  BVCI_UNKNOWN: 0x05,
  SEM_INCORR_PDU: 0x08,
  PDU_INCOMP_PSTATE: 0x0a,
  PROTO_ERR_UNSPEC: 0x0b,
  INVAL_ESSENT_IE: 0x0c,
  MISSING_ESSENT_IE: 0x0d,
  INVAL_NR_IPv4_EP: 0x0e,
  INVAL_NR_IPv6_EP: 0x0f,
  INVAL_NR_NS_VC: 0x10,
  INVAL_WEIGH: 0x11,
  UNKN_IP_EP: 0x12,
  UNKN_IP_ADDR: 0x13,
  UNKN_IP_TEST_FAILED: 0x14,
} as const;

const CAUSE_STRS = new Map<number, string>([
  [0x00, 'Transit network failure'], [0x01, 'O&M intervention'], [0x02, 'Equipment failure'], [0x03, 'NS-VC blocked'],
  [0x04, 'NS-VC unknown'], [0x05, 'BVCI unknown'], [0x08, 'Semantically incorrect PDU'],
  [0x0a, 'PDU not compatible with protocol state'], [0x0b, 'Protocol error, unspecified'], [0x0c, 'Invalid essential IE'],
  [0x0d, 'Missing essential IE'], [0x0e, 'Invalid Number of IPv4 Endpoints'], [0x0f, 'Invalid Number of IPv6 Endpoints'],
  [0x10, 'Invalid Number of NS-VCs'], [0x11, 'Invalid Weights'], [0x12, 'Unknown IP Endpoint'], [0x13, 'Unknown IP Address'],
  [0x14, 'IP Test Failed'],
]);

/** upstream's text for a cause value */
export function causeName(c: number): string {
  return CAUSE_STRS.get(c) ?? `unknown cause 0x${c.toString(16).padStart(2, '0')}`;
}
