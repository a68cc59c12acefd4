/**
 * The CTRL command tree: node types with installed commands, lookups that walk a variable word by word
 * (`bts.0.trx.1.arfcn`), and the executor (ctrl_cmd_handle + ctrl_cmd_exec semantics).
 */
import type { CtrlMessage } from './codec.js';
import {
  CtrlRequest, normalizeResult,
  type CtrlCmdResult, type CtrlCommandDef, type CtrlReplySink, type CtrlResult,
} from './command.js';
import { debug } from './debug.js';
import { CtrlCommandError, CtrlReplyText, CtrlUsageError } from './errors.js';

/** Result of a lookup at position i of the words: consumed words, or an upstream lookup error. */
export type CtrlLookupResult =
  | { node: CtrlNode; data: unknown; consumed: number }
  /** -ENODEV: "Error while resolving object" */
  | 'ENODEV'
  /** -ERANGE: "Error while parsing the index." */
  | 'ERANGE'
  /** 0: not mine; the remaining words are the command */
  | null;

export type CtrlLookupFn = (words: readonly string[], i: number, node: CtrlNode, data: unknown) => CtrlLookupResult;

export interface CtrlChildOptions {
  /** node type reached */
  node: CtrlNode;
  /** the word is followed by a decimal index (ctrl_parse_get_num), e.g. `bts.<N>` */
  index?: boolean;
  /**
   * map parent data (and index) to the child's data; undefined = no such object (-ENODEV).
   * Without resolve the parent's data is passed on.
   */
  resolve?(parentData: unknown, index: number): unknown;
}

interface CommandEntry { def: CtrlCommandDef<never>; words: string[] }

/** A node type (upstream enum ctrl_node_type): its commands and the words leading to child node types. */
export class CtrlNode {
  /** @internal */
  readonly commands: CommandEntry[] = [];
  /** @internal */
  readonly children = new Map<string, CtrlChildOptions>();
  constructor(readonly name: string) {}

  /** ctrl_cmd_install */
  command<D = unknown>(def: CtrlCommandDef<D>): this {
    const words = def.name.split(/[.\s]+/).filter((w) => w.length > 0);
    if (words.length === 0 || /[()|]/.test(def.name)) throw new CtrlUsageError('ERR_OSMO_CTRL_INVALID_ARG', `invalid CTRL command name ${JSON.stringify(def.name)}`);
    this.commands.push({ def: def as CtrlCommandDef<never>, words });
    return this;
  }
  /** Declare that `word` (optionally followed by an index) leads to another node type. Returns that node. */
  child(word: string, opts: CtrlChildOptions): CtrlNode {
    this.children.set(word, opts);
    return opts.node;
  }
}

/** ctrl_parse_get_num: a complete decimal number (optionally signed) */
export function parseCtrlNum(word: string | undefined): number | null {
  if (word === undefined || !/^[+-]?\d+$/.test(word)) return null;
  const n = Number(word);
  return Number.isSafeInteger(n) ? n : null;
}

/** A lookup using the `child()` declarations of the nodes. */
function childLookup(words: readonly string[], i: number, node: CtrlNode, data: unknown): CtrlLookupResult {
  const ch = node.children.get(words[i]!);
  if (!ch) return null;
  if (ch.index) {
    const n = parseCtrlNum(words[i + 1]);
    if (n === null) return 'ERANGE';
    const d = ch.resolve ? ch.resolve(data, n) : data;
    if (d === undefined) return 'ENODEV';
    return { node: ch.node, data: d, consumed: 2 };
  }
  const d = ch.resolve ? ch.resolve(data, -1) : data;
  if (d === undefined) return 'ENODEV';
  return { node: ch.node, data: d, consumed: 1 };
}

export interface CtrlTreeOptions {
  /** data handed to root-level commands and lookups (ctrl_handle data) */
  data?: unknown;
}

/** What to send right away for one received message (null: nothing). */
export type CtrlImmediate = CtrlMessage | null;

export class CtrlTree {
  readonly root = new CtrlNode('root');
  /** globally registered lookups (ctrl_lookup_register), tried after the node's own children */
  private readonly lookups: CtrlLookupFn[] = [];
  data: unknown;
  /** received GET_REPLY/SET_REPLY go here when set (ctrl_handle reply_cb) */
  replyCb: ((msg: CtrlMessage, sink: CtrlReplySink | null) => void) | null = null;

  constructor(opts: CtrlTreeOptions = {}) {
    this.data = opts.data;
  }

  addLookup(fn: CtrlLookupFn): void {
    if (!this.lookups.includes(fn)) this.lookups.push(fn);
  }

  /**
   * Handle one decoded message (ctrl_cmd_handle). Returns the immediate reply, or null (a reply/error
   * received, a callback that handled the command itself, or a deferred command).
   */
  handle(msg: CtrlMessage, sink: CtrlReplySink | null): CtrlImmediate {
    switch (msg.type) {
      case 'ERROR':
        debug('received ERROR id %s: %s', msg.id, msg.reply);
        return null;
      case 'GET_REPLY':
      case 'SET_REPLY':
        if (this.replyCb) {
          this.replyCb(msg, sink);
          return null;
        }
        if (msg.reply.startsWith('OK')) return null;
        break;
      default:
        break;
    }
    const err = (reply: string): CtrlMessage => ({ type: 'ERROR', id: msg.id, reply });
    const words = msg.variable.replaceAll('.', ' ').split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return err('cmd_make_strvec failed.');

    let node = this.root;
    let data = this.data;
    for (let i = 0; i < words.length;) {
      let r = childLookup(words, i, node, data);
      if (r === null) {
        for (const fn of this.lookups) {
          r = fn(words, i, node, data);
          if (r !== null) break;
        }
      }
      if (r === 'ENODEV') return err(CtrlReplyText.ERROR_RESOLVING);
      if (r === 'ERANGE') return err(CtrlReplyText.ERROR_PARSING_INDEX);
      if (r === null) {
        if (node.commands.length === 0) return err(CtrlReplyText.NODE_HAS_NO_COMMANDS);
        return this.exec(msg, words.slice(i), node, data, sink);
      }
      node = r.node;
      data = r.data;
      i += Math.max(1, r.consumed);
    }
    return err(CtrlReplyText.COMMAND_NOT_PRESENT);
  }

  /** ctrl_cmd_exec */
  private exec(msg: CtrlMessage, words: string[], node: CtrlNode, data: unknown, sink: CtrlReplySink | null): CtrlImmediate {
    const err = (reply: string): CtrlMessage => ({ type: 'ERROR', id: msg.id, reply });
    if (msg.type !== 'GET' && msg.type !== 'SET') return err(CtrlReplyText.NOT_GET_OR_SET);
    const value = msg.type === 'SET' ? msg.value : undefined;
    if (msg.type === 'SET' && !value) return err(CtrlReplyText.SET_WITHOUT_VALUE);

    const entry = matchCommand(node, words);
    if (!entry) return err(CtrlReplyText.COMMAND_NOT_FOUND);
    const def = entry.def as CtrlCommandDef<unknown>;
    const req = new CtrlRequest(msg.type, msg.id, msg.variable, value, words, node, sink);

    let res: CtrlCmdResult | Promise<CtrlCmdResult>;
    try {
      if (msg.type === 'SET') {
        if (!def.set && !def.readOnly) return err(CtrlReplyText.SET_NOT_IMPLEMENTED);
        if (def.readOnly) return err(CtrlReplyText.READ_ONLY);
        if (def.verify) {
          const v = def.verify(req, value!, data);
          if (v === false) return err(CtrlReplyText.VERIFY_FAILED);
          if (typeof v === 'string') return err(v);
        }
        res = def.set!(req, data);
      } else {
        if (def.writeOnly) return err(CtrlReplyText.WRITE_ONLY);
        if (!def.get) return err(CtrlReplyText.GET_NOT_IMPLEMENTED);
        res = def.get(req, data);
      }
    } catch (e) {
      return err(errorText(e, msg));
    }

    if (isPromise(res)) {
      if (!sink) return err('Command cannot be deferred without a connection');
      const d = req.defer();
      res.then(
        (v) => d.settle(v),
        (e: unknown) => d.error(errorText(e, msg)),
      );
      return null;
    }
    if (req.isDeferred) return null;
    return toReply(msg, normalizeResult(res));
  }
}

function toReply(msg: CtrlMessage & { type: 'GET' | 'SET' }, r: CtrlResult): CtrlImmediate {
  switch (r.kind) {
    case 'reply':
      return { type: msg.type === 'GET' ? 'GET_REPLY' : 'SET_REPLY', id: msg.id, variable: msg.variable, reply: r.text ?? '' };
    case 'error':
      return { type: 'ERROR', id: msg.id, reply: r.text ?? CtrlReplyText.DEFAULT_ERROR };
    case 'handled':
      return null;
  }
}

function errorText(e: unknown, msg: CtrlMessage): string {
  if (e instanceof CtrlCommandError) return e.message;
  debug('command %s id %s threw: %s', msg.type, msg.id, e instanceof Error ? e.stack : String(e));
  return CtrlReplyText.DEFAULT_ERROR;
}

function isPromise(v: unknown): v is Promise<CtrlCmdResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** ctrl_cmd_get_element_match: first command whose words prefix the given words ('*' matches the rest) */
function matchCommand(node: CtrlNode, words: readonly string[]): CommandEntry | undefined {
  for (const e of node.commands) {
    if (e.words.length > words.length) continue;
    let ok = true;
    for (let j = 0; j < e.words.length; j++) {
      const w = e.words[j]!;
      if (w.startsWith('*')) break;
      if (w !== words[j]) { ok = false; break; }
    }
    if (ok) return e;
  }
  return undefined;
}
