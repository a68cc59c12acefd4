/**
 * Reply strings of libosmoctrl, verbatim (they are part of the wire protocol: peers and TTCN-3 tests
 * compare them), and the typed errors of this package.
 */

/** Reply texts used by upstream's parser and command executor. Do not "fix" punctuation: it is significant. */
export const CtrlReplyText = {
  /** parser: empty request */
  REQUEST_MALFORMED: 'Request malformed',
  /** parser: first word is not a known verb */
  TYPE_UNKNOWN: 'Request type unknown',
  /** parser: no id word */
  MISSING_ID: 'Missing ID',
  /** parser: id is not all digits (and not the literal "err" on an ERROR) */
  INVALID_ID: 'Invalid message ID number',
  GET_INCOMPLETE: 'GET incomplete',
  GET_INVALID_VARIABLE: 'GET variable contains invalid characters',
  GET_TRAILING: 'GET with trailing characters',
  SET_INCOMPLETE: 'SET incomplete',
  SET_INVALID_VARIABLE: 'SET variable contains invalid characters',
  SET_TRAILING: 'SET with trailing characters',
  TRAP_REPLY_INCOMPLETE: 'Trap/Reply incomplete',
  TRAP_REPLY_INVALID_VARIABLE: 'Trap/Reply variable contains invalid characters',
  OOM: 'OOM',
  /** node walk: a lookup could not find the addressed object (-ENODEV) */
  ERROR_RESOLVING: 'Error while resolving object',
  /** node walk: a lookup could not parse an index (-ERANGE) */
  ERROR_PARSING_INDEX: 'Error while parsing the index.',
  /** node walk: the node reached has no commands at all (with period) */
  NODE_HAS_NO_COMMANDS: 'Command not found.',
  /** node walk consumed every word: nothing left to execute (with period) */
  COMMAND_NOT_PRESENT: 'Command not present.',
  /** exec: no command of the node matches (no period) */
  COMMAND_NOT_FOUND: 'Command not found',
  NOT_GET_OR_SET: 'Trying to execute something not GET or SET',
  SET_WITHOUT_VALUE: 'SET without a value',
  SET_NOT_IMPLEMENTED: 'SET not implemented',
  GET_NOT_IMPLEMENTED: 'GET not implemented',
  VERIFY_FAILED: 'Value failed verification.',
  /** an ERROR result without reply text */
  DEFAULT_ERROR: 'An error has occurred.',
  /** a HANDLED result without reply text */
  HANDLED: 'Command has been handled.',
  READ_ONLY: 'Read Only attribute',
  WRITE_ONLY: 'Write Only attribute',
  NOT_IN_RANGE: 'Input not within the range',
} as const;

export type CtrlReplyTextKey = keyof typeof CtrlReplyText;

/**
 * A CTRL payload that does not parse. `id` and `reason` form the ERROR reply that upstream sends for it
 * (`ERROR <id> <reason>`); `id` is "err" when the id itself could not be parsed. `offset` is the byte offset
 * (within the CTRL text) of the token that failed.
 */
export class CtrlDecodeError extends Error {
  readonly code = 'ERR_OSMO_CTRL_DECODE';
  readonly id: string;
  readonly reason: string;
  readonly offset: number;
  constructor(id: string, reason: string, offset: number) {
    super(`CTRL decode error at offset ${offset}: ${reason} (id ${id})`);
    this.name = 'CtrlDecodeError';
    this.id = id;
    this.reason = reason;
    this.offset = offset;
  }
}

/**
 * Throw from a command callback (also as a promise rejection) to answer `ERROR <id> <message>`: an answer to the
 * peer, not a failure of this process (hence no `code`).
 */
export class CtrlCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CtrlCommandError';
  }
}

/** Client side failures: the peer answered ERROR, timed out, or the connection went away. */
export type CtrlClientErrorCode =
  | 'ERR_OSMO_CTRL_ERROR_REPLY'
  | 'ERR_OSMO_CTRL_TIMEOUT'
  | 'ERR_OSMO_CTRL_CLOSED'
  | 'ERR_OSMO_CTRL_NOT_CONNECTED'
  | 'ERR_OSMO_CTRL_PROTOCOL';

export class CtrlClientError extends Error {
  readonly code: CtrlClientErrorCode;
  /** for ERR_OSMO_CTRL_ERROR_REPLY: the peer's reply text */
  readonly reply: string | undefined;
  constructor(code: CtrlClientErrorCode, message: string, reply?: string, cause?: Error) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = 'CtrlClientError';
    this.code = code;
    this.reply = reply;
  }
}

/** A CTRL message that upstream would refuse to build, or that would not decode back to itself. */
export class CtrlEncodeError extends RangeError {
  readonly code = 'ERR_OSMO_CTRL_ENCODE';
  constructor(message: string) {
    super(message);
    this.name = 'CtrlEncodeError';
  }
}

/** Codes of {@link CtrlUsageError}: programming mistakes made by the caller of this package. */
export type CtrlUsageErrorCode =
  /** an argument with a value this API does not take (empty FSM state list, bad command name ...) */
  | 'ERR_OSMO_CTRL_INVALID_ARG'
  /** a registry entry (rate counter group, stat item group, counter, FSM) of that name/index exists already */
  | 'ERR_OSMO_CTRL_DUPLICATE'
  /** a name that is not registered (counter of a group, stat item, FSM state) */
  | 'ERR_OSMO_CTRL_UNKNOWN_NAME';

/** Caller mistakes about values, Node style: a RangeError with a stable `code`. */
export class CtrlUsageError extends RangeError {
  readonly code: CtrlUsageErrorCode;
  constructor(code: CtrlUsageErrorCode, message: string) {
    super(message);
    this.name = 'CtrlUsageError';
    this.code = code;
  }
}

/** An operation the object's state does not allow (e.g. deferring a command that has no connection to answer on). */
export class CtrlStateError extends Error {
  readonly code = 'ERR_OSMO_CTRL_INVALID_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'CtrlStateError';
  }
}

/** Validator for option values at the API edge: a timeout in ms (a positive integer, at most 2^31-1 as setTimeout). */
export function validateTimeoutMs(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0x7fffffff) {
    throw new CtrlUsageError('ERR_OSMO_CTRL_INVALID_ARG', `${name} must be an integer of milliseconds 1..2147483647, got ${String(v)}`);
  }
  return v;
}

/** @internal for names that the registry holds once */
export function duplicate(what: string): CtrlUsageError {
  return new CtrlUsageError('ERR_OSMO_CTRL_DUPLICATE', `${what} already registered`);
}

/** @internal */
export function unknownName(what: string): CtrlUsageError {
  return new CtrlUsageError('ERR_OSMO_CTRL_UNKNOWN_NAME', what);
}
