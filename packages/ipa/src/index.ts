/** @osmo/ipa: IPA framing, OSMO extensions, CCM, segmentation, keepalive, IPA client and server. */
export { IpaDecodeError, IpaEncodeError, type IpaDecodeErrorCode, type IpaEncodeErrorCode } from './errors.js';
export {
  IPA_HEADER_LEN, IPA_MAX_PAYLOAD_LEN, IpaProto, type IpaProtoName, ipaProtoName, isKnownIpaProto,
  type IpaHeader, type IpaFrame, encodeIpaHeader, decodeIpaHeader, encodeIpaFrame, decodeIpaFrame, decodeIpaFrames,
} from './header.js';
export {
  IpaOsmoExt, type IpaOsmoExtName, ipaOsmoExtName, type IpaOsmoPayload,
  encodeOsmoPayload, decodeOsmoPayload, encodeOsmoFrame, decodeOsmoFrame,
} from './ext.js';
export {
  CcmMsgType, type CcmMsgTypeName, ccmMsgTypeName, type CcmMessage, type CcmSimpleMessage, type CcmIdGetMessage,
  type CcmIdRespMessage, type CcmOtherMessage, encodeCcmPayload, decodeCcmPayload, encodeCcmFrame, decodeCcmFrame,
  ccmIdGet, ccmIdResp, idGetTags, ccmPingFrame, ccmPongFrame, ccmIdAckFrame,
} from './ccm.js';
export {
  IpaIdTag, type IpaIdTagName, ipaIdTagName, IPA_DEFAULT_ID_GET_TAGS, IPA_ID_STRING_MAX, type IpaIdentity,
  type IpaIdentityInit, type IpaIdItem, identityFieldOfTag, idStringValue, idValueString, identityToIdItems,
  idItemsToIdentity,
} from './idtags.js';
export { type UnitId, parseUnitId, formatUnitId } from './unit-id.js';
export {
  IPA_DEFAULT_MAX_FRAME_LEN, type IpaSegmentationOptions, type SegmentationCb, ipaSegmentation, ipaSegmentationJs,
  ipaSegmentationIsNative,
} from './segment.js';
export { type IpaMessage, type IpaMessageKind, parseIpaMessage } from './message.js';
export { IpaKeepalive, type IpaKeepaliveState, type IpaKeepaliveParams, type IpaKeepaliveOptions } from './keepalive.js';
export { IpaLink, type IpaLinkEvents, type IpaLinkOptions } from './conn.js';
export { IpaClient, type IpaClientOptions } from './client.js';
export { IpaServer, IpaServerConn, type IpaServerOptions, type IpaServerEvents, type IpaAcceptFn } from './server.js';
