/**
 * StreamServer / StreamServerConn: a listening stream (TCP / Unix) server with one object per accepted connection,
 * in the spirit of libosmo-netif's osmo_stream_srv_link / osmo_stream_srv, built on the public @osmo/io API
 * (`sock`, `Acceptor`, IoFd in read_write mode).
 *
 * Difference from upstream, on purpose: upstream's osmo_stream_srv never closes by itself; on a read of 0 (EOF),
 * -EPIPE or -ECONNRESET it only passes the res to read_cb and the application has to destroy the connection (if it does
 * not, the socket keeps reporting EOF, which with io_uring is a busy loop). Here, with `closeOnEof: true` (the
 * default), the res is passed to `readCb` first and then, unless the application destroyed the connection (or started
 * flush-and-destroy) in that callback, the connection is destroyed (closedCb follows). The same happens on a write error.
 * `closeOnEof: false` gives the upstream behaviour.
 */
import { debuglog } from 'node:util';
import { lstatSync, unlinkSync } from 'node:fs';
import { errno as E } from './errno.js';
import { OsmoIoRangeError, OsmoIoSystemError, OsmoIoTypeError } from './errors.js';
import { IoFd } from './iofd.js';
import { sock } from './sock.js';
import { Acceptor } from './acceptor.js';
import type { IoOps, SockAddr } from './types.js';
import { isConnectionLost } from './stream-client.js';
import { formatHostPort } from './resolve.js';

const debug = debuglog('osmo-io');
/** What one queued message costs beyond its bytes (the core's pooled entry, the JS bookkeeping), roughly. */
export const TXENT_COST = 512;

/** Options of {@link StreamServer}. */
export interface StreamServerOptions {
  /** 'tcp' (default) or 'unix' */
  proto?: 'tcp' | 'unix';
  /** local address to listen on (TCP); default '0.0.0.0' */
  address?: string;
  /** local port (TCP); default 0 = any free port, see {@link StreamServer.port} */
  port?: number;
  /** socket path (Unix). A stale socket file at that path is removed before binding and on close(). */
  path?: string;
  /** listen backlog; default 511 (as Node's net.Server; upstream uses 10) */
  backlog?: number;
  /** name for the acceptor and (with the peer address) for the connections' IoFds; default 'stream_srv' */
  name?: string;
  /** segmentation callback handed unchanged to every connection's IoFd */
  segmentationCb?: (data: Buffer) => number;
  /** tx queue maximum length of every connection; default 1024 */
  txqueueMaxLength?: number;
  /**
   * memory a connection's unsent messages may take: their bytes plus {@link TXENT_COST} per message (the core's
   * queue entry); default 1 MiB. See {@link StreamServerConn.send}.
   */
  txqueueMaxBytes?: number;
  /** set TCP_NODELAY on accepted TCP connections */
  nodelay?: boolean;
  /**
   * destroy a connection after passing a read of 0 (EOF) / -EPIPE / -ECONNRESET (or another error that leaves the
   * socket unusable) to readCb, unless readCb destroyed it already; also destroy it on a write error. Default true.
   * false = upstream behaviour: the application must destroy the connection itself.
   */
  closeOnEof?: boolean;
  /** user data, available as `srv.data` */
  data?: unknown;
  /** called for every accepted connection; may set conn.readCb/closedCb/data, or destroy it to reject */
  acceptCb?: (conn: StreamServerConn) => void;
  /** default readCb of new connections */
  readCb?: (conn: StreamServerConn, res: number, msg: Buffer) => void;
  /** default closedCb of new connections */
  closedCb?: (conn: StreamServerConn) => void;
  /** called when accepting fails (e.g. -EMFILE); the server keeps listening */
  acceptErrorCb?: (srv: StreamServer, res: number) => void;
}

/** A listening stream server (libosmo-netif osmo_stream_srv_link semantics). */
export class StreamServer {
  /** name of the acceptor, prefix of the connection names */
  name: string;
  /** application data */
  data: unknown;
  /** called for every accepted connection (may destroy it to reject it) */
  acceptCb: ((conn: StreamServerConn) => void) | undefined;
  /** default readCb of new connections */
  readCb: ((conn: StreamServerConn, res: number, msg: Buffer) => void) | undefined;
  /** default closedCb of new connections */
  closedCb: ((conn: StreamServerConn) => void) | undefined;
  /** called when accepting fails */
  acceptErrorCb: ((srv: StreamServer, res: number) => void) | undefined;
  /** segmentation callback of new connections */
  readonly segmentationCb: ((data: Buffer) => number) | undefined;
  /** tx queue maximum length of new connections */
  txqueueMaxLength: number;
  /** most unsent bytes per connection */
  txqueueMaxBytes: number;
  /** connections destroyed because they did not read what was sent to them (slow consumers) */
  slowConsumerDrops = 0;
  /** times a connection stopped reading until its tx queue drained (back-pressure) */
  readPauses = 0;
  /** see {@link StreamServerOptions.closeOnEof} */
  closeOnEof: boolean;

  readonly #proto: 'tcp' | 'unix';
  readonly #address: string;
  readonly #portOpt: number;
  readonly #path: string;
  readonly #backlog: number;
  readonly #nodelay: boolean;
  #acceptor: Acceptor | null = null;
  #listenFd = -1;
  #localAddr: SockAddr | null = null;
  #refed = true;
  readonly #conns = new Set<StreamServerConn>();

  /** Create a server; nothing happens until {@link open}. */
  constructor(opts: StreamServerOptions = {}) {
    this.#proto = opts.proto ?? 'tcp';
    if (this.#proto !== 'tcp' && this.#proto !== 'unix') {
      throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `StreamServer: unsupported proto ${String(opts.proto)}`);
    }
    this.#address = opts.address ?? '0.0.0.0';
    this.#portOpt = opts.port ?? 0;
    this.#path = opts.path ?? '';
    if (this.#proto === 'unix' && this.#path === '') {
      throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', 'StreamServer: proto unix needs a path');
    }
    if (this.#proto === 'tcp' && !(Number.isInteger(this.#portOpt) && this.#portOpt >= 0 && this.#portOpt < 65536)) {
      throw new OsmoIoRangeError('ERR_SOCKET_BAD_PORT', `StreamServer: invalid port ${String(opts.port)}`);
    }
    this.#backlog = opts.backlog ?? 511;
    this.#nodelay = opts.nodelay ?? false;
    this.name = opts.name ?? 'stream_srv';
    this.data = opts.data;
    this.acceptCb = opts.acceptCb;
    this.readCb = opts.readCb;
    this.closedCb = opts.closedCb;
    this.acceptErrorCb = opts.acceptErrorCb;
    this.segmentationCb = opts.segmentationCb;
    this.txqueueMaxLength = opts.txqueueMaxLength ?? 1024;
    this.txqueueMaxBytes = opts.txqueueMaxBytes ?? 1024 * 1024;
    this.closeOnEof = opts.closeOnEof ?? true;
  }

  /** True while listening. */
  get listening(): boolean {
    return this.#acceptor !== null;
  }

  /** The bound TCP port (useful with port 0); 0 for Unix or when not listening. */
  get port(): number {
    const a = this.#localAddr;
    return a !== null && 'port' in a ? a.port : 0;
  }

  /** The bound local address, null when not listening. */
  get localAddress(): SockAddr | null {
    return this.#localAddr;
  }

  /** The live connections (destroyed ones are removed). */
  get connections(): ReadonlySet<StreamServerConn> {
    return this.#conns;
  }

  /**
   * Start listening, now: returns once the socket listens (`port` / `localAddress` are then valid). Already
   * listening: no-op. A server's open() throws when it cannot listen: a busy port is the caller's to handle at once,
   * there is nothing to retry (docs/design.md §5; clients report failed attempts through their callbacks instead).
   * @throws OsmoIoSystemError (code 'EADDRINUSE', 'EACCES' ..., errno negative, syscall 'bind' / 'listen', address,
   *   port; for Unix the path as address and port 0) when the socket cannot be bound/listened on
   */
  open(): void {
    if (this.#acceptor !== null) return;
    let fd: number;
    try {
      if (this.#proto === 'unix') {
        removeStaleSocket(this.#path);
        fd = sock.unix({ type: 'stream', local: this.#path, listen: this.#backlog });
      } else {
        fd = sock.inet({
          proto: 'tcp', local: { address: this.#address, port: this.#portOpt }, listen: this.#backlog, reuseAddr: true,
        });
      }
    } catch (err) {
      throw this.#listenError(err);
    }
    let acceptor: Acceptor;
    try {
      this.#localAddr = sock.localAddress(fd);
      acceptor = Acceptor.open(fd, this.name, (cfd, peer) => this.#onAccept(cfd, peer),
        (res) => this.#onAcceptError(res));
    } catch (err) {
      this.#localAddr = null;
      sock.close(fd);
      throw err;
    }
    if (!this.#refed) acceptor.unref();
    this.#acceptor = acceptor;
    this.#listenFd = fd;
    debug('stream_srv(%s): listening on %s', this.name, fmtAddr(this.#localAddr));
  }

  /** The sock call's system error as an OsmoIoSystemError naming where (as net's listen errors); others unchanged. */
  #listenError(err: unknown): unknown {
    const e = err as { code?: unknown; errno?: unknown; syscall?: unknown };
    if (err instanceof OsmoIoSystemError || typeof e.code !== 'string' || typeof e.errno !== 'number'
        || typeof e.syscall !== 'string') return err;
    const unix = this.#proto === 'unix';
    const where = unix ? this.#path : formatHostPort(this.#address, this.#portOpt);
    return new OsmoIoSystemError(e.code, -Math.abs(e.errno), e.syscall, `${e.syscall} ${e.code} ${where}`,
      { address: unix ? this.#path : this.#address, port: unix ? 0 : this.#portOpt });
  }

  /**
   * Stop listening (closes the listening socket; for Unix also removes the socket file). Existing connections stay
   * open unless `destroyConnections` is true (then each is destroyed and its closedCb called).
   */
  close(opts: { destroyConnections?: boolean } = {}): void {
    const acceptor = this.#acceptor;
    if (acceptor !== null) {
      this.#acceptor = null;
      this.#listenFd = -1;
      acceptor.close();
      if (this.#proto === 'unix') removeStaleSocket(this.#path);
      debug('stream_srv(%s): closed', this.name);
    }
    this.#localAddr = null;
    if (opts.destroyConnections === true) {
      for (const conn of [...this.#conns]) conn.destroy();
    }
  }

  /** Let the listening socket keep the Node process alive (default). Connections are ref'd on their own. */
  ref(): this {
    this.#refed = true;
    this.#acceptor?.ref();
    return this;
  }

  /** Do not let the listening socket keep the Node process alive. */
  unref(): this {
    this.#refed = false;
    this.#acceptor?.unref();
    return this;
  }

  /** @internal */
  _removeConn(conn: StreamServerConn): void {
    this.#conns.delete(conn);
  }

  /** @internal */
  get _isUnix(): boolean {
    return this.#proto === 'unix';
  }

  #onAccept(fd: number, peer: SockAddr | null): void {
    if (this.#acceptor === null) {
      sock.close(fd);
      return;
    }
    if (this.#nodelay && this.#proto === 'tcp') {
      try {
        sock.setsockopt(fd, sock.constants.IPPROTO_TCP, sock.constants.TCP_NODELAY, 1);
      } catch (err) {
        debug('stream_srv(%s): TCP_NODELAY failed: %s', this.name, (err as Error).message);
      }
    }
    // on failure the constructor has closed fd already
    const conn = new StreamServerConn(this, fd, peer);
    this.#conns.add(conn);
    debug('stream_srv(%s): accepted %s (fd %d)', this.name, conn.name, fd);
    try {
      this.acceptCb?.(conn);
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  #onAcceptError(res: number): void {
    debug('stream_srv(%s): accept failed: %d', this.name, res);
    this.acceptErrorCb?.(this, res);
  }
}

/**
 * One accepted connection of a {@link StreamServer} (libosmo-netif osmo_stream_srv semantics). Created by the server
 * and registered at once; set `readCb`/`closedCb`/`data` in the server's acceptCb.
 */
export class StreamServerConn {
  /** the server that accepted this connection */
  readonly server: StreamServer;
  /** peer address as returned by accept(), null if unknown */
  readonly peer: SockAddr | null;
  /** name of the IoFd: `<server name>,<peer>` */
  readonly name: string;
  /** application data */
  data: unknown;
  /** called per received (segmented) message: res > 0 bytes, 0 EOF, < 0 -errno */
  readCb: ((conn: StreamServerConn, res: number, msg: Buffer) => void) | undefined;
  /** called once when the connection is destroyed (by the application or the library) */
  closedCb: ((conn: StreamServerConn) => void) | undefined;

  #iofd: IoFd | null;
  #ops: IoOps;
  #destroyed = false;
  #flush = false;
  #paused = false;

  // The IoFd callbacks are shared by every connection, which is the IoFd's data: with hundreds of links a closure
  // per connection is two more cache misses per message.
  static readonly #read = (io: IoFd, res: number, msg: Buffer): void => {
    const c = io.data;
    if (c instanceof StreamServerConn) c.#onRead(io, res, msg);
  };
  static readonly #write = (io: IoFd, res: number, msg: Buffer | null): void => {
    const c = io.data;
    if (c instanceof StreamServerConn) c.#onWrite(io, res, msg);
  };

  /** @internal created by StreamServer on accept; takes over fd (closes it when it throws) */
  constructor(server: StreamServer, fd: number, peer: SockAddr | null) {
    this.server = server;
    this.peer = peer;
    this.name = `${server.name},${fmtAddr(peer)}`;
    this.readCb = server.readCb;
    this.closedCb = server.closedCb;
    const ops: IoOps = { readCb: StreamServerConn.#read, writeCb: StreamServerConn.#write };
    if (server.segmentationCb !== undefined) ops.segmentationCb = server.segmentationCb;
    this.#ops = ops;
    let iofd: IoFd;
    try {
      iofd = IoFd.setup(fd, this.name, 'read_write', ops);
    } catch (err) {
      sock.close(fd);
      throw err;
    }
    try {
      iofd.data = this;
      iofd.txqueueMaxLength = server.txqueueMaxLength;
      iofd.register();
    } catch (err) {
      iofd.close();
      throw err;
    }
    this.#iofd = iofd;
  }

  /** The connection's IoFd, null once destroyed. Its `data` is this connection (keep it so). */
  get iofd(): IoFd | null {
    return this.#iofd;
  }

  /** True once destroyed. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** True after {@link setFlushAndDestroy}. */
  get flushing(): boolean {
    return this.#flush;
  }

  /** Local address of the connection, null once destroyed. */
  get localAddress(): SockAddr | null {
    if (this.#iofd === null) return null;
    try {
      return sock.localAddress(this.#iofd.fd);
    } catch {
      return null;
    }
  }

  /** Number of messages waiting in the tx queue. */
  get txqueueLen(): number {
    return this.#iofd ? this.#iofd.txqueueLen : 0;
  }

  /** True while reading is paused because the peer does not read what we send (see {@link send}). */
  get readPaused(): boolean {
    return this.#paused;
  }

  /**
   * Replace the segmentation callback (e.g. a larger frame limit once a peer is identified).
   */
  setSegmentationCb(fn: (data: Buffer) => number): void {
    this.#ops = { ...this.#ops, segmentationCb: fn };
    this.#iofd?.setIoOps(this.#paused ? { ...this.#ops, readCb: undefined } : this.#ops);
  }

  /**
   * Queue a message for sending. Returns 0 (queued; do not modify the Buffer until it is sent), -ENOTCONN after
   * destroy, -ESHUTDOWN after setFlushAndDestroy (the message is dropped), -EINVAL for an empty message.
   *
   * Nothing accepted is dropped silently. Back-pressure: once the queue is three quarters full (messages or bytes)
   * the connection stops reading until it drained to a quarter, as TCP and Node streams do, so a peer that
   * pipelines requests and reads late gets every reply. A peer that still lets the queue fill up (it does not read
   * what is sent to it unasked, e.g. traps) is a slow consumer: as upstream, the connection is destroyed, counted
   * in `server.slowConsumerDrops`, and -ENOSPC is returned.
   */
  send(msg: Buffer): number {
    const io = this.#iofd;
    if (io === null) return -E.ENOTCONN;
    if (this.#flush) {
      debug('stream_srv(%s): flushing, dropping %d bytes', this.name, msg.length);
      return -E.ESHUTDOWN;
    }
    const srv = this.server;
    // the unsent bytes and messages are the core's (IoFd.txqueueBytes / txqueueLen)
    const cost = io.txqueueBytes + msg.length + (io.txqueueLen + 1) * TXENT_COST;
    const rc = cost > srv.txqueueMaxBytes ? -E.ENOSPC : io.write(msg);
    if (rc === -E.ENOSPC) {
      srv.slowConsumerDrops++;
      debug('stream_srv(%s): slow consumer (%d messages, %d bytes unsent), destroying', this.name, io.txqueueLen,
            io.txqueueBytes);
      this.destroy();
      return rc;
    }
    if (rc !== 0) return rc;
    if (!this.#paused && (io.txqueueLen * 4 >= io.txqueueMaxLength * 3 || cost * 4 >= srv.txqueueMaxBytes * 3)) {
      this.#paused = true;
      srv.readPauses++;
      io.setIoOps({ ...this.#ops, readCb: undefined }); // reads that already came wait, in order
    }
    return 0;
  }

  /** Drop all queued, not yet written messages (no callbacks). */
  txqueueClear(): void {
    if (this.#iofd === null) return;
    this.#iofd.txqueueClear();
    if (this.#flush) this.destroy();
  }

  /**
   * Destroy the connection once everything queued has been written: later sends are dropped, received data is
   * ignored. With nothing queued the connection is destroyed at once (closedCb is called before this returns).
   */
  setFlushAndDestroy(): void {
    if (this.#iofd === null || this.#flush) return;
    this.#flush = true;
    const unsent = this.#iofd.txqueueBytes;
    debug('stream_srv(%s): flush and destroy (%d bytes pending)', this.name, unsent);
    if (unsent === 0) this.destroy();
  }

  /**
   * Close the socket, remove the connection from the server and call closedCb (once). Safe from inside any callback;
   * no readCb follows.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const io = this.#iofd;
    this.#iofd = null;
    io?.close();
    this.server._removeConn(this);
    debug('stream_srv(%s): destroyed', this.name);
    this.closedCb?.(this);
  }

  #onRead(io: IoFd, res: number, msg: Buffer): void {
    if (io !== this.#iofd) return;
    if (this.#flush) {
      this.#flushingRead(io, res);
      return;
    }
    this.readCb?.(this, res, msg);
    if (this.#iofd !== io) return; // destroyed inside readCb
    if (this.#flush) {
      // flush-and-destroy started inside readCb
      this.#flushingRead(io, res);
      return;
    }
    if (this.server.closeOnEof && isConnectionLost(res)) {
      debug('stream_srv(%s): read %d, closing', this.name, res);
      // EOF may be a half-close (the peer shut down only its sending side): what we queued still goes out
      if (res === 0) this.setFlushAndDestroy();
      else this.destroy();
    }
  }

  /** read while flushing: data is ignored; EOF stops reading (writes go on); an error destroys. */
  #flushingRead(io: IoFd, res: number): void {
    if (res > 0) return;
    if (res === 0 && io.txqueueBytes > 0) {
      // the peer may have shut down only its sending side: stop reading, finish writing
      try {
        const ops: IoOps = { writeCb: (i, r, m) => this.#onWrite(i, r, m) };
        io.setIoOps(ops);
        return;
      } catch (err) {
        debug('stream_srv(%s): cannot stop reading: %s', this.name, (err as Error).message);
      }
    }
    if (res < 0 && !isConnectionLost(res)) return; // e.g. a segmentation error: keep flushing
    this.destroy();
  }

  #onWrite(io: IoFd, res: number, msg: Buffer | null): void {
    if (io !== this.#iofd || msg === null) return;
    if (res < 0) {
      debug('stream_srv(%s): write error %d', this.name, res);
      if (this.#flush || this.server.closeOnEof) this.destroy();
      return;
    }
    const unsent = io.txqueueBytes;
    if (this.#flush && unsent === 0) {
      this.destroy();
      return;
    }
    if (this.#paused && !this.#flush && io.txqueueLen * 4 <= io.txqueueMaxLength &&
        (unsent + io.txqueueLen * TXENT_COST) * 4 <= this.server.txqueueMaxBytes) {
      this.#paused = false;
      io.setIoOps(this.#ops);
    }
  }
}

function fmtAddr(a: SockAddr | null): string {
  if (a === null) return '?';
  if ('path' in a) return a.path === '' ? 'unix' : a.path;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // not there
  }
}
