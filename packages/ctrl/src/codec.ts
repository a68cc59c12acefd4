/**
 * CTRL message codec: the text grammar of libosmoctrl (encoder as ctrl_cmd_make, decoder as ctrl_cmd_parse3),
 * reimplemented from its documented behaviour.
 *
 * Text is handled byte for byte ('latin1'), like the C code: any byte string decodes to either a message or a
 * CtrlDecodeError carrying the exact ERROR reply upstream would send.
 */
import { CtrlDecodeError, CtrlEncodeError, CtrlReplyText } from './errors.js';
import { isValidCtrlId, isValidCtrlVariable } from './identifier.js';
import { Tokenizer } from './strtok.js';

export type CtrlType = 'GET' | 'SET' | 'GET_REPLY' | 'SET_REPLY' | 'TRAP' | 'ERROR';

/** enum ctrl_type values */
export const CtrlTypeValue: Readonly<Record<CtrlType | '(unknown)', number>> = {
  '(unknown)': 0, GET: 1, SET: 2, GET_REPLY: 3, SET_REPLY: 4, TRAP: 5, ERROR: 6,
};

export interface CtrlGet { type: 'GET'; id: string; variable: string }
export interface CtrlSet { type: 'SET'; id: string; variable: string; value: string }
export interface CtrlGetReply { type: 'GET_REPLY'; id: string; variable: string; reply: string }
export interface CtrlSetReply { type: 'SET_REPLY'; id: string; variable: string; reply: string }
export interface CtrlTrap { type: 'TRAP'; id: string; variable: string; reply: string }
export interface CtrlErrorMsg { type: 'ERROR'; id: string; reply: string }
export type CtrlMessage = CtrlGet | CtrlSet | CtrlGetReply | CtrlSetReply | CtrlTrap | CtrlErrorMsg;

/** CTRL_CMD_TRAP_ID */
export const CTRL_TRAP_ID = '0';

/** Name of a type value like get_value_string(ctrl_type_vals): unknown values print as "unknown 0x40". */
export function ctrlTypeName(value: number): string {
  for (const [name, v] of Object.entries(CtrlTypeValue)) if (v === value) return name;
  return `unknown 0x${value.toString(16)}`;
}

/** Case-insensitive verb lookup (strcasecmp); "(unknown)" and anything else yield undefined. */
export function parseCtrlType(word: string): CtrlType | undefined {
  const up = word.toUpperCase();
  switch (up) {
    case 'GET': case 'SET': case 'GET_REPLY': case 'SET_REPLY': case 'TRAP': case 'ERROR':
      return up;
    default:
      return undefined;
  }
}

export interface CtrlDecodeOptions {
  /**
   * Accept GET_REPLY / SET_REPLY / TRAP without reply text (reply ""). Real servers send e.g.
   * "GET_REPLY 1 subscriber-list-active-v1 " for an empty list; upstream's own parser turns that into
   * ERROR err OOM. Clients want true, a server emulating upstream wants false (default).
   */
  allowEmptyReply?: boolean;
}

/**
 * Decode one CTRL text (the payload after the IPA extension byte). The text ends at the first NUL byte.
 * Throws CtrlDecodeError (and nothing else) when upstream's parser would fail.
 */
export function decodeCtrl(data: Buffer | string, opts: CtrlDecodeOptions = {}): CtrlMessage {
  let text = typeof data === 'string' ? data : data.toString('latin1');
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const t = new Tokenizer(text);

  const verb = t.next(' ');
  if (verb === null) throw new CtrlDecodeError('err', CtrlReplyText.REQUEST_MALFORMED, 0);
  const type = parseCtrlType(verb);
  if (type === undefined) throw new CtrlDecodeError('err', CtrlReplyText.TYPE_UNKNOWN, t.lastStart);

  const id = t.next(' ');
  if (id === null) throw new CtrlDecodeError('err', CtrlReplyText.MISSING_ID, t.lastStart);
  if (!isValidCtrlId(id) && !(type === 'ERROR' && id === 'err')) {
    throw new CtrlDecodeError('err', CtrlReplyText.INVALID_ID, t.lastStart);
  }

  switch (type) {
    case 'GET': {
      const variable = t.next(' \n');
      if (variable === null) throw new CtrlDecodeError(id, CtrlReplyText.GET_INCOMPLETE, t.lastStart);
      if (!isValidCtrlVariable(variable)) {
        throw new CtrlDecodeError(id, CtrlReplyText.GET_INVALID_VARIABLE, t.lastStart);
      }
      if (t.next('') !== null) throw new CtrlDecodeError(id, CtrlReplyText.GET_TRAILING, t.lastStart);
      return { type, id, variable };
    }
    case 'SET': {
      const variable = t.next(' ');
      const varStart = t.lastStart;
      const value = t.next('\n');
      if (variable === null || value === null) {
        throw new CtrlDecodeError(id, CtrlReplyText.SET_INCOMPLETE, t.lastStart);
      }
      if (!isValidCtrlVariable(variable)) {
        throw new CtrlDecodeError(id, CtrlReplyText.SET_INVALID_VARIABLE, varStart);
      }
      if (t.next('') !== null) throw new CtrlDecodeError(id, CtrlReplyText.SET_TRAILING, t.lastStart);
      return { type, id, variable, value };
    }
    case 'GET_REPLY':
    case 'SET_REPLY':
    case 'TRAP': {
      const variable = t.next(' ');
      if (variable === null) throw new CtrlDecodeError(id, CtrlReplyText.TRAP_REPLY_INCOMPLETE, t.lastStart);
      const varStart = t.lastStart;
      if (!isValidCtrlVariable(variable)) {
        throw new CtrlDecodeError(id, CtrlReplyText.TRAP_REPLY_INVALID_VARIABLE, varStart);
      }
      const reply = t.next('');
      if (reply === null) {
        // upstream: talloc_strdup(NULL) fails and the parser reports out-of-memory with id "err"
        if (!opts.allowEmptyReply) throw new CtrlDecodeError('err', CtrlReplyText.OOM, t.lastStart);
        return { type, id, variable, reply: '' };
      }
      return { type, id, variable, reply };
    }
    case 'ERROR': {
      const reply = t.next('');
      // upstream flags a missing reason as a parse failure (and answers "ERROR <id> ")
      if (reply === null) throw new CtrlDecodeError(id, '', t.lastStart);
      return { type, id, reply };
    }
  }
}

/**
 * Largest IPA frame (header included) a CTRL peer takes: upstream reads into a msgb of IPA_ALLOC_SIZE (1200) bytes;
 * CtrlServer closes a connection that announces more.
 */
export const CTRL_MAX_FRAME = 1200;
/** largest CTRL text that fits one such frame (1200 - 3 bytes IPA header - 1 extension byte) */
export const CTRL_MAX_TEXT = CTRL_MAX_FRAME - 4;

/** Total variant of decodeCtrl: never throws. */
export function tryDecodeCtrl(
  data: Buffer | string,
  opts?: CtrlDecodeOptions,
): { ok: true; msg: CtrlMessage } | { ok: false; error: CtrlDecodeError } {
  try {
    return { ok: true, msg: decodeCtrl(data, opts) };
  } catch (e) {
    if (e instanceof CtrlDecodeError) return { ok: false, error: e };
    throw e;
  }
}

function fail(msg: string): never {
  throw new CtrlEncodeError(msg);
}

/**
 * Encode a CTRL message to its text (ctrl_cmd_make): single spaces, no trailing newline, no NUL.
 * Throws CtrlEncodeError (a RangeError, code ERR_OSMO_CTRL_ENCODE) for messages upstream refuses to build, or that would not
 * decode back to the same message (bad id, bad variable, a SET value with a newline or NUL).
 */
export function encodeCtrlText(msg: CtrlMessage): string {
  if (typeof msg.id !== 'string' || msg.id.length === 0) fail('CTRL message without id');
  if (!isValidCtrlId(msg.id) && !(msg.type === 'ERROR' && msg.id === 'err')) fail(`invalid CTRL id ${JSON.stringify(msg.id)}`);
  switch (msg.type) {
    case 'GET':
      checkVariable(msg.variable);
      return `GET ${msg.id} ${msg.variable}`;
    case 'SET':
      checkVariable(msg.variable);
      if (typeof msg.value !== 'string' || msg.value.length === 0) fail('SET without value');
      if (/[\n\0]/.test(msg.value)) fail('SET value must not contain a newline or NUL');
      return `SET ${msg.id} ${msg.variable} ${msg.value}`;
    case 'GET_REPLY':
    case 'SET_REPLY':
    case 'TRAP':
      checkVariable(msg.variable);
      if (typeof msg.reply !== 'string') fail(`${msg.type} without reply`);
      if (msg.reply.includes('\0')) fail('reply must not contain NUL');
      return `${msg.type} ${msg.id} ${msg.variable} ${msg.reply}`;
    case 'ERROR':
      if (typeof msg.reply !== 'string') fail('ERROR without reply');
      if (msg.reply.includes('\0')) fail('reply must not contain NUL');
      return `ERROR ${msg.id} ${msg.reply}`;
    default:
      return fail(`unknown CTRL type ${String((msg as { type: unknown }).type)}`);
  }
}

function checkVariable(v: unknown): void {
  if (typeof v !== 'string' || !isValidCtrlVariable(v)) fail(`invalid CTRL variable ${JSON.stringify(v)}`);
}

/** Encode to bytes ('latin1': one byte per char code, as the C code sees it). */
export function encodeCtrl(msg: CtrlMessage): Buffer {
  return Buffer.from(encodeCtrlText(msg), 'latin1');
}
