/** IPA server (BSC / HLR role) on @osmo/io StreamServer: ID_GET on accept, ID_RESP checks, PING/PONG, keepalive. */
import { EventEmitter } from 'node:events';
import { errno, StreamServer, type StreamServerConn, type SockAddr } from '@osmo/io';
import { IpaLink, debug, type IpaLinkOptions } from './conn.js';
import { type CcmMessage, ccmIdGet, encodeCcmFrame, ccmIdAckFrame } from './ccm.js';
import { type IpaIdentity, type IpaIdItem, IPA_DEFAULT_ID_GET_TAGS, idItemsToIdentity } from './idtags.js';
import { type UnitId, parseUnitId } from './unit-id.js';
import { IpaDecodeError } from './errors.js';
import type { IpaMessage } from './message.js';
import { ipaSegmentation } from './segment.js';
import { hasMessageListeners, trackMessageListeners } from './listening.js';

const ENOTCONN = errno.ENOTCONN;

// the server's hooks into its connections: symbols, so they are not part of the connection's public surface
const kStart = Symbol('start');
const kRead = Symbol('read');
const kClosed = Symbol('closed');
const kFullSegmentation = Symbol('fullSegmentation');

/** Decides whether an identified peer may stay; `false` (or a rejected promise) closes the connection. */
export type IpaAcceptFn = (conn: IpaServerConn, identity: IpaIdentity) => boolean | Promise<boolean>;

export interface IpaServerOptions extends IpaLinkOptions {
  /** 'tcp' (default) or 'unix' */
  proto?: 'tcp' | 'unix';
  /** bind address (TCP), default as StreamServer ('0.0.0.0') */
  address?: string;
  /** bind port (TCP); 0 or absent: any free port, see `server.port` */
  port?: number;
  /** socket path (Unix) */
  path?: string;
  name?: string;
  /**
   * true (default): send ID_GET on accept, wait for ID_RESP, ask `accept`, answer ID_ACK; non-CCM frames received
   * before that are dropped. false: connections are 'up' at once (CTRL-like servers), ID_ACK is echoed.
   */
  handshake?: boolean;
  /** tags asked for in ID_GET (default: the 8 tags of upstream servers) */
  idTags?: readonly number[];
  /** accept/reject an identified unit (default: accept everyone) */
  accept?: IpaAcceptFn;
  /** largest accepted frame incl. header (default 65535); longer -> the connection is closed */
  maxFrameLength?: number;
  /**
   * with the handshake: largest frame accepted before the peer is identified (default 1024: an ID_RESP fits), so
   * that an unauthenticated connection cannot make the server hold 64 KiB for a frame it parks half-sent
   */
  unidentifiedMaxFrameLength?: number;
  /** with the handshake: close a connection not identified within this many ms (default 10000; 0: never) */
  handshakeTimeoutMs?: number;
  txqueueMaxLength?: number;
}

/** Events of {@link IpaServer}; the same events are also emitted on each {@link IpaServerConn} (without `conn`). */
export interface IpaServerEvents {
  connection: [conn: IpaServerConn];
  up: [conn: IpaServerConn];
  down: [conn: IpaServerConn, reason: string, res: number];
  message: [conn: IpaServerConn, msg: IpaMessage];
  ccm: [conn: IpaServerConn, msg: CcmMessage];
  identity: [conn: IpaServerConn, identity: IpaIdentity];
  /** the accept callback refused the unit; the connection is being closed */
  reject: [conn: IpaServerConn, identity: IpaIdentity];
  decodeError: [conn: IpaServerConn, err: IpaDecodeError, frame: Buffer];
  /** a non-CCM frame received before the connection was identified (not delivered as 'message') */
  dropped: [conn: IpaServerConn, msg: IpaMessage, reason: string];
}

/** The stream connection's read callback, shared by all (its data is the IpaServerConn): no closure per link. */
function readIpaConn(sc: StreamServerConn, res: number, msg: Buffer): void {
  const conn = sc.data;
  if (conn instanceof IpaServerConn) conn[kRead](res, msg);
}

/** One accepted IPA connection. */
export class IpaServerConn extends IpaLink {
  /** the peer's ID_RESP as items (null until received) */
  idItems: IpaIdItem[] | null = null;
  /** the peer's ID_RESP as identity strings (null until received) */
  identity: IpaIdentity | null = null;
  /** the parsed Unit_ID tag (null if absent or not "site/bts/trx") */
  unitId: UnitId | null = null;
  #open = true;
  #deciding = false;
  #downReason: [string, number] | undefined;
  #handshakeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly server: IpaServer,
    readonly stream: StreamServerConn,
    name: string,
    private readonly opts: IpaServerOptions,
  ) {
    super(name, opts.keepalive);
  }

  /** the remote address as reported by the stream server */
  get peer(): SockAddr | null {
    return this.stream.peer;
  }

  /** still connected */
  get isOpen(): boolean {
    return this.#open;
  }

  sendFrame(frame: Buffer): number {
    if (!this.#open) return -ENOTCONN;
    return this.stream.send(frame);
  }

  /** the server's 'message' (conn, msg) first, then this connection's own: directly, no forwarding listener */
  protected override deliver(msg: IpaMessage): void {
    if (hasMessageListeners(this.server)) this.server.emit('message', this, msg);
    if (hasMessageListeners(this)) this.emit('message', msg);
  }

  /** close now (queued data dropped) */
  close(): void {
    this.#closeWith('closed', 0);
  }

  #closeWith(reason: string, res: number): void {
    if (!this.#open) return;
    this.#downReason = [reason, res];
    this.stream.destroy(); // calls closedCb -> [kClosed] -> linkDown with #downReason
    this.linkDown(reason, res);
  }

  /** send what is queued, then close */
  closeAfterFlush(): void {
    if (!this.#open) return;
    this.#downReason = ['closed', 0];
    this.stream.setFlushAndDestroy();
  }

  /** handshake or 'up', keepalive: once the server has wired the connection */
  [kStart](): void {
    if (this.opts.handshake ?? true) {
      debug('ipa(%s): TX ID_GET', this.name);
      this.sendFrame(encodeCcmFrame(ccmIdGet(this.opts.idTags ?? IPA_DEFAULT_ID_GET_TAGS)));
      const ms = this.opts.handshakeTimeoutMs ?? 10_000;
      if (ms > 0) {
        this.#handshakeTimer = setTimeout(() => {
          this.#handshakeTimer = null;
          debug('ipa(%s): not identified within %d ms, closing', this.name, ms);
          this.#closeWith('handshake timeout', 0);
        }, ms);
        this.#handshakeTimer.unref();
      }
    } else {
      this.setUp();
    }
    this.ka?.start();
  }

  /** stream read callback */
  [kRead](res: number, msg: Buffer): void {
    if (!this.#open) return;
    if (res === 0) {
      // maybe only a half-close: what we queued (replies to its last requests) still goes out
      debug('ipa(%s): EOF, closing after the tx queue drained', this.name);
      this.#downReason = ['connection closed by peer', 0];
      this.stream.setFlushAndDestroy();
      return;
    }
    if (res < 0) {
      debug('ipa(%s): read result %d, closing', this.name, res);
      this.#closeWith('read error', res);
      return;
    }
    this.handleFrame(msg);
  }

  /** stream closed callback */
  [kClosed](): void {
    const [reason, res] = this.#downReason ?? ['connection closed', 0];
    this.linkDown(reason, res);
  }

  protected override keepaliveTimeout(): void {
    debug('ipa(%s): keepalive timeout, closing', this.name);
    this.#closeWith('keepalive timeout', 0);
  }

  protected override acceptsMessages(): boolean {
    return this.upFlag;
  }

  protected override setUp(): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    // identified: frames up to the full limit from now on
    const full = this.server[kFullSegmentation];
    if ((this.opts.handshake ?? true) && full) this.stream.setSegmentationCb(full);
    super.setUp();
  }

  protected linkDown(reason: string, res: number): void {
    if (!this.#open) return;
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#open = false;
    this.upFlag = false;
    this.ka?.stop();
    debug('ipa(%s): down (%s)', this.name, reason);
    this.emit('down', reason, res);
  }

  protected onCcm(msg: CcmMessage): void {
    const handshake = this.opts.handshake ?? true;
    switch (msg.type) {
      case 'ID_RESP':
        if (!handshake || this.upFlag || this.#deciding) {
          debug('ipa(%s): unexpected ID_RESP ignored', this.name);
          return;
        }
        this.#identified(msg.items);
        break;
      case 'ID_ACK':
        // upstream BSC side answers ID_ACK with ID_ACK; with the handshake our own ID_ACK (sent on acceptance) is
        // the answer, so a client's ID_ACK is not echoed a second time
        if (!handshake) this.sendFrame(ccmIdAckFrame());
        break;
      case 'ID_GET':
        debug('ipa(%s): ID_GET from the client ignored', this.name);
        break;
      default:
        break;
    }
  }

  #identified(items: IpaIdItem[]): void {
    this.idItems = items;
    const identity = idItemsToIdentity(items);
    this.identity = identity;
    this.unitId = null;
    if (identity.unitId !== undefined) {
      try {
        this.unitId = parseUnitId(identity.unitId);
      } catch (e) {
        if (!(e instanceof IpaDecodeError)) throw e;
        debug('ipa(%s): unparsable Unit_ID %j', this.name, identity.unitId);
      }
    }
    this.emit('identity', identity);
    if (!this.#open) return;
    const decide = (ok: boolean): void => {
      this.#deciding = false;
      if (!this.#open) return;
      if (!ok) {
        debug('ipa(%s): unit %j rejected', this.name, identity.unitId);
        this.server.emit('reject', this, identity);
        this.close();
        return;
      }
      this.sendFrame(ccmIdAckFrame());
      this.setUp();
    };
    const acceptFn = this.opts.accept;
    if (!acceptFn) return decide(true);
    let r: boolean | Promise<boolean>;
    try {
      r = acceptFn(this, identity);
    } catch (e) {
      debug('ipa(%s): accept callback threw: %s', this.name, String(e));
      return decide(false);
    }
    if (typeof r === 'boolean') return decide(r);
    this.#deciding = true;
    r.then((ok) => decide(ok === true), () => decide(false));
  }
}

/** Listening IPA server; emits per-connection events with the connection first. */
export class IpaServer extends EventEmitter<IpaServerEvents> {
  readonly stream: StreamServer;
  readonly name: string;
  /** the segmentation of identified connections, when it differs from the unidentified one */
  readonly [kFullSegmentation]: ((data: Buffer) => number) | null;
  readonly #conns = new Set<IpaServerConn>();
  readonly #opts: IpaServerOptions;
  #seq = 0;

  constructor(opts: IpaServerOptions = {}) {
    super();
    trackMessageListeners(this);
    this.#opts = opts;
    this.name = opts.name ?? 'ipa_srv';
    const full = ipaSegmentation(opts.maxFrameLength !== undefined ? { maxLength: opts.maxFrameLength } : {});
    const preId = Math.min(opts.unidentifiedMaxFrameLength ?? 1024, opts.maxFrameLength ?? 65535);
    const handshake = opts.handshake ?? true;
    this[kFullSegmentation] = handshake ? full : null;
    this.stream = new StreamServer({
      ...(opts.proto !== undefined ? { proto: opts.proto } : {}),
      ...(opts.address !== undefined ? { address: opts.address } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.txqueueMaxLength !== undefined ? { txqueueMaxLength: opts.txqueueMaxLength } : {}),
      name: this.name,
      nodelay: (opts.proto ?? 'tcp') === 'tcp',
      segmentationCb: handshake ? ipaSegmentation({ maxLength: preId }) : full,
      acceptCb: (sc: StreamServerConn) => this.#accept(sc),
    });
  }

  /**
   * Start listening now (`port` is valid when it returns); returns nothing. Throws OsmoIoSystemError (code
   * 'EADDRINUSE' ..., address, port) when it cannot listen (docs/design.md §5).
   */
  open(): void {
    this.stream.open();
  }

  /** stop listening and close every connection */
  close(): void {
    for (const c of [...this.#conns]) c.close();
    this.stream.close();
  }

  /** let the listening socket keep the process alive (default) */
  ref(): this {
    this.stream.ref();
    return this;
  }
  /** do not let the listening socket keep the process alive */
  unref(): this {
    this.stream.unref();
    return this;
  }

  /** the bound TCP port */
  get port(): number {
    return this.stream.port;
  }

  get connections(): ReadonlySet<IpaServerConn> {
    return this.#conns;
  }

  /** connections whose handshake is complete */
  upConnections(): IpaServerConn[] {
    return [...this.#conns].filter((c) => c.isUp);
  }

  /** the identified connection with this unit id, if any */
  findByUnitId(u: UnitId): IpaServerConn | undefined {
    for (const c of this.#conns) {
      const x = c.unitId;
      if (c.isUp && x && x.site === u.site && x.bts === u.bts && x.trx === u.trx) return c;
    }
    return undefined;
  }

  #accept(sc: StreamServerConn): void {
    const conn = new IpaServerConn(this, sc, `${this.name}#${++this.#seq}`, this.#opts);
    this.#conns.add(conn);
    sc.data = conn;
    sc.readCb = readIpaConn;
    sc.closedCb = () => conn[kClosed]();
    conn.on('up', () => this.emit('up', conn));
    conn.on('down', (reason, res) => {
      this.#conns.delete(conn);
      this.emit('down', conn, reason, res);
    });
    conn.on('ccm', (m) => this.emit('ccm', conn, m));
    conn.on('identity', (i) => this.emit('identity', conn, i));
    conn.on('decodeError', (e, f) => this.emit('decodeError', conn, e, f));
    conn.on('dropped', (m, r) => this.emit('dropped', conn, m, r));
    debug('ipa(%s): accepted connection', conn.name);
    this.emit('connection', conn);
    if (conn.isOpen) conn[kStart]();
  }
}
