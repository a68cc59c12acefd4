/**
 * @osmo/ipa: IPA framing, OSMO extensions, CCM, segmentation, keepalive, IPA client and server.
 * The table-driven TLV helper is a subpath of its own, `@osmo/ipa/tlv` (it loads no native code).
 */
export {
  IpaDecodeError, IpaEncodeError, IpaRangeError, IpaTypeError, type IpaDecodeErrorCode, type IpaEncodeErrorCode,
} from './errors.js';
export {
  IPA_HEADER_LEN, IPA_MAX_PAYLOAD_LEN, IpaProto, type IpaProtoName, ipaProtoName, type IpaFrame,
  encodeIpaFrame, decodeIpaFrame, decodeIpaFrames,
} from './header.js';
export { IpaOsmoExt, type IpaOsmoExtName, ipaOsmoExtName, type IpaOsmoPayload, encodeOsmoFrame, decodeOsmoFrame } from './ext.js';
export {
  CcmMsgType, type CcmMsgTypeName, ccmMsgTypeName, type CcmMessage, type CcmSimpleMessage, type CcmIdGetMessage,
  type CcmIdRespMessage, type CcmOtherMessage, decodeCcmPayload, encodeCcmFrame, decodeCcmFrame,
  ccmIdGet, ccmIdResp, ccmPingFrame, ccmPongFrame, ccmIdAckFrame,
} from './ccm.js';
export {
  IpaIdTag, type IpaIdTagName, ipaIdTagName, IPA_DEFAULT_ID_GET_TAGS, type IpaIdentity, type IpaIdentityInit,
  type IpaIdItem, idItemsToIdentity,
} from './idtags.js';
export { type UnitId, parseUnitId, formatUnitId } from './unit-id.js';
export { type IpaSegmentationOptions, type SegmentationCb, ipaSegmentation, ipaSegmentationJs } from './segment.js';
export { type IpaMessage, type IpaMessageKind, parseIpaMessage } from './message.js';
export {
  IpaKeepalive, type IpaKeepaliveState, type IpaKeepaliveParams, type IpaKeepaliveOptions,
} from './keepalive.js';
export { systemTimers, type IpaTimers } from './timers.js';
export type { IpaLink, IpaLinkEvents, IpaLinkOptions } from './conn.js';
export { IpaClient, type IpaClientOptions } from './client.js';
export { IpaServer, IpaServerConn, type IpaServerOptions, type IpaServerEvents, type IpaAcceptFn } from './server.js';
