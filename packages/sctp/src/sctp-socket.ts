/**
 * SctpSocket: one SCTP fd driven by an @osmo/io IoFd in recvmsg_sendmsg mode, on either backend.
 * - send(data, info, cb): one message with SCTP_SNDINFO (+ SCTP_PRINFO); cb(res) exactly once (bytes or -errno,
 *   -ECANCELED when closed before it went out).
 * - 'message' (data, rcv): complete messages (partial deliveries reassembled up to MSG_EOR), rcv from SCTP_RCVINFO.
 * - 'notification' (n): decoded MSG_NOTIFICATIONs; 'decodeError' (SctpDecodeError) for anything that does not decode.
 * - 'connect' once a non-blocking connect completed (the iofd's connect notification, armed before register(),
 *   so both backends report it from readiness); 'close' (res) when the socket went away (0 EOF, -errno).
 * A one-to-many (seqpacket) socket routes per association: `association(id)` views get their own events.
 */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import { IoFd, sock, type RecvmsgInfo } from '@osmo/io';
import { MSG_EOR, MSG_NOTIFICATION, SCTP_ABORT, SCTP_EOF } from './constants.js';
import { SctpDecodeError, SctpTypeError } from './errors.js';
import { buildSndinfo, checkSendInfo, parseRcvinfo, sndFlags, type RcvInfo, type SendInfo } from './cmsg.js';
import { decodeNotification, type SctpNotification } from './notification.js';
import { peeloff, status, type SctpStatus } from './sockopt.js';
import type { SctpAddress } from './addr.js';

const debug = debuglog('osmo-sctp');
const EINVAL = 22, EBADF = 9, ECANCELED = 125, ENOTCONN = 107, SOL_SOCKET = 1, SO_LINGER = 13, SO_TYPE = 3, SOCK_SEQPACKET = 5;

export type SendCallback = (res: number) => void;

export interface SctpSocketOpts {
  name?: string;
  /** a connect is in progress: report its outcome as 'connect' / 'close' */
  connecting?: boolean;
  /** bytes per recvmsg (default 16384); longer messages arrive in parts and are reassembled */
  readSize?: number;
  /** reassembled messages longer than this are dropped with a decodeError (default 16 MiB) */
  maxMessageSize?: number;
  /**
   * one-to-one: on EOF (the peer shut the association down) close and emit 'close' (0) — the default; false emits
   * 'end' and leaves the socket to the application, which calls close() (upstream's osmo_stream_srv behaviour)
   */
  closeOnEof?: boolean;
}

/** One association of a one-to-many socket: its own 'message' / 'notification' events and send(). */
export class SctpAssociation extends EventEmitter {
  constructor(readonly socket: SctpSocket, readonly assocId: number, public outStreams: number, public inStreams: number) {
    super();
  }
  send(data: Buffer, info: SendInfo = {}, cb?: SendCallback): number {
    return this.socket.send(data, { ...info, assocId: this.assocId }, cb);
  }
}

export class SctpSocket extends EventEmitter {
  readonly kind: 'stream' | 'seqpacket';
  readonly name: string;
  /** one-to-one: streams the peer granted us (from SCTP_STATUS once connected); 0 while unknown */
  outStreams = 0;
  inStreams = 0;
  /** one-to-many: live associations by id */
  readonly associations = new Map<number, SctpAssociation>();
  maxMessageSize: number;
  #io: IoFd | null;
  #fd: number;
  #cbs: (SendCallback | null)[] = [];
  #cbHead = 0;
  #connecting: boolean;
  #closed = false;
  #ending = false;
  #parts: Buffer[] = [];
  #partsLen = 0;
  #partRcv: RcvInfo | null = null;
  #nparts: Buffer[] = [];
  #npartsLen = 0;
  #oversize = false;
  #peeled = false;
  readonly #closeOnEof: boolean;

  constructor(fd: number, kind: 'stream' | 'seqpacket', opts: SctpSocketOpts = {}) {
    super();
    this.kind = kind;
    this.name = opts.name ?? `sctp(${fd})`;
    this.maxMessageSize = opts.maxMessageSize ?? 16 * 1024 * 1024;
    this.#fd = fd;
    this.#connecting = !!opts.connecting;
    this.#closeOnEof = opts.closeOnEof ?? true;
    const io = IoFd.setup(fd, this.name, 'recvmsg_sendmsg', {
      recvmsgCb: (_io, res, msg, info) => this.#onRead(res, msg, info),
      sendmsgCb: (_io, res, msg) => this.#onWrite(res, msg),
    });
    this.#io = io;
    try {
      io.setCmsgSize(256);
      io.setAllocInfo(opts.readSize ?? 16384, 0);
      // before register(): the connect outcome comes from readiness on both backends
      if (this.#connecting) io.notifyConnected();
      io.register();
    } catch (e) {
      io.close();
      this.#io = null;
      throw e;
    }
    if (!this.#connecting && kind === 'stream') this.#learnStreams();
    // a peeled-off association is a one-to-one socket of one-to-many style (SOCK_SEQPACKET): shutdown() does
    // nothing there, closing it shuts the association down gracefully
    if (kind === 'stream') {
      try { this.#peeled = sock.getsockopt(fd, SOL_SOCKET, SO_TYPE) === SOCK_SEQPACKET; } catch { /* not a socket: register failed */ }
    }
  }

  get fd(): number { return this.#fd; }
  get closed(): boolean { return this.#closed; }
  get connecting(): boolean { return this.#connecting; }
  /** messages queued and not yet handed to the kernel */
  get txqueueLen(): number { return this.#io ? this.#io.txqueueLen : 0; }
  get iofd(): IoFd | null { return this.#io; }

  /**
   * Queue one message. Returns 0 (cb follows with bytes sent or -errno), or at once -errno: -EINVAL (empty message,
   * stream >= the association's out-streams), -ENOSPC (tx queue full), -EBADF (closed); cb is not called then.
   * Bad info types/ranges throw (programming errors).
   */
  send(data: Buffer, info?: SendInfo, cb?: SendCallback): number {
    checkSendInfo(info);
    if (!Buffer.isBuffer(data)) throw new SctpTypeError('ERR_INVALID_ARG_TYPE', 'data must be a Buffer');
    const io = this.#io;
    if (!io || this.#closed || this.#ending) return -EBADF;
    const stream = info?.stream ?? 0;
    const out = this.kind === 'stream' ? this.outStreams
      : (info?.assocId !== undefined ? this.associations.get(info.assocId)?.outStreams ?? 0 : 0);
    if (out > 0 && stream >= out) return -EINVAL;
    let flags = sndFlags(info);
    if (data.length === 0 && !(flags & (SCTP_EOF | SCTP_ABORT))) return -EINVAL;
    let eofAfter = false;
    if (this.kind === 'stream' && flags & (SCTP_EOF | SCTP_ABORT)) {
      // one-to-one sockets refuse these flags: shut down / abort through the socket instead
      if (flags & SCTP_ABORT) { this.abort(); return 0; }
      flags &= ~SCTP_EOF;
      eofAfter = true;
    }
    let endAssoc = -1;
    if (this.kind === 'seqpacket' && flags & SCTP_EOF) {
      // the kernel takes SCTP_EOF only on an empty message, which the iofd does not send: the data goes out
      // first, then the association is peeled off and shut down on its own socket (endAssociation)
      flags &= ~SCTP_EOF;
      endAssoc = info?.assocId ?? 0;
      if (data.length === 0) { this.endAssociation(endAssoc); return 0; }
    }
    const ctl = buildSndinfo(stream, flags, info?.ppid ?? 0, info?.context ?? 0, info?.assocId ?? 0, info?.ttlMs ?? 0);
    // SCTP_EOF / SCTP_ABORT carry no user data to the peer (ABORT: the reason); the kernel still wants some bytes
    const rc = io.sendmsg(data.length ? data : Buffer.alloc(1), { control: ctl });
    if (rc < 0) return rc;
    this.#cbs.push(endAssoc < 0 ? cb ?? null : (res) => { cb?.(res); this.endAssociation(endAssoc); });
    if (eofAfter) this.end();
    return 0;
  }

  /** Graceful shutdown once everything queued is out (one-to-one: shutdown(SHUT_WR); the peer sees SHUTDOWN). */
  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#maybeShutdown();
  }

  /**
   * One-to-many: shut an association down gracefully (what is queued still goes out). The kernel takes
   * SCTP_EOF only on an empty message, which the iofd does not send; a peeled-off socket is one-to-many style
   * too (shutdown() does nothing there), but closing it shuts its association down gracefully. So: peel off,
   * close. The association view emits 'close' (0).
   */
  endAssociation(assocId: number): void {
    const view = this.associations.get(assocId);
    let fd: number;
    try { fd = this.peeloff(assocId); } catch (e) { debug('%s: end of association %d: %s', this.name, assocId, (e as Error).message); return; }
    sock.close(fd);
    view?.emit('close', 0);
  }

  /** Abort: one-to-one via SO_LINGER 0 + close (the kernel sends ABORT); one-to-many: SCTP_ABORT to assocId. */
  abort(assocId?: number): void {
    if (this.#closed) return;
    if (this.kind === 'seqpacket' && assocId !== undefined) {
      const ctl = buildSndinfo(0, SCTP_ABORT, 0, 0, assocId, 0);
      this.#io?.sendmsg(Buffer.from('abort'), { control: ctl });
      this.#cbs.push(null);
      return;
    }
    const l = Buffer.alloc(8);
    l.writeInt32LE(1, 0);
    try { sock.setsockopt(this.#fd, SOL_SOCKET, SO_LINGER, l); } catch { /* closing anyway */ }
    this.close();
  }

  /** Close now: queued messages are dropped and their callbacks get -ECANCELED. No event follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const io = this.#io;
    this.#io = null;
    io?.close();
    this.#failPending(-ECANCELED);
  }

  status(assocId = 0): SctpStatus { return status(this.#fd, assocId); }

  /** One-to-many: move an association to its own one-to-one fd (wrap it with `new SctpSocket(fd, 'stream')`). */
  peeloff(assocId: number): number {
    const fd = peeloff(this.#fd, assocId);
    this.associations.delete(assocId);
    return fd;
  }

  localAddress(): SctpAddress | null {
    try { return sock.localAddress(this.#fd) as SctpAddress; } catch { return null; }
  }

  peerAddress(): SctpAddress | null {
    try { return sock.peerAddress(this.#fd) as SctpAddress | null; } catch { return null; }
  }

  ref(): this { this.#io?.ref(); return this; }
  unref(): this { this.#io?.unref(); return this; }

  // ---- internals ----

  #learnStreams(): void {
    try {
      const s = status(this.#fd, 0);
      this.outStreams = s.outStreams;
      this.inStreams = s.inStreams;
    } catch (e) {
      debug('%s: SCTP_STATUS: %s', this.name, (e as Error).message);
    }
  }

  #failPending(res: number): void {
    const cbs = this.#cbs.slice(this.#cbHead);
    this.#cbs = [];
    this.#cbHead = 0;
    if (cbs.some((c) => c)) process.nextTick(() => { for (const c of cbs) c?.(res); });
  }

  #maybeShutdown(): void {
    if (!this.#ending || this.#closed || this.#cbs.length - this.#cbHead > 0) return;
    if (this.#peeled) this.#gone(0);
    else if (this.kind === 'stream') sock.shutdown(this.#fd, 'write');
  }

  /** the socket is gone: close and tell (once) */
  #gone(res: number): void {
    if (this.#closed) return;
    const io = this.#io;
    this.#closed = true;
    this.#io = null;
    io?.close();
    this.#failPending(res === 0 ? -ENOTCONN : res);
    this.emit('close', res);
  }

  #onWrite(res: number, msg: Buffer | null): void {
    if (this.#closed) return;
    if (msg === null) {
      // connect notification: res 0 connected, -errno failed
      this.#connecting = false;
      if (res < 0) { this.#gone(res); return; }
      if (this.kind === 'stream') this.#learnStreams();
      this.emit('connect');
      return;
    }
    const cb = this.#cbs[this.#cbHead];
    this.#cbs[this.#cbHead++] = null;
    if (this.#cbHead === this.#cbs.length) { this.#cbs.length = 0; this.#cbHead = 0; }
    else if (this.#cbHead > 1024 && this.#cbHead * 2 > this.#cbs.length) { this.#cbs.splice(0, this.#cbHead); this.#cbHead = 0; }
    if (res < 0) debug('%s: send failed: %d', this.name, res);
    cb?.(res);
    if (this.#ending) this.#maybeShutdown();
  }

  #decodeError(e: unknown): void {
    if (!(e instanceof SctpDecodeError)) throw e;
    debug('%s: %s', this.name, e.message);
    this.emit('decodeError', e);
  }

  #onRead(res: number, msg: Buffer, info: RecvmsgInfo): void {
    if (this.#closed) return;
    if (res < 0) { this.#gone(res); return; }
    const notif = (info.flags & MSG_NOTIFICATION) !== 0;
    if (res === 0 && !notif) {
      if (this.kind === 'stream') {
        if (this.#closeOnEof) this.#gone(0);
        else this.emit('end'); // reads stop (the core reports EOF once); close() is the application's
        return;
      }
      return; // a one-to-many socket has no EOF
    }
    if (this.#connecting && !notif) {
      // the peer talked first: connected
      this.#connecting = false;
      this.#learnStreams();
      this.emit('connect');
      if (this.#closed) return;
    }
    if (notif) this.#onNotificationPart(msg, info.flags);
    else this.#onDataPart(msg, info);
  }

  #onDataPart(msg: Buffer, info: RecvmsgInfo): void {
    let rcv: RcvInfo | null;
    try {
      rcv = parseRcvinfo(info.control, info.flags);
    } catch (e) {
      rcv = null;
      this.#decodeError(e);
    }
    if (!this.#partRcv && rcv) this.#partRcv = rcv;
    if (!(info.flags & MSG_EOR)) {
      // partial delivery: more of this message follows
      if (this.#partsLen + msg.length > this.maxMessageSize) this.#oversize = true;
      if (!this.#oversize) { this.#parts.push(msg); this.#partsLen += msg.length; }
      return;
    }
    let data = msg;
    if (this.#parts.length) {
      this.#parts.push(msg);
      data = Buffer.concat(this.#parts, this.#partsLen + msg.length);
    }
    const first = this.#partRcv;
    const oversize = this.#oversize || data.length > this.maxMessageSize;
    this.#parts = []; this.#partsLen = 0; this.#partRcv = null; this.#oversize = false;
    if (oversize) {
      this.#decodeError(new SctpDecodeError('ERR_SCTP_TRUNCATED', `message longer than maxMessageSize ${this.maxMessageSize} dropped`, 0));
      return;
    }
    if (!first) {
      this.#decodeError(new SctpDecodeError('ERR_SCTP_CMSG_MALFORMED', 'message without SCTP_RCVINFO', 0));
      return;
    }
    if (this.kind === 'seqpacket') {
      const a = this.associations.get(first.assocId);
      if (a) a.emit('message', data, first);
    }
    this.emit('message', data, first);
  }

  #onNotificationPart(msg: Buffer, flags: number): void {
    if (!(flags & MSG_EOR)) { this.#nparts.push(msg); this.#npartsLen += msg.length; return; }
    let data = msg;
    if (this.#nparts.length) { this.#nparts.push(msg); data = Buffer.concat(this.#nparts, this.#npartsLen + msg.length); }
    this.#nparts = []; this.#npartsLen = 0;
    let n: SctpNotification;
    try {
      if (flags & 0x8 /* MSG_CTRUNC */ && data.length === 0)
        throw new SctpDecodeError('ERR_SCTP_TRUNCATED', 'empty notification', 0);
      n = decodeNotification(data);
    } catch (e) {
      this.#decodeError(e);
      return;
    }
    this.#route(n);
  }

  #route(n: SctpNotification): void {
    if (this.kind === 'seqpacket' && n.type === 'ASSOC_CHANGE') {
      if (n.state === 'COMM_UP' || n.state === 'RESTART') {
        let a = this.associations.get(n.assocId);
        if (!a) { a = new SctpAssociation(this, n.assocId, n.outStreams, n.inStreams); this.associations.set(n.assocId, a); }
        else { a.outStreams = n.outStreams; a.inStreams = n.inStreams; }
        this.emit('association', a);
      }
    }
    if (this.kind === 'stream' && n.type === 'ASSOC_CHANGE' && n.state === 'COMM_UP') {
      this.outStreams = n.outStreams; this.inStreams = n.inStreams;
    }
    const a = this.kind === 'seqpacket' && 'assocId' in n ? this.associations.get(n.assocId) : undefined;
    a?.emit('notification', n);
    this.emit('notification', n);
    if (a && n.type === 'ASSOC_CHANGE' && (n.state === 'COMM_LOST' || n.state === 'SHUTDOWN_COMP' || n.state === 'CANT_STR_ASSOC'))
      this.associations.delete(n.assocId);
  }
}
