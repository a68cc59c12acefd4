/**
 * StreamClient: a reconnecting stream (TCP / Unix) client in the spirit of libosmo-netif's osmo_stream_cli,
 * built on the public @osmo/io API (IoFd in read_write mode, `sock`).
 *
 * States: CLOSED -> (open) -> CONNECTING -> CONNECTED; connection loss or connect failure -> WAIT_RECONNECT
 * (reconnect timer armed) -> CONNECTING ... A negative `reconnectTimeout` disables the timer (then CLOSED).
 *
 * Callback rules (as upstream, see docs/design.md §6, stream helpers):
 * - `connectCb(cli)` once the connection is established: on the core's connect notification (writeCb(0, null)), which
 *   comes before any read (the core holds reads back until it was delivered, so a peer that talks first is read
 *   after `connectCb`).
 * - `readCb(cli, res, msg)` per (segmented) message: res > 0 bytes, 0 EOF, < 0 -errno.
 *   In CONNECTED a read of 0 / -EPIPE / -ECONNRESET (and, unlike upstream, also -ETIMEDOUT, -ECONNREFUSED,
 *   -EHOSTUNREACH, -ENETUNREACH, -ECONNABORTED, -ENOTCONN, -EBADF, which leave a socket unusable as well) closes the
 *   socket, calls `disconnectCb`, arms the reconnect timer and then still hands the res to `readCb`.
 * - `disconnectCb(cli)` when a CONNECTED client loses its connection, or when a connect attempt fails while reconnecting
 *   is disabled. It is NOT called for `close()`/`destroy()` requested by the application (upstream's
 *   osmo_stream_cli_close() calls it; here the application already knows), nor for connect failures while the reconnect
 *   timer is enabled (as upstream).
 * - A write error (res < 0 for a message) in CONNECTED is handled like a connection loss.
 * - `close()`, `destroy()` and `open()` are safe from inside any callback: no callback of the old connection fires after
 *   them.
 * - `errorCb(cli, err)` for every failed connect attempt (an extension: upstream only logs it), with a Node-style
 *   error: `code` 'ECONNREFUSED' / 'ETIMEDOUT' ... (`errno` negative, `syscall` 'connect', `address`, `port`), or the
 *   dns error of a name that does not resolve (`code` 'ENOTFOUND', `hostname`). Also kept as `cli.lastError`.
 *   Never called from inside `open()`: an attempt that fails at once (socket() or connect() refused by the kernel, e.g.
 *   a missing Unix path) is reported on a later tick, like one the kernel refuses later (docs/design.md §5, open()).
 *
 * Host names: `address` may be an IPv4/IPv6 literal (IPv6 with or without brackets) or a name, resolved with
 * `dns.lookup` (honouring `family`) before every connect attempt, like `net.connect`. A name with several
 * addresses is tried address by address until one connects; the attempt fails with the last address's error.
 */
import { debuglog } from 'node:util';
import net from 'node:net';
import { errno as E, errnoName, errnoOfCode } from './errno.js';
import { OsmoIoError, OsmoIoRangeError, OsmoIoSystemError, OsmoIoTypeError } from './errors.js';
import { IoFd } from './iofd.js';
import { sock } from './sock.js';
import type { IoOps, SockAddr } from './types.js';
import { checkFamily, connectError, formatHostPort, lookupHost, stripBrackets, type LookupAddress, type LookupFamily,
  type LookupFunction, type NetError } from './resolve.js';

const debug = debuglog('osmo-io');

/** State of a {@link StreamClient} (upstream STREAM_CLI_STATE_*). */
export type StreamClientState = 'CLOSED' | 'WAIT_RECONNECT' | 'CONNECTING' | 'CONNECTED';

/** Options of {@link StreamClient}. Callbacks may also be (re)assigned later as properties. */
export interface StreamClientOptions {
  /** 'tcp' (default) or 'unix' */
  proto?: 'tcp' | 'unix';
  /** remote host for TCP: IPv4/IPv6 literal (IPv6 with or without brackets) or a host name; default '127.0.0.1' */
  address?: string;
  /** address family for host name lookups: 0 (default, any), 4 or 6 - as net.connect's `family` */
  family?: LookupFamily;
  /** resolver for host names (default dns.lookup), as net.connect's `lookup`; called with `all: true` */
  lookup?: LookupFunction;
  /** remote port for TCP (required for TCP) */
  port?: number;
  /** remote socket path for Unix */
  path?: string;
  /** optional local address/port to bind to before connecting (TCP) */
  local?: { address: string; port: number };
  /** name used for the IoFd and in debug logs; default 'stream_cli' */
  name?: string;
  /** reconnect delay in ms after a failure or connection loss; default 5000; negative disables reconnecting */
  reconnectTimeout?: number;
  /** segmentation callback handed to the IoFd unchanged (native descriptors from lengthPrefixSegmentation work) */
  segmentationCb?: (data: Buffer) => number;
  /** maximum tx queue length of the IoFd; default 1024 */
  txqueueMaxLength?: number;
  /** set TCP_NODELAY (TCP only) */
  nodelay?: boolean;
  /** user data, available as `cli.data` */
  data?: unknown;
  /** called once the connection is established */
  connectCb?: (cli: StreamClient) => void;
  /** called when the connection is lost (or a connect fails with reconnecting disabled) */
  disconnectCb?: (cli: StreamClient) => void;
  /** called per received (segmented) message: res > 0 bytes, 0 EOF, < 0 -errno */
  readCb?: (cli: StreamClient, res: number, msg: Buffer) => void;
  /** called for every failed connect attempt (lookup, socket or connect) with a Node-style error */
  errorCb?: (cli: StreamClient, err: NetError) => void;
}

/** Read results after which a stream socket is no longer usable. */
const FATAL_READ = new Set<number>([
  -E.EPIPE, -E.ECONNRESET, -E.ETIMEDOUT, -E.ECONNREFUSED, -E.EHOSTUNREACH, -E.ENETUNREACH, -E.ECONNABORTED,
  -E.ENOTCONN, -E.EBADF,
]);

/** @internal true for read results that mean the connection is gone (0 = EOF included). */
export function isConnectionLost(res: number): boolean {
  return res === 0 || FATAL_READ.has(res);
}

/** @internal negative errno from an exception thrown by a `sock` call. */
export function errnoOf(err: unknown): number {
  if (err !== null && typeof err === 'object') {
    const e = err as { errno?: unknown; code?: unknown };
    if (typeof e.errno === 'number' && e.errno !== 0) return e.errno < 0 ? e.errno : -e.errno;
    if (typeof e.code === 'string') {
      const v = errnoOfCode(e.code);
      if (v !== undefined) return -v;
    }
  }
  return -E.EIO;
}

/** Reconnecting stream client (libosmo-netif osmo_stream_cli semantics over osmo_io). */
export class StreamClient {
  /** name used for the IoFd and in debug logs */
  name: string;
  /** application data */
  data: unknown;
  /** reconnect delay in ms (default 5000); negative disables reconnecting. Takes effect at the next failure. */
  reconnectTimeout: number;
  /** called once the connection is established */
  connectCb: ((cli: StreamClient) => void) | undefined;
  /** called when the connection is lost, or a connect attempt fails with reconnecting disabled */
  disconnectCb: ((cli: StreamClient) => void) | undefined;
  /** called per received (segmented) message: res > 0 bytes, 0 EOF, < 0 -errno */
  readCb: ((cli: StreamClient, res: number, msg: Buffer) => void) | undefined;
  /** called for every failed connect attempt (lookup, socket or connect) with a Node-style error */
  errorCb: ((cli: StreamClient, err: NetError) => void) | undefined;

  readonly #proto: 'tcp' | 'unix';
  readonly #address: string;
  readonly #family: LookupFamily;
  readonly #lookupFn: LookupFunction | undefined;
  /** addresses of the current attempt still to try, and the one being tried */
  #addrs: LookupAddress[] = [];
  #current = '';
  /**
   * identifies the attempt that has no IoFd yet: a name lookup in progress, or a failure at once waiting for its
   * report on the next tick. Any close/open/reconnect/destroy drops it.
   */
  #pending: object | null = null;
  #lastError: NetError | null = null;
  readonly #port: number;
  readonly #path: string;
  readonly #local: { address: string; port: number } | undefined;
  readonly #nodelay: boolean;
  readonly #segmentationCb: ((data: Buffer) => number) | undefined;
  #txqueueMaxLength: number;

  #state: StreamClientState = 'CLOSED';
  #iofd: IoFd | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** bumped by every application-requested open/close/destroy: callbacks compare it to notice them */
  #epoch = 0;
  #destroyed = false;
  #refed = true;
  #localAddr: SockAddr | null = null;
  #peerAddr: SockAddr | null = null;

  /** Create a client; nothing happens until {@link open}. */
  constructor(opts: StreamClientOptions = {}) {
    this.#proto = opts.proto ?? 'tcp';
    if (this.#proto !== 'tcp' && this.#proto !== 'unix') {
      throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `StreamClient: unsupported proto ${String(opts.proto)}`);
    }
    this.#address = stripBrackets(opts.address ?? '127.0.0.1');
    this.#family = checkFamily(opts.family);
    if (opts.lookup !== undefined && typeof opts.lookup !== 'function') {
      throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'StreamClient: lookup must be a function');
    }
    this.#lookupFn = opts.lookup;
    this.#port = opts.port ?? 0;
    this.#path = opts.path ?? '';
    if (this.#proto === 'unix' && this.#path === '') {
      throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', 'StreamClient: proto unix needs a path');
    }
    if (this.#proto === 'tcp' && !(Number.isInteger(this.#port) && this.#port > 0 && this.#port < 65536)) {
      throw new OsmoIoRangeError('ERR_SOCKET_BAD_PORT', `StreamClient: invalid port ${String(opts.port)}`);
    }
    this.#local = opts.local;
    this.#nodelay = opts.nodelay ?? false;
    this.#segmentationCb = opts.segmentationCb;
    this.#txqueueMaxLength = opts.txqueueMaxLength ?? 1024;
    this.name = opts.name ?? 'stream_cli';
    this.data = opts.data;
    this.reconnectTimeout = opts.reconnectTimeout ?? 5000;
    this.connectCb = opts.connectCb;
    this.disconnectCb = opts.disconnectCb;
    this.readCb = opts.readCb;
    this.errorCb = opts.errorCb;
  }

  /** The error of the last failed connect attempt (null before any failure; kept after a later success). */
  get lastError(): NetError | null {
    return this.#lastError;
  }

  /** Current state (CLOSED / WAIT_RECONNECT / CONNECTING / CONNECTED). */
  get state(): StreamClientState {
    return this.#state;
  }

  /** True in state CONNECTED. */
  get isConnected(): boolean {
    return this.#state === 'CONNECTED';
  }

  /** True once {@link destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** The IoFd of the current connection attempt / connection, null when there is none. */
  get iofd(): IoFd | null {
    return this.#iofd;
  }

  /** Local address of the connection (when CONNECTED), else null. Asked of the kernel on first use. */
  get localAddress(): SockAddr | null {
    if (this.#localAddr === null && this.#state === 'CONNECTED' && this.#iofd !== null) {
      try { this.#localAddr = sock.localAddress(this.#iofd.fd); } catch { /* informative only */ }
    }
    return this.#localAddr;
  }

  /** Peer address of the connection (when CONNECTED), else null. Asked of the kernel on first use. */
  get peerAddress(): SockAddr | null {
    if (this.#peerAddr === null && this.#state === 'CONNECTED' && this.#iofd !== null) {
      try { this.#peerAddr = sock.peerAddress(this.#iofd.fd); } catch { /* informative only */ }
    }
    return this.#peerAddr;
  }

  /** Maximum tx queue length (default 1024); applied to the current IoFd at once. */
  get txqueueMaxLength(): number {
    return this.#txqueueMaxLength;
  }

  set txqueueMaxLength(n: number) {
    this.#txqueueMaxLength = n;
    if (this.#iofd) this.#iofd.txqueueMaxLength = n;
  }

  /** Number of messages waiting in the tx queue (0 without connection). */
  get txqueueLen(): number {
    return this.#iofd ? this.#iofd.txqueueLen : 0;
  }

  /**
   * Open the connection: start an attempt (state CONNECTING) and return. Already CONNECTING/CONNECTED: nothing happens.
   * WAIT_RECONNECT: the timer is cancelled and a new attempt starts now. A host name is looked up first.
   * Every failed attempt is reported the same way, after open() has returned (as net.connect does): `errorCb` (and
   * `lastError`), then the reconnect timer, or `disconnectCb` when reconnecting is disabled - whether the kernel
   * refused at once (socket()/connect(), e.g. a missing Unix path), later (ECONNREFUSED), or the lookup failed
   * (ENOTFOUND). The state stays CONNECTING until then; a close()/open()/destroy() before that report wins.
   * @throws Error with code ERR_OSMO_STREAM_DESTROYED after destroy(); the IoFd's error when it cannot be set up
   */
  open(): void {
    if (this.#destroyed) {
      throw new OsmoIoError('ERR_OSMO_STREAM_DESTROYED', `stream_cli(${this.name}): open() after destroy()`);
    }
    if (this.#state === 'CONNECTING' || this.#state === 'CONNECTED') return;
    this.#epoch++;
    this.#clearTimer();
    try {
      this.#connect();
    } catch (e) {
      // the IoFd could not be set up (the I/O backend, not the network): thrown as it is, the client stays usable
      this.#closeIofd();
      this.#state = 'CLOSED';
      throw e;
    }
  }

  /**
   * Close the connection and stop reconnecting (state CLOSED). No callback is called. The client may be opened again.
   * Queued, unsent messages are dropped.
   */
  close(): void {
    this.#epoch++;
    this.#clearTimer();
    this.#closeIofd();
    if (this.#state !== 'CLOSED') debug('stream_cli(%s): closed', this.name);
    this.#state = 'CLOSED';
  }

  /**
   * Drop the current connection (if any) without calling disconnectCb and arm the reconnect timer (if enabled,
   * else the client ends up CLOSED).
   */
  reconnect(): void {
    if (this.#destroyed) return;
    this.#epoch++;
    this.#clearTimer();
    this.#closeIofd();
    this.#state = 'CLOSED';
    this.#scheduleReconnect();
  }

  /** Close for good: like close(), and open() is refused afterwards. Safe from inside any callback. */
  destroy(): void {
    this.close();
    this.#destroyed = true;
  }

  /**
   * Queue a message for sending. Returns 0 (queued; the Buffer must not be modified until sent), -ENOTCONN when not
   * CONNECTED (the message is dropped, as upstream), or the IoFd's error (-ENOSPC queue full, -EINVAL empty message).
   */
  send(msg: Buffer): number {
    if (this.#state !== 'CONNECTED' || this.#iofd === null) {
      debug('stream_cli(%s): send while %s, dropping %d bytes', this.name, this.#state, msg.length);
      return -E.ENOTCONN;
    }
    return this.#iofd.write(msg);
  }

  /** Drop all queued, not yet written messages (no callbacks). */
  txqueueClear(): void {
    this.#iofd?.txqueueClear();
  }

  /** Let the client (its socket and its reconnect timer) keep the Node process alive (default). */
  ref(): this {
    this.#refed = true;
    this.#iofd?.ref();
    this.#timer?.ref();
    return this;
  }

  /** Do not let the client (its socket and its reconnect timer) keep the Node process alive. */
  unref(): this {
    this.#refed = false;
    this.#iofd?.unref();
    this.#timer?.unref();
    return this;
  }

  // ---- internals ----

  #createSocket(): number {
    if (this.#proto === 'unix') {
      return sock.unix({ type: 'stream', remote: this.#path });
    }
    return sock.inet({
      proto: 'tcp',
      remote: { address: this.#current, port: this.#port },
      ...(this.#local !== undefined ? { local: this.#local } : {}),
      nodelay: this.#nodelay,
    });
  }

  #target(): string {
    return this.#proto === 'unix' ? this.#path : formatHostPort(this.#current || this.#address, this.#port);
  }

  /** Start an attempt (open() or the reconnect timer): a literal (or Unix path) connects now, a name is looked up. */
  #connect(): void {
    this.#state = 'CONNECTING';
    if (this.#proto === 'tcp' && net.isIP(this.#address) === 0) {
      const token = {};
      this.#pending = token;
      debug('stream_cli(%s): looking up %s', this.name, this.#address);
      lookupHost(this.#address, this.#family, this.#lookupFn).then((addrs) => {
        if (this.#pending !== token) return;
        this.#pending = null;
        this.#addrs = addrs;
        try {
          this.#connectNext();
        } catch (e) {
          // IoFd setup failed (not a network error): a failed attempt, not an unhandled rejection
          this.#addrs = [];
          this.#connectFailed(errnoOf(e));
        }
      }, (err: NetError) => {
        if (this.#pending !== token) return;
        this.#pending = null;
        this.#addrs = [];
        this.#connectFailed(-E.EIO, err);
      });
      return;
    }
    this.#addrs = this.#proto === 'tcp' ? [{ address: this.#address, family: net.isIPv6(this.#address) ? 6 : 4 }] : [];
    this.#connectNext();
  }

  /**
   * Connect to the next address of the attempt. When the kernel refuses at once (socket/bind/connect) and no address
   * is left, the failure is reported on the next tick, exactly like a refusal that arrives with the connect
   * notification: open() never reports through a callback before it has returned (net.connect does the same).
   */
  #connectNext(): void {
    this.#current = this.#addrs.shift()?.address ?? '';
    let fd: number;
    try {
      fd = this.#createSocket();
    } catch (err) {
      const res = errnoOf(err);
      debug('stream_cli(%s): connect to %s failed at once: %d (%s)', this.name, this.#target(), res,
        (err as Error).message);
      if (this.#addrs.length > 0) {
        this.#connectNext();
        return;
      }
      const token = {};
      this.#pending = token;
      process.nextTick(() => {
        if (this.#pending !== token) return; // closed, reopened or destroyed meanwhile
        this.#pending = null;
        this.#connectFailed(res);
      });
      return;
    }
    const ops: IoOps = {
      readCb: (io, res, msg) => this.#onRead(io, res, msg),
      writeCb: (io, res, msg) => this.#onWrite(io, res, msg),
    };
    if (this.#segmentationCb !== undefined) ops.segmentationCb = this.#segmentationCb;
    let iofd: IoFd | null = null;
    try {
      iofd = IoFd.setup(fd, this.name, 'read_write', ops);
      iofd.data = this;
      iofd.txqueueMaxLength = this.#txqueueMaxLength;
      // before register(): io_uring needs the notification armed before reads/writes are (upstream netif e1153bc)
      iofd.notifyConnected();
      iofd.register();
      if (!this.#refed) iofd.unref();
    } catch (err) {
      if (iofd !== null) iofd.close();
      else sock.close(fd);
      throw err;
    }
    this.#iofd = iofd;
    this.#state = 'CONNECTING';
    debug('stream_cli(%s): connecting to %s (fd %d)', this.name, this.#target(), fd);
  }

  #closeIofd(): void {
    const io = this.#iofd;
    this.#iofd = null;
    this.#pending = null;
    this.#localAddr = null;
    this.#peerAddr = null;
    if (io !== null) io.close();
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** Arm the reconnect timer if enabled (state WAIT_RECONNECT); returns false when reconnecting is disabled. */
  #scheduleReconnect(): boolean {
    if (this.#destroyed || this.reconnectTimeout < 0) {
      debug('stream_cli(%s): not reconnecting, disabled', this.name);
      return false;
    }
    this.#clearTimer();
    this.#state = 'WAIT_RECONNECT';
    debug('stream_cli(%s): retrying in %d ms', this.name, this.reconnectTimeout);
    const t = setTimeout(() => {
      if (this.#timer !== t) return;
      this.#timer = null;
      if (this.#state !== 'WAIT_RECONNECT' || this.#destroyed) return;
      try {
        this.#connect();
      } catch (e) {
        // IoFd setup failed (not a network error): a failed attempt, not an exception out of a timer
        this.#addrs = [];
        this.#connectFailed(errnoOf(e));
      }
    }, this.reconnectTimeout);
    if (!this.#refed) t.unref();
    this.#timer = t;
    return true;
  }

  /** A Node-style error for a failure of the current address (a thrown error's own code when it has one). */
  #errorFor(res: number): NetError {
    if (this.#proto === 'unix') {
      return new OsmoIoSystemError(errnoName(res), -Math.abs(res), 'connect', `connect ${errnoName(res)} ${this.#path}`,
                                   { address: this.#path, port: 0 });
    }
    return connectError(res, this.#current, this.#port);
  }

  /** Record and report a failed attempt; errorCb may close/open/destroy the client. */
  #reportError(err: NetError): void {
    this.#lastError = err;
    this.errorCb?.(this, err);
  }

  /**
   * A connect attempt failed (state CONNECTING): the next address of a name if there is one, else errorCb and
   * reconnect timer (or disconnectCb when reconnecting is disabled). `err`: a lookup failure.
   */
  #connectFailed(res: number, err?: NetError): void {
    debug('stream_cli(%s): connect to %s failed: %s', this.name, this.#target(), err?.message ?? res);
    this.#closeIofd();
    if (err === undefined && this.#addrs.length > 0) {
      this.#connectNext();
      return;
    }
    this.#state = 'CLOSED';
    const epoch = this.#epoch;
    this.#reportError(err ?? this.#errorFor(res));
    if (epoch !== this.#epoch || this.#destroyed) return;
    if (!this.#scheduleReconnect()) {
      this.disconnectCb?.(this);
    }
  }

  /**
   * The established connection is gone: close, disconnectCb, reconnect timer.
   * Returns false when the application closed/opened/destroyed the client from inside disconnectCb.
   */
  #lost(res: number): boolean {
    debug('stream_cli(%s): connection lost: %d', this.name, res);
    this.#closeIofd();
    this.#state = 'CLOSED';
    const epoch = this.#epoch;
    this.disconnectCb?.(this);
    if (epoch !== this.#epoch || this.#destroyed) return false;
    this.#scheduleReconnect();
    return true;
  }

  /**
   * The core's connect notification said the connect succeeded (it read SO_ERROR itself: a failure arrives as
   * writeCb(-errno, null) with the real errno): go CONNECTED, call connectCb. No system call here; the addresses are
   * asked of the kernel only when the application reads them.
   */
  #established(io: IoFd): boolean {
    this.#state = 'CONNECTED';
    debug('stream_cli(%s): connected to %s', this.name, this.#target());
    const epoch = this.#epoch;
    this.connectCb?.(this);
    return epoch === this.#epoch && this.#iofd === io && this.#state === 'CONNECTED';
  }

  #onRead(io: IoFd, res: number, msg: Buffer): void {
    if (io !== this.#iofd) return; // stale completion of an earlier connection
    // the core holds reads back until the connect notification has been delivered: none arrives in CONNECTING
    if (this.#state !== 'CONNECTED') return;
    if (isConnectionLost(res)) {
      const epoch = this.#epoch;
      if (!this.#lost(res)) return;
      if (epoch !== this.#epoch) return;
      this.readCb?.(this, res, msg);
      return;
    }
    this.readCb?.(this, res, msg);
  }

  #onWrite(io: IoFd, res: number, msg: Buffer | null): void {
    if (io !== this.#iofd) return;
    if (this.#state === 'CONNECTING') {
      if (res < 0) {
        this.#connectFailed(res);
        return;
      }
      // connect notification: msg null (an empty Buffer is accepted too)
      if (msg === null || msg.length === 0) this.#established(io);
      return;
    }
    if (this.#state === 'CONNECTED' && res < 0 && msg !== null) {
      debug('stream_cli(%s): write error %d', this.name, res);
      this.#lost(res);
    }
  }
}
