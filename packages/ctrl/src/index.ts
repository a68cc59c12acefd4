/** @osmo/ctrl: the Osmocom CTRL interface (codec, command tree, server, client). */
export {
  decodeCtrl, tryDecodeCtrl, encodeCtrl, encodeCtrlText, ctrlTypeName, parseCtrlType, CtrlTypeValue, CTRL_TRAP_ID,
  type CtrlType, type CtrlMessage, type CtrlGet, type CtrlSet, type CtrlGetReply, type CtrlSetReply, type CtrlTrap,
  type CtrlErrorMsg, type CtrlDecodeOptions,
} from './codec.js';
export { CtrlDecodeError, CtrlClientError, CtrlReplyText, type CtrlClientErrorCode, type CtrlReplyTextKey } from './errors.js';
export { isValidCtrlVariable, isValidCtrlId, isValidIdentifier, IDENTIFIER_ILLEGAL_CHARS } from './identifier.js';
export {
  encodeCtrlFrame, ctrlFrameFromText, classifyIpaFrame, ccmFrame, ipaFrameLength, IPA_MAX_FRAME, CTRL_MAX_TEXT,
  IPAC_PROTO_OSMO, IPAC_PROTO_IPACCESS, IPAC_PROTO_EXT_CTRL, IPAC_MSGT_PING, IPAC_MSGT_PONG, IPAC_MSGT_ID_ACK,
  type IpaFrameKind,
} from './frame.js';
export {
  CtrlRequest, CtrlDeferred, CtrlCommandError, ctrlReply, ctrlError, ctrlHandled,
  type CtrlCommandDef, type CtrlCmdResult, type CtrlResult, type CtrlReplySink,
} from './command.js';
export { CtrlTree, CtrlNode, parseCtrlNum, type CtrlLookupFn, type CtrlLookupResult, type CtrlChildOptions, type CtrlTreeOptions } from './tree.js';
export { CtrlRegistry, defaultRegistry } from './registry/registry.js';
export { RateCounterGroup, RateCounter, RATE_CTR_INTERVALS, type RateCtrInterval, type RateCounterDesc, type RateCounterGroupOptions } from './registry/rate-ctr.js';
export { StatItemGroup, StatItem, type StatItemDesc, type StatItemGroupOptions } from './registry/stat-item.js';
export { Counter } from './registry/counter.js';
export { Fsm, FsmInstance, type FsmOptions } from './registry/fsm.js';
export { installBuiltins } from './builtins/index.js';
export { RateCtrText } from './builtins/rate-ctr.js';
export { StatItemText } from './builtins/stat-item.js';
export { CounterText } from './builtins/counter.js';
export { FsmText } from './builtins/fsm.js';
export { CtrlServer, CtrlConnection, CTRL_CONN_COUNTERS, CTRL_CONN_FSM, type CtrlServerOptions, type CtrlServerEvents } from './server.js';
export { CtrlClient, type CtrlClientOptions, type CtrlClientEvents, type CtrlTrapEvent } from './client.js';
export { runCli, main as cliMain, EXIT as CLI_EXIT, type CliIo } from './cli.js';
