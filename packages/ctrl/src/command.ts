/**
 * Command definitions and the request object handed to their callbacks (upstream's ctrl_cmd_element and
 * struct ctrl_cmd), plus deferred replies (ctrl_cmd_def).
 */
import type { CtrlMessage } from './codec.js';
import { debug } from './debug.js';
import { CtrlReplyText, CtrlStateError } from './errors.js';
import type { CtrlNode } from './tree.js';

/** What a get/set callback may return. */
export type CtrlCmdResult = string | number | CtrlResult | undefined | void;
/** CTRL_CMD_REPLY / CTRL_CMD_ERROR / CTRL_CMD_HANDLED with an optional reply text. */
export interface CtrlResult { kind: 'reply' | 'error' | 'handled'; text?: string }
export const ctrlReply = (text: string | number = ''): CtrlResult => ({ kind: 'reply', text: String(text) });
export const ctrlError = (text?: string): CtrlResult => (text === undefined ? { kind: 'error' } : { kind: 'error', text });
export const ctrlHandled = (): CtrlResult => ({ kind: 'handled' });

/** Where replies of a request go: a server connection (or a test double). */
export interface CtrlReplySink {
  /** queue a message to the peer; false when it could not be sent */
  sendCtrl(msg: CtrlMessage): boolean;
  readonly isClosed: boolean;
  /** deferred commands of this connection (upstream ccon->def_cmds); zombified on close */
  readonly deferred: Set<CtrlDeferred>;
}

export interface CtrlCommandDef<D = unknown> {
  /** words separated by '.' or spaces; a last word starting with '*' matches all remaining words */
  name: string;
  get?(req: CtrlRequest, data: D): CtrlCmdResult | Promise<CtrlCmdResult>;
  set?(req: CtrlRequest, data: D): CtrlCmdResult | Promise<CtrlCmdResult>;
  /** SET only, before set(): true/undefined accepts; false -> "Value failed verification."; a string -> that error */
  verify?(req: CtrlRequest, value: string, data: D): boolean | string | undefined | void;
  /** CTRL_CMD_DEFINE_RO: SET answers "Read Only attribute" */
  readOnly?: boolean;
  /** CTRL_CMD_DEFINE_WO: GET answers "Write Only attribute" */
  writeOnly?: boolean;
}

/** The command being executed, as a get/set/verify callback sees it. */
export class CtrlRequest {
  private deferredHandle: CtrlDeferred | null = null;
  constructor(
    readonly type: 'GET' | 'SET',
    readonly id: string,
    /** the full variable as received, e.g. "bts.0.trx.1.arfcn" */
    readonly variable: string,
    /** SET value (undefined for GET) */
    readonly value: string | undefined,
    /** the words matched against the command (after the node walk), e.g. ["arfcn"] or ["rate_ctr", "abs", ...] */
    readonly words: readonly string[],
    /** node reached by the walk */
    readonly node: CtrlNode,
    /** where replies go (null for local execution) */
    readonly sink: CtrlReplySink | null,
  ) {}

  /**
   * ctrl_cmd_def_make: answer later. Returns the handle; the callback should then return (anything): no
   * immediate reply is sent. Throws when there is no connection to answer on.
   */
  defer(): CtrlDeferred {
    if (this.deferredHandle) return this.deferredHandle;
    if (!this.sink) throw new CtrlStateError('CTRL command cannot be deferred without a connection');
    const d = new CtrlDeferred(this, this.sink);
    this.sink.deferred.add(d);
    this.deferredHandle = d;
    return d;
  }
  get isDeferred(): boolean { return this.deferredHandle !== null; }
}

/** A deferred command (ctrl_cmd_def). Answering a zombie (its connection has gone) is a safe no-op. */
export class CtrlDeferred {
  private sink: CtrlReplySink | null;
  constructor(readonly req: CtrlRequest, sink: CtrlReplySink) { this.sink = sink; }

  /** ctrl_cmd_def_is_zombie: the connection closed, or the command was already answered */
  get isZombie(): boolean { return this.sink === null || this.sink.isClosed; }

  /** @internal called by the connection when it closes */
  zombify(): void { this.sink = null; }

  /** ctrl_cmd_def_send with CTRL_CMD_REPLY: GET_REPLY / SET_REPLY */
  reply(text: string | number = ''): boolean {
    const type = this.req.type === 'GET' ? 'GET_REPLY' : 'SET_REPLY';
    return this.send({ type, id: this.req.id, variable: this.req.variable, reply: String(text) });
  }
  /** answer ERROR (default text "An error has occurred.") */
  error(text: string = CtrlReplyText.DEFAULT_ERROR): boolean {
    return this.send({ type: 'ERROR', id: this.req.id, reply: text });
  }
  /** settle from a callback result (used for promises returned by callbacks) */
  settle(res: CtrlCmdResult): boolean {
    const r = normalizeResult(res);
    if (r.kind === 'reply') return this.reply(r.text ?? '');
    if (r.kind === 'error') return this.error(r.text ?? CtrlReplyText.DEFAULT_ERROR);
    this.drop();
    return false;
  }

  private send(msg: CtrlMessage): boolean {
    const sink = this.sink;
    if (!sink || sink.isClosed) {
      debug('deferred reply for id %s (%s) dropped: connection gone', this.req.id, this.req.variable);
      this.drop();
      return false;
    }
    this.drop();
    return sink.sendCtrl(msg);
  }
  private drop(): void {
    this.sink?.deferred.delete(this);
    this.sink = null;
  }
}

export function normalizeResult(res: CtrlCmdResult): CtrlResult {
  if (res === undefined) return { kind: 'reply', text: '' };
  if (typeof res === 'string') return { kind: 'reply', text: res };
  if (typeof res === 'number') return { kind: 'reply', text: String(res) };
  return res;
}
