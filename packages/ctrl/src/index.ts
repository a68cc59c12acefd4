/** @osmo/ctrl: the Osmocom CTRL interface (codec, command tree, server, client, registry). */
export {
  decodeCtrl, tryDecodeCtrl, encodeCtrl, encodeCtrlText, CTRL_MAX_TEXT,
  type CtrlType, type CtrlMessage, type CtrlGet, type CtrlSet, type CtrlGetReply, type CtrlSetReply, type CtrlTrap,
  type CtrlErrorMsg, type CtrlDecodeOptions,
} from './codec.js';
export {
  CtrlReplyText, CtrlDecodeError, CtrlEncodeError, CtrlClientError, CtrlCommandError, CtrlUsageError, CtrlStateError,
  type CtrlClientErrorCode, type CtrlUsageErrorCode,
} from './errors.js';
export { isValidCtrlVariable } from './identifier.js';
export {
  CtrlRequest, CtrlDeferred, ctrlReply, ctrlError, ctrlHandled,
  type CtrlCommandDef, type CtrlCmdResult, type CtrlResult, type CtrlReplySink,
} from './command.js';
export { CtrlTree, CtrlNode, type CtrlLookupFn, type CtrlLookupResult, type CtrlChildOptions, type CtrlTreeOptions } from './tree.js';
export { CtrlRegistry, defaultRegistry } from './registry/registry.js';
export { RateCounterGroup, RateCounter, type RateCtrInterval, type RateCounterDesc, type RateCounterGroupOptions } from './registry/rate-ctr.js';
export { StatItemGroup, StatItem, type StatItemDesc, type StatItemGroupOptions } from './registry/stat-item.js';
export { Counter } from './registry/counter.js';
export { Fsm, FsmInstance, type FsmOptions } from './registry/fsm.js';
export { CtrlServer, CtrlConnection, type CtrlServerOptions, type CtrlServerEvents } from './server.js';
export { CtrlClient, type CtrlClientOptions, type CtrlClientEvents, type CtrlTrapEvent, type CtrlTimers } from './client.js';
