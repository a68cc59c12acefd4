/**
 * SctpClient: a one-to-one SCTP client in the spirit of osmo_stream_cli over SCTP: connect (several remote
 * addresses = sctp_connectx), optional reconnect, send with PPID/stream, 'message' / 'notification' events.
 */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import { sock } from '@osmo/io';
import { createSocket, type SctpSocketOptions } from './socket.js';
import { SctpSocket, type SendCallback } from './sctp-socket.js';
import type { RcvInfo, SendInfo } from './cmsg.js';
import type { InetEndpoint } from './addr.js';
import type { SctpNotification } from './notification.js';
import { SctpStateError, errnoOf } from './errors.js';

const debug = debuglog('osmo-sctp');
const ENOTCONN = 107;

export interface SctpClientOptions extends Omit<SctpSocketOptions, 'type' | 'listen' | 'remote' | 'backlog'> {
  remote: InetEndpoint[];
  name?: string;
  /** ms before a new attempt after a failure or loss; negative (default) disables reconnecting */
  reconnectTimeout?: number;
  readSize?: number;
  /** see SctpSocketOpts.closeOnEof (default true) */
  closeOnEof?: boolean;
  connectCb?: (cli: SctpClient) => void;
  readCb?: (cli: SctpClient, data: Buffer, rcv: RcvInfo) => void;
  notificationCb?: (cli: SctpClient, n: SctpNotification) => void;
  disconnectCb?: (cli: SctpClient, res: number) => void;
}

export type SctpClientState = 'CLOSED' | 'WAIT_RECONNECT' | 'CONNECTING' | 'CONNECTED';

export class SctpClient extends EventEmitter {
  readonly name: string;
  reconnectTimeout: number;
  #opts: SctpClientOptions;
  #sock: SctpSocket | null = null;
  #state: SctpClientState = 'CLOSED';
  #timer: NodeJS.Timeout | null = null;
  /** a failure at once waiting for its report on the next tick; close/destroy drop it */
  #pending: object | null = null;
  #destroyed = false;

  constructor(opts: SctpClientOptions) {
    super();
    this.#opts = opts;
    this.name = opts.name ?? 'sctp_cli';
    this.reconnectTimeout = opts.reconnectTimeout ?? -1;
    if (opts.connectCb) this.on('connect', () => opts.connectCb!(this));
    if (opts.readCb) this.on('message', (d: Buffer, r: RcvInfo) => opts.readCb!(this, d, r));
    if (opts.notificationCb) this.on('notification', (n: SctpNotification) => opts.notificationCb!(this, n));
    if (opts.disconnectCb) this.on('disconnect', (res: number) => opts.disconnectCb!(this, res));
  }

  get state(): SctpClientState { return this.#state; }
  get isConnected(): boolean { return this.#state === 'CONNECTED'; }
  /** the socket of the current attempt / connection */
  get socket(): SctpSocket | null { return this.#sock; }
  get outStreams(): number { return this.#sock?.outStreams ?? 0; }
  get txqueueLen(): number { return this.#sock?.txqueueLen ?? 0; }

  /**
   * Start connecting (state CONNECTING); already CONNECTING/CONNECTED: nothing happens. Every failed attempt is
   * reported the same way, after open() has returned: 'disconnect' (-errno), then a retry if enabled - whether the
   * kernel refused at once (no SCTP: -EPROTONOSUPPORT; a local address in use: -EADDRINUSE ...) or later
   * (-ECONNREFUSED). A close()/destroy() before that report wins (docs/design.md §5, open()).
   * @throws SctpStateError after destroy(); SctpTypeError / SctpRangeError for bad options
   */
  open(): void {
    if (this.#destroyed) throw new SctpStateError(`${this.name}: open() after destroy()`);
    if (this.#state === 'CONNECTING' || this.#state === 'CONNECTED') return;
    this.#clearTimer();
    this.#connect();
  }

  /** Send one message (see SctpSocket.send); -ENOTCONN unless CONNECTED. */
  send(data: Buffer, info?: SendInfo, cb?: SendCallback): number {
    if (this.#state !== 'CONNECTED' || !this.#sock) return -ENOTCONN;
    return this.#sock.send(data, info, cb);
  }

  /** Graceful shutdown after the queued messages; 'disconnect' follows when the association is closed. */
  end(): void { this.#sock?.end(); }

  /** Close at once (queued send callbacks get -ECANCELED), no reconnect, no 'disconnect'. */
  close(): void {
    this.#clearTimer();
    this.#pending = null;
    const s = this.#sock;
    this.#sock = null;
    s?.close();
    this.#state = 'CLOSED';
  }

  destroy(): void { this.close(); this.#destroyed = true; }

  #clearTimer(): void { if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; } }

  #connect(): void {
    const o = this.#opts;
    let s: SctpSocket;
    try {
      const info = createSocket({ ...o, type: 'stream' });
      try {
        s = new SctpSocket(info.fd, 'stream', { name: this.name, connecting: true, readSize: o.readSize,
                                                 ...(o.closeOnEof !== undefined ? { closeOnEof: o.closeOnEof } : {}) });
      } catch (e) {
        sock.close(info.fd);
        throw e;
      }
    } catch (e) {
      // bad options are the caller's mistake and thrown; a system error is a failed attempt like a later refusal
      if (e instanceof TypeError || e instanceof RangeError) throw e;
      this.#failLater(errnoOf(e), (e as Error).message);
      return;
    }
    this.#sock = s;
    this.#state = 'CONNECTING';
    s.on('connect', () => { if (this.#sock === s) { this.#state = 'CONNECTED'; this.emit('connect'); } });
    s.on('message', (d: Buffer, r: RcvInfo) => { if (this.#sock === s) this.emit('message', d, r); });
    s.on('notification', (n: SctpNotification) => { if (this.#sock === s) this.emit('notification', n); });
    s.on('decodeError', (e: Error) => { if (this.#sock === s) this.emit('decodeError', e); });
    s.on('close', (res: number) => {
      if (this.#sock !== s) return;
      this.#sock = null;
      const was = this.#state;
      this.#state = 'CLOSED';
      debug('%s: %s ended: %d', this.name, was, res);
      this.emit('disconnect', res);
      if (this.#state === 'CLOSED' && !this.#destroyed) this.#retry();
    });
  }

  /** The attempt failed at once: report it on the next tick exactly as the socket's 'close' would (CONNECTING till then). */
  #failLater(res: number, why: string): void {
    debug('%s: connect failed at once: %s', this.name, why);
    const token = {};
    this.#pending = token;
    this.#state = 'CONNECTING';
    process.nextTick(() => {
      if (this.#pending !== token) return; // closed or destroyed meanwhile
      this.#pending = null;
      this.#state = 'CLOSED';
      this.emit('disconnect', res);
      if (this.#state === 'CLOSED' && !this.#destroyed) this.#retry();
    });
  }

  #retry(): void {
    if (this.#destroyed || this.reconnectTimeout < 0) return;
    this.#state = 'WAIT_RECONNECT';
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#state !== 'WAIT_RECONNECT') return;
      this.#connect(); // bad options were thrown by the first open()
    }, this.reconnectTimeout);
  }
}
