/** IPA client (BTS / GSUP-client role) on @osmo/io StreamClient: answers ID_GET, PING, keepalive, reconnect. */
import { StreamClient, type LookupFamily, type NetError } from '@osmo/io';
import { IpaLink, debug, type IpaLinkOptions } from './conn.js';
import { type CcmMessage, ccmIdResp, idGetTags, encodeCcmFrame, ccmIdAckFrame } from './ccm.js';
import type { IpaIdentityInit } from './idtags.js';
import { ipaSegmentation } from './segment.js';

export interface IpaClientOptions extends IpaLinkOptions {
  /** 'tcp' (default) or 'unix' */
  proto?: 'tcp' | 'unix';
  /** server host (TCP): IPv4/IPv6 literal (IPv6 with or without brackets) or a name (dns.lookup); default 127.0.0.1 */
  address?: string;
  /** address family for name lookups: 0 (any, default), 4 or 6 */
  family?: LookupFamily;
  /** server port (TCP) */
  port?: number;
  /** server socket path (Unix) */
  path?: string;
  /** local address/port to bind to (TCP) */
  local?: { address: string; port: number };
  name?: string;
  /** what ID_RESP reports: unit id ("site/bts/trx" or a struct), serial number, unit name, MAC, versions ... */
  identity?: IpaIdentityInit;
  /**
   * true (default): the link is 'up' once the server's ID_ACK arrives (after ID_GET -> ID_RESP + ID_ACK).
   * false: 'up' right at connect (servers without identification, e.g. CTRL).
   */
  handshake?: boolean;
  /** reconnect delay in ms after a loss or failed connect; default 5000; negative disables reconnecting */
  reconnectTimeout?: number;
  /** largest accepted frame incl. header (default 65535); longer -> the link is dropped */
  maxFrameLength?: number;
  txqueueMaxLength?: number;
  /** TCP_NODELAY, default true */
  nodelay?: boolean;
}

export class IpaClient extends IpaLink {
  readonly stream: StreamClient;
  /** identity sent in ID_RESP; may be changed before the next handshake */
  identity: IpaIdentityInit;
  readonly #handshake: boolean;
  #connected = false;

  constructor(opts: IpaClientOptions = {}) {
    const name = opts.name ?? 'ipa_cli';
    super(name, opts.keepalive);
    this.identity = opts.identity ?? {};
    this.#handshake = opts.handshake ?? true;
    this.stream = new StreamClient({
      ...(opts.proto !== undefined ? { proto: opts.proto } : {}),
      ...(opts.address !== undefined ? { address: opts.address } : {}),
      ...(opts.family !== undefined ? { family: opts.family } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.local !== undefined ? { local: opts.local } : {}),
      ...(opts.txqueueMaxLength !== undefined ? { txqueueMaxLength: opts.txqueueMaxLength } : {}),
      name,
      reconnectTimeout: opts.reconnectTimeout ?? 5000,
      nodelay: opts.nodelay ?? (opts.proto ?? 'tcp') === 'tcp',
      segmentationCb: ipaSegmentation(opts.maxFrameLength !== undefined ? { maxLength: opts.maxFrameLength } : {}),
      connectCb: () => this.#onConnect(),
      disconnectCb: () => this.linkDown('connection lost', 0),
      readCb: (_cli, res, msg) => this.#onRead(res, msg),
      errorCb: (_cli, err) => { this.emit('connectError', err); },
    });
  }

  /** The error of the last failed connect attempt (ECONNREFUSED, ENOTFOUND with `hostname` ...), or null. */
  get lastError(): NetError | null {
    return this.stream.lastError;
  }

  /**
   * Start connecting (and reconnecting); returns nothing (docs/design.md §5). Every failed attempt - refused by the
   * kernel at once or later, or a name that does not resolve - is reported after open() has returned, as
   * 'connectError' (and `lastError`), and retried after the reconnect timeout. Throws only after destroy().
   */
  open(): void {
    this.stream.open();
  }

  /** disconnect and stop reconnecting; emits 'down' if the link was connected */
  close(): void {
    const was = this.#connected;
    this.stream.close();
    if (was) this.linkDown('closed', 0);
  }

  /** close for good */
  destroy(): void {
    const was = this.#connected;
    this.stream.destroy();
    if (was) this.linkDown('destroyed', 0);
  }

  /** drop the current connection and reconnect after the reconnect timeout */
  reconnect(reason = 'reconnect requested', res = 0): void {
    const was = this.#connected;
    this.stream.reconnect();
    if (was) this.linkDown(reason, res);
  }

  /** transport connected */
  get isConnected(): boolean {
    return this.#connected;
  }

  sendFrame(frame: Buffer): number {
    return this.stream.send(frame);
  }

  ref(): this {
    this.stream.ref();
    return this;
  }
  unref(): this {
    this.stream.unref();
    return this;
  }

  protected override keepaliveTimeout(): void {
    debug('ipa(%s): keepalive timeout, reconnecting', this.name);
    this.reconnect('keepalive timeout', 0);
  }

  protected linkDown(reason: string, res: number): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.upFlag = false;
    this.ka?.stop();
    debug('ipa(%s): down (%s)', this.name, reason);
    this.emit('down', reason, res);
  }

  #onConnect(): void {
    this.#connected = true;
    this.upFlag = false;
    debug('ipa(%s): connected', this.name);
    this.emit('connect');
    if (!this.#connected) return; // closed from inside 'connect'
    this.ka?.start();
    if (!this.#handshake) this.setUp();
  }

  #onRead(res: number, msg: Buffer): void {
    if (res <= 0) {
      // EOF / fatal errors were already handled by StreamClient (disconnectCb); others (e.g. -EMSGSIZE from the
      // segmentation, a frame above maxFrameLength) would leave a broken stream: drop the link and reconnect.
      if (this.stream.isConnected) {
        debug('ipa(%s): read error %d, reconnecting', this.name, res);
        this.reconnect('read error', res);
      }
      return;
    }
    this.handleFrame(msg);
  }

  protected onCcm(msg: CcmMessage): void {
    switch (msg.type) {
      case 'ID_GET': {
        const tags = idGetTags(msg);
        debug('ipa(%s): ID_GET for tags %s, answering ID_RESP + ID_ACK', this.name, tags.join(','));
        this.sendFrame(encodeCcmFrame(ccmIdResp(this.identity, tags)));
        this.sendFrame(ccmIdAckFrame());
        break;
      }
      case 'ID_ACK':
        // BTS side: no echo (upstream ipa_ccm_rcvmsg_bts_base)
        if (this.#handshake) this.setUp();
        break;
      case 'ID_NACK':
        debug('ipa(%s): server refused our identity (ID_NACK)', this.name);
        break;
      default:
        break;
    }
  }
}
