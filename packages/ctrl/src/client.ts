/**
 * CtrlClient: a promise-based CTRL client on @osmo/ipa's IpaClient (no identification handshake, no reconnect; the
 * link layer answers PING with PONG). Requests get increasing numeric ids and are matched with GET_REPLY /
 * SET_REPLY / ERROR by id; TRAPs are emitted as 'trap' events.
 */
import { EventEmitter } from 'node:events';
import { formatHostPort, stripBrackets, type LookupFamily, type NetError } from '@osmo/io';
import { IpaClient, systemTimers, type IpaMessage, type IpaTimers } from '@osmo/ipa';
import { decodeCtrl, type CtrlMessage } from './codec.js';
import { encodeCtrlFrame, isCtrlIpaMessage } from './ipa-frame.js';
import { debug } from './debug.js';
import { CtrlClientError, validateTimeoutMs } from './errors.js';

export interface CtrlClientOptions {
  /** IPv4/IPv6 literal (IPv6 with or without brackets) or a host name (dns.lookup); default 127.0.0.1 */
  host?: string;
  /** address family for name lookups: 0 (any, default), 4 or 6 */
  family?: LookupFamily;
  port: number;
  /** per-request timeout in ms; default 5000 */
  timeout?: number;
  /** connect timeout in ms; default 5000 */
  connectTimeout?: number;
  name?: string;
  /** where the request and connect timeouts are armed; default the global timers (tests pass a manual clock) */
  timers?: CtrlTimers;
}

/** The two timer functions a CtrlClient uses: @osmo/ipa's (the process's own by default). */
export type CtrlTimers = IpaTimers;

export interface CtrlTrapEvent { variable: string; value: string }

export interface CtrlClientEvents {
  trap: [trap: CtrlTrapEvent];
  /** a message that matched no pending request (late reply, unsolicited ERROR ...) */
  unmatched: [msg: CtrlMessage];
  close: [];
}

interface Pending {
  id: string;
  type: 'GET' | 'SET';
  variable: string;
  resolve(v: string): void;
  reject(e: Error): void;
  timer: unknown;
}

const MAX_ID = 999_999_999;

export class CtrlClient extends EventEmitter<CtrlClientEvents> {
  readonly host: string;
  readonly port: number;
  timeout: number;
  readonly #connectTimeout: number;
  readonly #timers: CtrlTimers;
  readonly #ipa: IpaClient;
  readonly #pending = new Map<string, Pending>();
  #nextId = 1;
  #connecting: { promise: Promise<void>; resolve(): void; reject(e: Error): void; timer: unknown } | null = null;
  #closed = false;

  constructor(opts: CtrlClientOptions) {
    super();
    this.host = stripBrackets(opts.host ?? '127.0.0.1');
    this.port = opts.port;
    this.timeout = validateTimeoutMs('timeout', opts.timeout ?? 5000);
    this.#connectTimeout = validateTimeoutMs('connectTimeout', opts.connectTimeout ?? 5000);
    this.#timers = opts.timers ?? systemTimers;
    this.#ipa = new IpaClient({
      address: this.host,
      port: this.port,
      ...(opts.family !== undefined ? { family: opts.family } : {}),
      name: opts.name ?? 'ctrl_cli',
      handshake: false,
      reconnectTimeout: -1,
    });
    this.#ipa.on('up', () => this.#onConnect());
    this.#ipa.on('down', () => this.#onDisconnect());
    this.#ipa.on('message', (m) => this.#onMessage(m));
    this.#ipa.on('connectError', (err) => this.#failConnect(err));
  }

  get isConnected(): boolean { return this.#ipa.isConnected; }

  /**
   * Connect, once (no reconnect). Not an `open()`: this client is promise-based, so the one attempt's outcome is
   * what connect() returns (docs/design.md §5). Resolves when connected (at once if already connected; a second call
   * while connecting shares the attempt). Rejects with CtrlClientError ERR_OSMO_CTRL_NOT_CONNECTED when the server
   * cannot be reached - its `cause` is the Node-style error of the attempt: code 'ECONNREFUSED' (errno, address,
   * port), 'ENOTFOUND' (hostname) ... - or after connectTimeout; with ERR_OSMO_CTRL_CLOSED after close().
   */
  connect(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new CtrlClientError('ERR_OSMO_CTRL_CLOSED', `connect() after close() (${this.#where()})`));
    }
    if (this.#ipa.isConnected) return Promise.resolve();
    if (this.#connecting) return this.#connecting.promise;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    const timer = this.#timers.setTimeout(() => {
      this.#connecting = null;
      this.#ipa.close();
      reject(new CtrlClientError('ERR_OSMO_CTRL_NOT_CONNECTED', `connecting to ${this.#where()} timed out`));
    }, this.#connectTimeout);
    this.#connecting = { promise, resolve, reject, timer };
    this.#ipa.open(); // a failure, whether the kernel refused at once or later, arrives after this as 'connectError'
    return promise;
  }

  /** GET: resolves with the reply text; rejects with CtrlClientError (ERROR reply, timeout, closed). */
  get(variable: string, opts: { timeout?: number } = {}): Promise<string> {
    return this.#request('GET', variable, undefined, opts.timeout);
  }
  /** SET: resolves with the SET_REPLY text. */
  set(variable: string, value: string | number, opts: { timeout?: number } = {}): Promise<string> {
    return this.#request('SET', variable, String(value), opts.timeout);
  }

  /** Send any CTRL message as it is (no reply matching), e.g. a TRAP or a reply. False when not sent. */
  sendRaw(msg: CtrlMessage): boolean {
    return this.#ipa.sendFrame(encodeCtrlFrame(msg)) === 0;
  }

  /** Close; pending requests are rejected with ERR_OSMO_CTRL_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ipa.destroy(); // its 'down' is ignored: #closed is set
    this.#failAll('connection closed by the client');
    this.emit('close');
  }

  ref(): this { this.#ipa.ref(); return this; }
  unref(): this { this.#ipa.unref(); return this; }

  #request(type: 'GET' | 'SET', variable: string, value: string | undefined, timeout = this.timeout): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      validateTimeoutMs('timeout', timeout);
      if (!this.#ipa.isConnected) {
        reject(new CtrlClientError('ERR_OSMO_CTRL_NOT_CONNECTED', 'not connected'));
        return;
      }
      const id = this.#allocId();
      const msg: CtrlMessage = type === 'GET' ? { type, id, variable } : { type, id, variable, value: value! };
      let frame: Buffer;
      try {
        frame = encodeCtrlFrame(msg);
      } catch (e) {
        reject(e as Error);
        return;
      }
      const timer = this.#timers.setTimeout(() => {
        this.#pending.delete(id);
        reject(new CtrlClientError('ERR_OSMO_CTRL_TIMEOUT', `${type} ${variable}: no reply within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { id, type, variable, resolve, reject, timer });
      const rc = this.#ipa.sendFrame(frame);
      if (rc !== 0) {
        this.#timers.clearTimeout(timer);
        this.#pending.delete(id);
        reject(new CtrlClientError('ERR_OSMO_CTRL_NOT_CONNECTED', `${type} ${variable}: send failed (${rc})`));
      }
    });
  }

  #allocId(): string {
    for (;;) {
      const id = String(this.#nextId);
      this.#nextId = this.#nextId >= MAX_ID ? 1 : this.#nextId + 1;
      if (!this.#pending.has(id)) return id;
    }
  }

  #onConnect(): void {
    const c = this.#connecting;
    this.#connecting = null;
    if (c) {
      this.#timers.clearTimeout(c.timer);
      c.resolve();
    }
  }

  #where(): string { return formatHostPort(this.host, this.port); }

  #failConnect(err: NetError | null): void {
    const c = this.#connecting;
    this.#connecting = null;
    if (!c) return;
    this.#timers.clearTimeout(c.timer);
    this.#ipa.close();
    c.reject(new CtrlClientError('ERR_OSMO_CTRL_NOT_CONNECTED',
      `cannot connect to ${this.#where()}: ${err ? describeNetError(err) : 'connection closed'}`, undefined, err ?? undefined));
  }

  #onDisconnect(): void {
    if (this.#closed) return;
    if (this.#connecting) {
      this.#failConnect(this.#ipa.lastError);
      return;
    }
    this.#closed = true;
    this.#ipa.destroy();
    this.#failAll('connection closed by the server');
    this.emit('close');
  }

  #failAll(why: string): void {
    const c = this.#connecting;
    this.#connecting = null;
    if (c) {
      this.#timers.clearTimeout(c.timer);
      c.reject(new CtrlClientError('ERR_OSMO_CTRL_CLOSED', `connecting to ${this.#where()}: ${why}`));
    }
    for (const p of this.#pending.values()) {
      this.#timers.clearTimeout(p.timer);
      p.reject(new CtrlClientError('ERR_OSMO_CTRL_CLOSED', `${p.type} ${p.variable}: ${why}`));
    }
    this.#pending.clear();
  }

  #onMessage(m: IpaMessage): void {
    if (!isCtrlIpaMessage(m)) {
      debug('ctrl_cli: ignoring a non-CTRL frame (%s)', m.kind);
      return;
    }
    let msg: CtrlMessage;
    try {
      msg = decodeCtrl(m.payload, { allowEmptyReply: true });
    } catch (e) {
      debug('ctrl_cli: undecodable message from the server: %s', (e as Error).message);
      return;
    }
    switch (msg.type) {
      case 'TRAP':
        this.emit('trap', { variable: msg.variable, value: msg.reply });
        return;
      case 'GET_REPLY':
      case 'SET_REPLY':
      case 'ERROR': {
        let p = this.#pending.get(msg.id);
        // "ERROR err ...": the server could not read our id; answers come in order, so it belongs to the oldest
        if (!p && msg.type === 'ERROR' && msg.id === 'err') p = this.#pending.values().next().value;
        if (!p) {
          this.emit('unmatched', msg);
          return;
        }
        this.#pending.delete(p.id);
        this.#timers.clearTimeout(p.timer);
        if (msg.type === 'ERROR') {
          p.reject(new CtrlClientError('ERR_OSMO_CTRL_ERROR_REPLY', `${p.type} ${p.variable}: ${msg.reply}`, msg.reply));
        } else {
          p.resolve(msg.reply);
        }
        return;
      }
      default:
        this.emit('unmatched', msg);
    }
  }
}

/** One short, human text for a failed connect: 'connection refused (ECONNREFUSED)', 'host not found (ENOTFOUND)' ... */
export function describeNetError(err: { code?: string; message: string; hostname?: string }): string {
  const what: Record<string, string> = {
    ECONNREFUSED: 'connection refused', ETIMEDOUT: 'timed out', EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable', ECONNRESET: 'connection reset', ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed temporarily', EADDRNOTAVAIL: 'address not available',
  };
  const w = err.code !== undefined ? what[err.code] : undefined;
  if (w === undefined) return err.message;
  return `${w}${err.hostname !== undefined ? ` (${err.code} ${err.hostname})` : ` (${err.code})`}`;
}
