/** @osmo/ns2-udp: GPRS NS over UDP (TS 48.016 NS-IP, IP-SNS) on @osmo/io. */
export { NsPduType, NsIe, NsCause, pduName, causeName, type NsPduName } from './constants.js';
export { NsDecodeError, NsError, type NsDecodeErrorCode, type NsErrorCode } from './errors.js';
export {
  decodeNs, tryDecodeNs, encodeNs, encodeUnitdata,
  type NsPdu, type NsUnitdata, type NsReset, type NsResetAck, type NsBlock, type NsBlockAck, type NsBare, type NsStatus,
  type SnsAck, type SnsAdd, type SnsDelete, type SnsConfig, type SnsConfigAck, type SnsSize, type SnsSizeAck,
  type IpAddress, type IpElement,
} from './codec.js';
export { decodeElements, encodeElements } from './elements.js';
export { NS_TIMER_DEFAULTS, nsTimers, type NsTimerName, type NsTimers } from './timers.js';
export { NsCounters } from './counters.js';
export { NsBind, NS_UDP_MTU, inetAddr, ioFdTransport, type NsBindOptions, type NsTransport, type NsTransportFactory, type NsRxFn } from './bind.js';
export { NsVc, type NsvcState, type NsvcMode, type NsvcOptions } from './nsvc.js';
export { Nse, type NsDialect, type NsRole, type NseOptions, type AddNsvcOptions } from './nse.js';
export { SnsBss, SnsSgsn, type SnsState } from './sns.js';
export { NsInstance, type NsInstanceOptions, type NsUnitdataEvent, type NsInstanceEvents, type NsStatusEvent, type NsStatusCause } from './instance.js';
export type { IpFamily } from './ip.js';
export { bvcReset, bvcResetAck, parseBvcReset } from './bssgp-min.js';
