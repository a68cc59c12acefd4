/** @osmo/ns2-udp: GPRS NS over UDP (TS 48.016 NS-IP, IP-SNS) on @osmo/io. */
export { NsPduType, NsIe, NsCause, PDU_NAMES, PDU_TYPES, pduName, causeName, type NsPduName } from './constants.js';
export { NsDecodeError, type NsDecodeErrorCode } from './errors.js';
export {
  decodeNs, tryDecodeNs, encodeNs, encodeUnitdata,
  type NsPdu, type NsUnitdata, type NsReset, type NsResetAck, type NsBlock, type NsBlockAck, type NsBare, type NsStatus,
  type SnsAck, type SnsAdd, type SnsDelete, type SnsConfig, type SnsConfigAck, type SnsSize, type SnsSizeAck,
  type IpAddress, type IpElement,
} from './codec.js';
export { decodeElements, encodeElements } from './elements.js';
