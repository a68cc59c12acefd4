/**
 * IoFd: the osmo_io file descriptor (DESIGN.md §3). The core does the reads and writes; completions come
 * back in one batch per loop iteration (dispatch below) and writes go to the core in one batch per tick
 * (flushWrites), so neither direction crosses into native code once per message.
 */
import { debuglog } from 'node:util';
import {
  backend, native, uringBatchWaitUs, uringEntries, uringImmediate, uringNoDefer, uringNoMultishot, uringReadSqes,
} from './native.js';
import { errno, errnoName } from './errno.js';
import { OsmoIoError, OsmoIoTypeError, checkBuffer, checkInt } from './errors.js';
import { checkSockAddr, decodeSockaddr } from './sockaddr.js';
import { kNativeSegmentation, type SegmentationFn } from './segmentation.js';
import type { IoOps, Mode, RecvmsgInfo, SendmsgOptions, SockAddr } from './types.js';

const log = debuglog('osmo-io');

const MODES: Record<Mode, number> = { read_write: 0, recvfrom_sendto: 1, recvmsg_sendmsg: 2 };
const MODE_ACCEPT = 3;
const READ_CB = ['readCb', 'recvfromCb', 'recvmsgCb'] as const;
const OTHER_CBS: Record<number, readonly (keyof IoOps)[]> = {
  0: ['recvfromCb', 'sendtoCb', 'recvmsgCb', 'sendmsgCb'],
  1: ['readCb', 'writeCb', 'segmentationCb', 'recvmsgCb', 'sendmsgCb'],
  2: ['readCb', 'writeCb', 'segmentationCb', 'recvfromCb', 'sendtoCb'],
};

// event records shared with the addon (see src/addon/addon.h)
const EV_SIZE = 12, EV_CAPACITY = 8192;
const EVT_READ = 1, EVT_WRITE = 2, EVT_CONNECTED = 3;
const EMPTY = Buffer.alloc(0);

/** Accept-mode handler used by Acceptor. */
export type AcceptHandler = (res: number, peer: SockAddr | null) => void;

/**
 * The state shared with the addon lives once per JS realm (main thread, each worker), even when a loader
 * evaluates this module twice: the addon has one dispatcher per environment.
 */
interface CoreState {
  events: Int32Array;
  live: (IoFd | undefined)[];     // registered iofds: their I/O keeps them alive
  weak: (WeakRef<IoFd> | undefined)[]; // unregistered ones: events still reach them, GC may take them

  initialised: boolean;
  nextId: number;
  // writes, batched per tick
  subSlots: Int32Array;
  subFlags: Int32Array;
  subToks: Int32Array;
  subRcs: Int32Array;
  subBufs: Buffer[];
  subDests: (SockAddr | null)[];
  subCtls: (Buffer | null)[];
  subOwners: (IoFd | undefined)[];
  subEpochs: number[];
  subN: number;
  subHasDest: boolean;
  subHasCtl: boolean;
  flushScheduled: boolean;
}
const kCore = Symbol.for('osmo.io.core.v1');
const g = globalThis as unknown as Record<symbol, CoreState | undefined>;
const core: CoreState = g[kCore] ??= {
  events: new Int32Array(EV_CAPACITY * EV_SIZE), live: [], weak: [], initialised: false, nextId: 1,
  subSlots: new Int32Array(256), subFlags: new Int32Array(256), subToks: new Int32Array(256),
  subRcs: new Int32Array(256), subBufs: [], subDests: [], subCtls: [],
  subOwners: [], subEpochs: [], subN: 0, subHasDest: false, subHasCtl: false, flushScheduled: false,
};
const events = core.events;
const live = core.live;
const weak = core.weak;

function ensureInit(): void {
  if (core.initialised) return;
  native.init(dispatch, events, backend, uringEntries(), uringImmediate(), uringNoDefer(),
              backend === 'io_uring' ? uringReadSqes() : 0, backend === 'io_uring' ? uringBatchWaitUs() : 0,
              uringNoMultishot());
  core.initialised = true;
  log('backend %s', backend);
}

/** One call per loop iteration with every completion of that iteration (several when there are more). */
function dispatch(n: number, slab: Buffer, fatal?: { errno: number; syscall: string }): void {
  if (fatal) {
    const e = new OsmoIoError('ERR_OSMO_IO_BACKEND_FAILED',
      `the ${backend} backend failed for good: ${fatal.syscall}: ${errnoName(fatal.errno)}; no more I/O is possible`);
    (e as OsmoIoError & { errno: number }).errno = fatal.errno;
    throw e;
  }
  let failure: unknown;
  let failed = false;
  for (let i = 0; i < n; i++) {
    const b = i * EV_SIZE;
    const io = live[events[b]] ?? weak[events[b]]?.deref();
    if (io === undefined || io._id !== events[b + 1]) continue;
    try {
      io._event(b, slab);
    } catch (e) {
      if (!failed) { failed = true; failure = e; }
    }
  }
  if (failed) throw failure;
}

function queueWrite(io: IoFd, buf: Buffer, dest: SockAddr | null, flags: number, ctl: Buffer | null, token: number): void {
  const c = core;
  if (c.subN === c.subSlots.length) {
    const s = new Int32Array(c.subN * 2); s.set(c.subSlots); c.subSlots = s;
    const f = new Int32Array(c.subN * 2); f.set(c.subFlags); c.subFlags = f;
    const t = new Int32Array(c.subN * 2); t.set(c.subToks); c.subToks = t;
    c.subRcs = new Int32Array(c.subN * 2);
  }
  const n = c.subN++;
  c.subSlots[n] = io._slot;
  c.subFlags[n] = flags;
  c.subToks[n] = token;
  c.subBufs[n] = buf;
  c.subDests[n] = dest;
  c.subCtls[n] = ctl;
  c.subOwners[n] = io;
  c.subEpochs[n] = io._epoch;
  if (dest) c.subHasDest = true;
  if (ctl) c.subHasCtl = true;
  if (!c.flushScheduled) {
    c.flushScheduled = true;
    queueMicrotask(flushWrites);
  }
}

/** Hand the tick's writes to the core in one call. */
function flushWrites(): void {
  const c = core;
  c.flushScheduled = false;
  let k = 0;
  for (let i = 0; i < c.subN; i++) {
    // drop what was cleared or closed since it was written
    if (c.subOwners[i]!._epoch !== c.subEpochs[i]) continue;
    if (k !== i) {
      c.subSlots[k] = c.subSlots[i]; c.subFlags[k] = c.subFlags[i]; c.subBufs[k] = c.subBufs[i];
      c.subDests[k] = c.subDests[i]; c.subCtls[k] = c.subCtls[i]; c.subOwners[k] = c.subOwners[i];
      c.subToks[k] = c.subToks[i];
    }
    k++;
  }
  const refused = k ? native.submit(c.subSlots, c.subBufs, k, c.subHasDest ? c.subDests : null, c.subFlags,
                                    c.subHasCtl ? c.subCtls : null, c.subToks, c.subRcs) : 0;
  // the core refused these (e.g. a destination it cannot send to): their completion is the error, now
  const failures: [IoFd, number, number][] = [];
  if (refused) for (let i = 0; i < k; i++) if (c.subRcs[i] < 0) failures.push([c.subOwners[i]!, c.subToks[i], c.subRcs[i]]);
  for (let i = 0; i < c.subN; i++) {
    c.subBufs[i] = EMPTY; c.subOwners[i] = undefined; c.subDests[i] = null; c.subCtls[i] = null;
  }
  c.subN = 0;
  c.subHasDest = c.subHasCtl = false;
  for (const [io, token, rc] of failures) io._refused(token, rc);
}

/** An IoFd that was never closed is closed when it is collected, with a warning (like fs.FileHandle). */
const registry = new FinalizationRegistry<{ slot: number; name: string; fd: number }>(({ slot, name, fd }) => {
  if (native.free(slot))
    process.emitWarning(`IoFd "${name}" (fd ${fd}) was not closed; closing it on garbage collection`,
                        { code: 'OSMO_IO_UNCLOSED_IOFD' });
});

function checkMode(mode: unknown): number {
  if (typeof mode !== 'string' || !Object.hasOwn(MODES, mode))
    throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `invalid mode ${String(mode)}: read_write, recvfrom_sendto or recvmsg_sendmsg`);
  return MODES[mode as Mode];
}

function checkOps(mode: number, ops: unknown): IoOps {
  if (ops === undefined || ops === null) return {};
  if (typeof ops !== 'object') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'The "ops" argument must be an object');
  const o = ops as IoOps;
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && typeof v !== 'function')
      throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', `ops.${k} must be a function`);
  if (mode !== MODE_ACCEPT)
    for (const k of OTHER_CBS[mode])
      if (o[k]) throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `ops.${k} does not belong to this iofd's mode`);
  return o;
}

function wrongMode(what: string): never {
  throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `${what} is not available in this iofd's mode`);
}

export class IoFd {
  /** @internal */ _slot: number;
  /** @internal */ _id: number;
  /** @internal */ _epoch = 0;
  private _mode: number;
  private _ops: IoOps;
  private _fd: number;
  private _registered = false;
  private _closed = false;
  private _readOn = false;
  private _accept: AcceptHandler | null = null;
  // tx FIFO mirrored from the core's queue: the Buffers for the write callbacks, named by token
  private _tx: (Buffer | null)[] = [];
  private _txDest: (SockAddr | null)[] = [];
  private _txTok: number[] = [];
  private _txHead = 0;
  private _txSeq = 0;
  private _gcInfo: { slot: number; name: string; fd: number };
  private _stash: [number, Buffer, SockAddr | null, RecvmsgInfo | null][] = [];
  private _stashScheduled = false;
  name: string;
  data: unknown = undefined;
  txqueueMaxLength = 1024;

  private constructor(fd: number, name: string, mode: number, ops: IoOps) {
    ensureInit();
    this._id = core.nextId++;
    this._slot = native.setup(mode, fd, this._id);
    this._mode = mode;
    this._ops = ops;
    this._fd = fd;
    this.name = name;
    this._gcInfo = { slot: this._slot, name, fd };
    registry.register(this, this._gcInfo, this);
    live[this._slot] = undefined;
    weak[this._slot] = new WeakRef(this);
    this._applyOps();
  }

  /** Create an iofd for fd (or -1, to be given at register()). */
  static setup(fd: number, name: string, mode: Mode, ops: IoOps): IoFd {
    checkInt('fd', fd, -1, 0x7fffffff);
    if (typeof name !== 'string') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'The "name" argument must be a string');
    const m = checkMode(mode);
    return new IoFd(fd, name, m, checkOps(m, ops));
  }

  /** @internal listening sockets (Acceptor) */
  static _setupAccept(fd: number, name: string, handler: AcceptHandler): IoFd {
    const io = new IoFd(fd, name, MODE_ACCEPT, {});
    io._accept = handler;
    io._applyOps();
    return io;
  }

  get fd(): number { return this._fd; }
  get txqueueLen(): number { return this._tx.length - this._txHead; }
  get mode(): Mode { return (Object.keys(MODES) as Mode[])[this._mode] ?? 'read_write'; }
  get registered(): boolean { return this._registered; }

  register(fd?: number): void {
    if (fd !== undefined) checkInt('fd', fd, -1, 0x7fffffff);
    const rc = native.register(this._slot, fd ?? -1);
    if (rc < 0) throw ioError(rc, 'register', this.name);
    this._fd = native.getFd(this._slot);
    this._gcInfo.fd = this._fd;
    this._registered = true;
    this._closed = false;
    live[this._slot] = this;
    weak[this._slot] ??= new WeakRef(this);
    if (this._stash.length) this._scheduleStash();
  }

  unregister(): void {
    native.unregister(this._slot);
    this._registered = false;
    live[this._slot] = undefined; // the user's reference keeps it now (weak[] still routes late events)
  }

  /** Close the fd. No callback of this iofd fires after close() returns; it may be registered again. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._registered = false;
    this._id = core.nextId++;
    native.close(this._slot, this._id);
    this._fd = -1;
    this._dropTx();
    this._stash.length = 0;
    live[this._slot] = undefined;
    weak[this._slot] = undefined;
  }

  write(msg: Buffer): number {
    if (this._mode !== 0) wrongMode('write()');
    return this._queue(checkBuffer('msg', msg), null, 0, null);
  }

  sendto(msg: Buffer, dest: SockAddr | null, flags = 0): number {
    if (this._mode !== 1) wrongMode('sendto()');
    checkBuffer('msg', msg);
    const d = dest === null || dest === undefined ? null : checkSockAddr('dest', dest);
    return this._queue(msg, d, checkInt('flags', flags, 0, 0x7fffffff), null);
  }

  sendmsg(msg: Buffer, opts: SendmsgOptions = {}): number {
    if (this._mode !== 2) wrongMode('sendmsg()');
    checkBuffer('msg', msg);
    const d = opts.dest === undefined || opts.dest === null ? null : checkSockAddr('dest', opts.dest);
    const ctl = opts.control === undefined || opts.control === null ? null : checkBuffer('control', opts.control);
    return this._queue(msg, d, checkInt('flags', opts.flags ?? 0, 0, 0x7fffffff), ctl);
  }

  notifyConnected(): void {
    if (this._mode !== 0 && this._mode !== 2) wrongMode('notifyConnected()');
    native.notifyConnected(this._slot);
  }

  setIoOps(ops: IoOps): void {
    this._ops = checkOps(this._mode, ops);
    this._applyOps();
  }

  getIoOps(): IoOps { return this._ops; }

  setAllocInfo(size: number, headroom: number): void {
    checkInt('size', size, 1, 65535);
    checkInt('headroom', headroom, 0, 65535);
    if (native.setAllocInfo(this._slot, size, headroom) < 0)
      throw new RangeError(`size + headroom must not exceed 65535 (got ${size} + ${headroom})`);
  }

  setIoBuffers(op: 'read' | 'write', n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return native.setIoBuffers(this._slot, op === 'read' ? 0 : op === 'write' ? 1 : -1, n);
  }

  /**
   * io_uring: reads kept armed (1..32 in read_write mode, 1..256 in the datagram modes); -EINVAL on poll. A stream
   * socket keeps one receive armed whatever n says: several readers of one byte stream could reorder it.
   */
  setSqes(op: 'read', n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return native.setSqes(this._slot, op === 'read' ? 0 : -1, n);
  }

  setCmsgSize(n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return native.setCmsgSize(this._slot, n);
  }

  /** Drop every queued message without calling writeCb (upstream osmo_iofd_txqueue_clear). */
  txqueueClear(): void {
    this._dropTx();
    native.txqueueClear(this._slot);
  }

  ref(): this { native.setRef(this._slot, true); return this; }
  unref(): this { native.setRef(this._slot, false); return this; }

  // ---- internals ------------------------------------------------------------------------------

  private _applyOps(): void {
    const o = this._ops;
    const readOn = this._mode === MODE_ACCEPT ? this._accept !== null : !!o[READ_CB[this._mode]];
    if (readOn !== this._readOn) {
      this._readOn = readOn;
      native.setReadEnabled(this._slot, readOn);
    }
    if (this._mode === 0) {
      const seg = o.segmentationCb as SegmentationFn | undefined;
      const spec = seg?.[kNativeSegmentation];
      if (spec) native.setSegmentation(this._slot, 1, null, spec.headerLen, spec.lengthOffset, spec.lengthBytes,
                                       spec.bigEndian, spec.lengthAdjust, spec.maxLength);
      else native.setSegmentation(this._slot, seg ? 2 : 0, seg ?? null);
    }
    if (this._readOn && this._stash.length && this._registered) this._scheduleStash();
  }

  private _queue(msg: Buffer, dest: SockAddr | null, flags: number, ctl: Buffer | null): number {
    if (msg.length === 0) return -errno.EINVAL;
    if (this._closed) return -errno.EBADF;
    if (this.txqueueLen >= this.txqueueMaxLength) return -errno.ENOSPC;
    const token = this._txSeq = (this._txSeq + 1) | 0;
    this._tx.push(msg);
    this._txDest.push(dest);
    this._txTok.push(token);
    queueWrite(this, msg, dest, flags, ctl, token);
    return 0;
  }

  private _dropTx(): void {
    this._epoch++;
    this._tx.length = 0;
    this._txDest.length = 0;
    this._txTok.length = 0;
    this._txHead = 0;
  }

  /** Index of the queued message with this token (the head, unless the core refused one before it). */
  private _txFind(token: number): number {
    if (this._txTok[this._txHead] === token) return this._txHead;
    return this._txTok.indexOf(token, this._txHead);
  }

  private _txRemove(i: number): void {
    if (i !== this._txHead) {
      this._tx.splice(i, 1); this._txDest.splice(i, 1); this._txTok.splice(i, 1);
      return;
    }
    this._tx[i] = null;
    this._txDest[i] = null;
    if (++this._txHead === this._tx.length) {
      this._tx.length = 0;
      this._txDest.length = 0;
      this._txTok.length = 0;
      this._txHead = 0;
    } else if (this._txHead >= 1024 && this._txHead * 2 >= this._tx.length) {
      this._tx.splice(0, this._txHead);
      this._txDest.splice(0, this._txHead);
      this._txTok.splice(0, this._txHead);
      this._txHead = 0;
    }
  }

  private _writeDone(res: number, msg: Buffer, dest: SockAddr | null): void {
    const o = this._ops;
    if (this._mode === 0) o.writeCb?.(this, res, msg);
    else if (this._mode === 1) o.sendtoCb?.(this, res, msg, dest);
    else o.sendmsgCb?.(this, res, msg);
  }

  /** @internal the core refused a queued message: it completes with that error (no other completion follows) */
  _refused(token: number, rc: number): void {
    const i = this._txFind(token);
    if (i < 0 || this._closed) return;
    const msg = this._tx[i] ?? EMPTY, dest = this._txDest[i] ?? null;
    this._txRemove(i);
    this._writeDone(rc, msg, dest);
  }

  /** @internal one event record of the current batch */
  _event(b: number, slab: Buffer): void {
    const type = events[b + 2], res = events[b + 3];
    if (type === EVT_READ) {
      const off = events[b + 4], len = events[b + 5];
      if (this._mode === MODE_ACCEPT) {
        this._accept?.(res, decodeSockaddr(slab, events[b + 6], events[b + 7]));
        return;
      }
      const msg = len > 0 ? slab.subarray(off, off + len) : Buffer.alloc(0);
      let from: SockAddr | null = null;
      let info: RecvmsgInfo | null = null;
      if (this._mode === 1) from = decodeSockaddr(slab, events[b + 6], events[b + 7]);
      else if (this._mode === 2) {
        const coff = events[b + 8];
        info = {
          from: decodeSockaddr(slab, events[b + 6], events[b + 7]),
          control: coff >= 0 ? slab.subarray(coff, coff + events[b + 9]) : Buffer.alloc(0),
          flags: events[b + 10],
        };
      }
      if (!this._registered || !this._readOn || this._stash.length) {
        // unregistered or disabled by an earlier callback of this batch: keep it, in order, for later
        this._stash.push([res, msg, from, info]);
        return;
      }
      this._deliverRead(res, msg, from, info);
    } else if (type === EVT_WRITE) {
      const i = this._txFind(events[b + 11]);
      if (i < 0) return; // cleared since
      const msg = this._tx[i] ?? EMPTY;
      const dest = this._txDest[i] ?? null;
      if (events[b + 10] & 1) this._txRemove(i);
      this._writeDone(res, msg, dest);
    } else if (type === EVT_CONNECTED) {
      const o = this._ops;
      // res 0: connected; -errno: the connect failed
      if (this._mode === 0) o.writeCb?.(this, res, null);
      else if (this._mode === 2) o.sendmsgCb?.(this, res, null);
    }
  }

  private _deliverRead(res: number, msg: Buffer, from: SockAddr | null, info: RecvmsgInfo | null): void {
    const o = this._ops;
    if (this._mode === 0) o.readCb?.(this, res, msg);
    else if (this._mode === 1) o.recvfromCb?.(this, res, msg, from);
    else if (info) o.recvmsgCb?.(this, res, msg, info);
  }

  private _scheduleStash(): void {
    if (this._stashScheduled) return;
    this._stashScheduled = true;
    const id = this._id;
    setImmediate(() => {
      this._stashScheduled = false;
      while (this._stash.length && this._id === id && this._registered && this._readOn) {
        const [res, msg, from, info] = this._stash.shift()!;
        this._deliverRead(res, msg, from, info);
      }
    });
  }
}

export function ioError(rc: number, syscall: string, name: string): OsmoIoError {
  const e = new OsmoIoError(errnoName(rc), `iofd(${name}) ${syscall}: ${errnoName(rc)}`);
  (e as OsmoIoError & { errno: number }).errno = rc;
  return e;
}

export function getBackend(): 'poll' | 'io_uring' {
  return backend;
}

/** Counters of the core in this thread (system calls it made itself, reads, writes, wakeups). */
export function stats(): Record<string, number> {
  ensureInit();
  return native.stats();
}
