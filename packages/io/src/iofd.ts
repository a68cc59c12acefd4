/**
 * IoFd: the osmo_io file descriptor (DESIGN.md §3). The core does the reads and writes and owns the tx queue (its
 * limit, its length, its unsent bytes) and the fd generation; completions come back in one batch per loop iteration
 * (dispatch below) and writes go to the core in one batch per tick (flushWrites), so neither direction crosses into
 * native code once per message. JS reads the core's per-fd facts from a shared array (fdState) without a call.
 */
import { debuglog } from 'node:util';
import {
  backend, native, uringBatchWaitUs, uringCoalesceUs, uringEntries, uringImmediate, uringNoDefer, uringNoMultishot, uringReadSqes,
  type Layout, type NativeBinding,
} from './native.js';
import { errno, errnoName } from './errno.js';
import { OsmoIoRangeError, OsmoIoSystemError, OsmoIoTypeError, checkBuffer, checkInt } from './errors.js';
import { checkSockAddr, decodeSockaddr } from './sockaddr.js';
import { kNativeSegmentation, type SegmentationFn } from './segmentation.js';
import type { IoOps, Mode, RecvmsgInfo, SendmsgOptions, SockAddr } from './types.js';

const log = debuglog('osmo-io');

const MODE_NAMES: readonly Mode[] = ['read_write', 'recvfrom_sendto', 'recvmsg_sendmsg'];
const READ_CB: Record<Mode, keyof IoOps> = { read_write: 'readCb', recvfrom_sendto: 'recvfromCb', recvmsg_sendmsg: 'recvmsgCb' };
const OTHER_CBS: Record<Mode, readonly (keyof IoOps)[]> = {
  read_write: ['recvfromCb', 'sendtoCb', 'recvmsgCb', 'sendmsgCb'],
  recvfrom_sendto: ['readCb', 'writeCb', 'segmentationCb', 'recvmsgCb', 'sendmsgCb'],
  recvmsg_sendmsg: ['readCb', 'writeCb', 'segmentationCb', 'recvfromCb', 'sendtoCb'],
};
const EMPTY = Buffer.alloc(0);

/*
 * A write's token names its message: the index of the message's slot in the iofd's table (low bits) and the
 * table's era (high bits), bumped when the table is dropped (txqueueClear, close), so a completion of a dropped
 * message that was already in the batch can never hand back the Buffer of a later one.
 */
const TOKEN_IDX_BITS = 22;
const TOKEN_IDX_MASK = (1 << TOKEN_IDX_BITS) - 1;
const TOKEN_ERA_MASK = (1 << (32 - TOKEN_IDX_BITS)) - 1;
/** the most messages one iofd may queue (a slot index must fit the token) */
const TXQUEUE_MAX = TOKEN_IDX_MASK;

/** Accept-mode handler used by Acceptor. */
export type AcceptHandler = (res: number, peer: SockAddr | null) => void;

/*
 * The seam's numbers, read once from the addon's `layout` (addon.h defines them) when the first iofd is made: the
 * addon is loaded on first I/O use, not on import.
 */
let N: NativeBinding;
let L: Layout;
let EV_SIZE = 0, EV_SLOT = 0, EV_GEN = 0, EV_TYPE = 0, EV_RES = 0, EV_OFF = 0, EV_LEN = 0, EV_AOFF = 0, EV_ALEN = 0;
let EV_COFF = 0, EV_CLEN = 0, EV_FLAGS = 0, EV_TOKEN = 0, EVT_READ = 0, EVT_WRITE = 0, EVT_CONNECTED = 0;
let FS_SIZE = 0, FS_GEN = 0, FS_TXLEN = 0, FS_TXBYTES = 0, FS_TXMAX = 0, FS_REGISTERED = 0, FS_HELD = 0;
let MODE_RW = 0, MODE_RECVFROM = 0, MODE_RECVMSG = 0, MODE_ACCEPT = 0;

/**
 * The state shared with the addon lives once per JS realm (main thread, each worker), even when a loader
 * evaluates this module twice: the addon has one dispatcher per environment.
 */
interface CoreState {
  events: Int32Array;
  /** the core's per-fd facts (FS_* per slot), written by the glue; replaced when it grows */
  fdst: Int32Array;
  live: (IoFd | undefined)[];     // registered iofds: their I/O keeps them alive
  weak: (WeakRef<IoFd> | undefined)[]; // unregistered ones: events still reach them, GC may take them
  initialised: boolean;
  // writes, batched per tick
  subSlots: Int32Array;
  subFlags: Int32Array;
  subToks: Int32Array;
  subRcs: Int32Array;
  subBufs: Buffer[];
  subDests: (SockAddr | null)[];
  subCtls: (Buffer | null)[];
  subOwners: (IoFd | undefined)[]; // undefined: dropped (txqueueClear / close) before the flush
  subN: number;
  subHasDest: boolean;
  subHasCtl: boolean;
  flushScheduled: boolean;
}
const kCore = Symbol.for('osmo.io.core.v2');
const g = globalThis as unknown as Record<symbol, CoreState | undefined>;
const core: CoreState = g[kCore] ??= {
  events: new Int32Array(0), fdst: new Int32Array(0), live: [], weak: [], initialised: false,
  subSlots: new Int32Array(256), subFlags: new Int32Array(256), subToks: new Int32Array(256),
  subRcs: new Int32Array(256), subBufs: [], subDests: [], subCtls: [],
  subOwners: [], subN: 0, subHasDest: false, subHasCtl: false, flushScheduled: false,
};
const live = core.live;
const weak = core.weak;

/** Load the addon and start the core of this realm (first I/O use). */
function ensureInit(): void {
  if (N !== undefined) return;
  const n = native();
  L = n.layout;
  ({ EV_SIZE, EV_SLOT, EV_GEN, EV_TYPE, EV_RES, EV_OFF, EV_LEN, EV_AOFF, EV_ALEN, EV_COFF, EV_CLEN, EV_FLAGS, EV_TOKEN,
     EVT_READ, EVT_WRITE, EVT_CONNECTED, FS_SIZE, FS_GEN, FS_TXLEN, FS_TXBYTES, FS_TXMAX, FS_REGISTERED, FS_HELD } = L);
  MODE_RW = L.MODE_READ_WRITE; MODE_RECVFROM = L.MODE_RECVFROM_SENDTO; MODE_RECVMSG = L.MODE_RECVMSG_SENDMSG;
  MODE_ACCEPT = L.MODE_ACCEPT;
  if (!core.initialised) {
    const b = backend();
    core.events = new Int32Array(L.EV_CAPACITY * EV_SIZE);
    n.init(dispatch, core.events, b, uringEntries(), uringImmediate(), uringNoDefer(),
           b === 'io_uring' ? uringReadSqes() : 0, b === 'io_uring' ? uringBatchWaitUs() : 0, uringNoMultishot(),
           b === 'io_uring' ? uringCoalesceUs() : 0);
    core.fdst = n.fdState();
    core.initialised = true;
    log('backend %s', b);
  }
  N = n;
}

/** One call per loop iteration with every completion of that iteration (several when there are more). */
function dispatch(n: number, slab: Buffer, fatal?: { errno: number; syscall: string }): void {
  if (fatal) {
    throw new OsmoIoSystemError('ERR_OSMO_IO_BACKEND_FAILED', fatal.errno, fatal.syscall,
      `the ${backend()} backend failed for good: ${fatal.syscall}: ${errnoName(fatal.errno)}; no more I/O is possible`);
  }
  const events = core.events;
  let failure: unknown;
  let failed = false;
  for (let i = 0; i < n; i++) {
    const b = i * EV_SIZE;
    const slot = events[b + EV_SLOT];
    const io = live[slot] ?? weak[slot]?.deref();
    // the core's fd generation moved on (closed since, maybe registered again): the event is of an earlier fd
    if (io === undefined || events[b + EV_GEN] !== core.fdst[slot * FS_SIZE + FS_GEN]) continue;
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
  if (dest) c.subHasDest = true;
  if (ctl) c.subHasCtl = true;
  if (!c.flushScheduled) {
    c.flushScheduled = true;
    queueMicrotask(flushWrites);
  }
}

/** Forget io's writes of this tick that the core has not seen yet (txqueueClear / close). */
function dropQueued(io: IoFd): void {
  const c = core;
  for (let i = 0; i < c.subN; i++) if (c.subOwners[i] === io) c.subOwners[i] = undefined;
}

/** Hand the tick's writes to the core in one call. */
function flushWrites(): void {
  const c = core;
  c.flushScheduled = false;
  let k = 0;
  for (let i = 0; i < c.subN; i++) {
    const owner = c.subOwners[i];
    if (owner === undefined) continue; // dropped since it was written
    owner._pendN = 0;
    owner._pendBytes = 0;
    if (k !== i) {
      c.subSlots[k] = c.subSlots[i]; c.subFlags[k] = c.subFlags[i]; c.subBufs[k] = c.subBufs[i];
      c.subDests[k] = c.subDests[i]; c.subCtls[k] = c.subCtls[i]; c.subOwners[k] = owner;
      c.subToks[k] = c.subToks[i];
    }
    k++;
  }
  const refused = k ? N.submit(c.subSlots, c.subBufs, k, c.subHasDest ? c.subDests : null, c.subFlags,
                               c.subHasCtl ? c.subCtls : null, c.subToks, c.subRcs) : 0;
  // the core refused these (its queue limit, a destination it cannot send to): their completion is the error, now
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
  if (N.free(slot))
    process.emitWarning(`IoFd "${name}" (fd ${fd}) was not closed; closing it on garbage collection`,
                        { code: 'OSMO_IO_UNCLOSED_IOFD' });
});

function checkMode(mode: unknown): Mode {
  if (typeof mode !== 'string' || !(MODE_NAMES as readonly string[]).includes(mode))
    throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `invalid mode ${String(mode)}: read_write, recvfrom_sendto or recvmsg_sendmsg`);
  return mode as Mode;
}

function checkOps(mode: Mode | null, ops: unknown): IoOps {
  if (ops === undefined || ops === null) return {};
  if (typeof ops !== 'object') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'The "ops" argument must be an object');
  const o = ops as IoOps;
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && typeof v !== 'function')
      throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', `ops.${k} must be a function`);
  if (mode !== null)
    for (const k of OTHER_CBS[mode])
      if (o[k]) throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `ops.${k} does not belong to this iofd's mode`);
  return o;
}

function wrongMode(what: string): never {
  throw new OsmoIoTypeError('ERR_OSMO_IO_MODE', `${what} is not available in this iofd's mode`);
}

export class IoFd {
  /** @internal */ _slot: number;
  /** @internal messages / bytes of this tick's batch, not handed to the core yet (flushWrites zeroes them) */
  _pendN = 0;
  /** @internal */ _pendBytes = 0;
  private _mode: number;
  private _ops: IoOps;
  private _fd: number;
  /** close() was called and register() not since: write() answers -EBADF (the core's F_CLOSED is also set on a
   * fresh iofd, which may queue before it is registered) */
  private _closed = false;
  private _readOn = false;
  private _accept: AcceptHandler | null = null;
  // the Buffers of the queued messages, for their write callbacks: a slot table keyed by token (not a queue: the
  // core's queue is the queue)
  private _txMsg: (Buffer | null)[] = [];
  private _txDst: (SockAddr | null)[] = [];
  private _txFree: number[] = [];
  private _txEra = 0;
  private _gcInfo: { slot: number; name: string; fd: number };
  name: string;
  data: unknown = undefined;

  private constructor(fd: number, name: string, mode: number, ops: IoOps) {
    this._slot = N.setup(mode, fd);
    // the glue grew the state array for this slot: read the new one
    if ((this._slot + 1) * FS_SIZE > core.fdst.length) core.fdst = N.fdState();
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
    const o = checkOps(m, ops);
    ensureInit();
    return new IoFd(fd, name, L[`MODE_${m.toUpperCase()}` as 'MODE_READ_WRITE'], o);
  }

  /** @internal listening sockets (Acceptor) */
  static _setupAccept(fd: number, name: string, handler: AcceptHandler): IoFd {
    ensureInit();
    const io = new IoFd(fd, name, MODE_ACCEPT, {});
    io._accept = handler;
    io._applyOps();
    return io;
  }

  get fd(): number { return this._fd; }
  /**
   * Messages written and not handed back yet: a message counts until its writeCb runs (as upstream, where the
   * queue entry goes right before its callback). The core's own count drops at completion, which reaches JS with the
   * batch after it, so it would run ahead of the callbacks; the messages whose Buffers wait for their callback
   * are the exact figure (cleared and closed ones are gone from both).
   */
  get txqueueLen(): number { return this._txMsg.length - this._txFree.length; }
  /** Bytes of the queued messages not written yet (partly written ones count what is left). */
  get txqueueBytes(): number { return core.fdst[this._slot * FS_SIZE + FS_TXBYTES] + this._pendBytes; }
  /** Most messages the core queues (default 1024); write() beyond it answers -ENOSPC. */
  get txqueueMaxLength(): number { return core.fdst[this._slot * FS_SIZE + FS_TXMAX]; }
  set txqueueMaxLength(n: number) {
    N.setTxqueueMax(this._slot, checkInt('txqueueMaxLength', n, 0, TXQUEUE_MAX));
  }
  get mode(): Mode { return MODE_NAMES[this._mode] ?? 'read_write'; }
  get registered(): boolean { return core.fdst[this._slot * FS_SIZE + FS_REGISTERED] !== 0; }

  register(fd?: number): void {
    if (fd !== undefined) checkInt('fd', fd, -1, 0x7fffffff);
    const rc = N.register(this._slot, fd ?? -1);
    if (rc < 0) throw ioError(rc, 'register', this.name);
    this._fd = N.getFd(this._slot);
    this._gcInfo.fd = this._fd;
    this._closed = false;
    live[this._slot] = this;
    weak[this._slot] ??= new WeakRef(this);
  }

  unregister(): void {
    N.unregister(this._slot);
    live[this._slot] = undefined; // the user's reference keeps it now (weak[] still routes late events)
  }

  /** Close the fd. No callback of this iofd fires after close() returns; it may be registered again. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    N.close(this._slot); // the core's fd generation moves on: this batch's events of the old fd are dropped
    this._fd = -1;
    this._dropTx();
    live[this._slot] = undefined;
    weak[this._slot] = undefined;
  }

  write(msg: Buffer): number {
    if (this._mode !== MODE_RW) wrongMode('write()');
    return this._queue(checkBuffer('msg', msg), null, 0, null);
  }

  sendto(msg: Buffer, dest: SockAddr | null, flags = 0): number {
    if (this._mode !== MODE_RECVFROM) wrongMode('sendto()');
    checkBuffer('msg', msg);
    const d = dest === null || dest === undefined ? null : checkSockAddr('dest', dest);
    return this._queue(msg, d, checkInt('flags', flags, 0, 0x7fffffff), null);
  }

  sendmsg(msg: Buffer, opts: SendmsgOptions = {}): number {
    if (this._mode !== MODE_RECVMSG) wrongMode('sendmsg()');
    checkBuffer('msg', msg);
    const d = opts.dest === undefined || opts.dest === null ? null : checkSockAddr('dest', opts.dest);
    const ctl = opts.control === undefined || opts.control === null ? null : checkBuffer('control', opts.control);
    return this._queue(msg, d, checkInt('flags', opts.flags ?? 0, 0, 0x7fffffff), ctl);
  }

  notifyConnected(): void {
    if (this._mode !== MODE_RW && this._mode !== MODE_RECVMSG) wrongMode('notifyConnected()');
    N.notifyConnected(this._slot);
  }

  setIoOps(ops: IoOps): void {
    this._ops = checkOps(this._mode === MODE_ACCEPT ? null : this.mode, ops);
    this._applyOps();
  }

  getIoOps(): IoOps { return this._ops; }

  setAllocInfo(size: number, headroom: number): void {
    checkInt('size', size, 1, 65535);
    checkInt('headroom', headroom, 0, 65535);
    if (N.setAllocInfo(this._slot, size, headroom) < 0)
      throw new OsmoIoRangeError('ERR_OUT_OF_RANGE', `size + headroom must not exceed 65535 (got ${size} + ${headroom})`);
  }

  setIoBuffers(op: 'read' | 'write', n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return N.setIoBuffers(this._slot, op === 'read' ? L.OP_READ : op === 'write' ? L.OP_WRITE : -1, n);
  }

  /**
   * io_uring: reads kept armed (1..32 in read_write mode, 1..256 in the datagram modes); -EINVAL on poll. A stream
   * socket keeps one receive armed whatever n says: several readers of one byte stream could reorder it.
   */
  setSqes(op: 'read', n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return N.setSqes(this._slot, op === 'read' ? L.OP_READ : -1, n);
  }

  setCmsgSize(n: number): number {
    checkInt('n', n, -0x80000000, 0x7fffffff);
    return N.setCmsgSize(this._slot, n);
  }

  /** Drop every queued message without calling writeCb (upstream osmo_iofd_txqueue_clear). */
  txqueueClear(): void {
    this._dropTx();
    N.txqueueClear(this._slot);
  }

  ref(): this { N.setRef(this._slot, true); return this; }
  unref(): this { N.setRef(this._slot, false); return this; }

  // ---- internals ------------------------------------------------------------------------------

  private _applyOps(): void {
    const o = this._ops;
    const readOn = this._mode === MODE_ACCEPT ? this._accept !== null : !!o[READ_CB[this.mode]];
    if (readOn !== this._readOn) {
      this._readOn = readOn;
      N.setReadEnabled(this._slot, readOn);
    }
    if (this._mode === MODE_RW) {
      const seg = o.segmentationCb as SegmentationFn | undefined;
      const spec = seg?.[kNativeSegmentation];
      if (spec) N.setSegmentation(this._slot, L.SEG_LENPREFIX, null, spec.headerLen, spec.lengthOffset, spec.lengthBytes,
                                  spec.bigEndian, spec.lengthAdjust, spec.maxLength);
      else N.setSegmentation(this._slot, seg ? L.SEG_JS : L.SEG_NONE, seg ?? null);
    }
  }

  private _queue(msg: Buffer, dest: SockAddr | null, flags: number, ctl: Buffer | null): number {
    if (msg.length === 0) return -errno.EINVAL;
    if (this._closed) return -errno.EBADF;
    // The core owns the limit and refuses beyond it; as writes reach it at the end of the tick, the answer is
    // given now from its count plus this tick's messages, so that write() still says -ENOSPC at once.
    const s = this._slot * FS_SIZE, st = core.fdst;
    if (st[s + FS_TXLEN] + this._pendN >= st[s + FS_TXMAX]) return -errno.ENOSPC;
    const idx = this._txFree.length ? this._txFree.pop()! : this._txMsg.length;
    this._txMsg[idx] = msg;
    this._txDst[idx] = dest;
    this._pendN++;
    this._pendBytes += msg.length;
    queueWrite(this, msg, dest, flags, ctl, idx | (this._txEra << TOKEN_IDX_BITS));
    return 0;
  }

  /** Forget every queued message's Buffer (txqueueClear / close): the core drops them without callbacks. */
  private _dropTx(): void {
    if (this._pendN) dropQueued(this);
    this._pendN = this._pendBytes = 0;
    this._txEra = (this._txEra + 1) & TOKEN_ERA_MASK;
    this._txMsg.length = 0;
    this._txDst.length = 0;
    this._txFree.length = 0;
  }

  /** The message a token names, or -1 when it was dropped since. */
  private _txSlot(token: number): number {
    const idx = token & TOKEN_IDX_MASK;
    if (token >>> TOKEN_IDX_BITS !== this._txEra || idx >= this._txMsg.length || this._txMsg[idx] === null) return -1;
    return idx;
  }

  private _writeDone(res: number, msg: Buffer, dest: SockAddr | null): void {
    const o = this._ops;
    if (this._mode === MODE_RW) o.writeCb?.(this, res, msg);
    else if (this._mode === MODE_RECVFROM) o.sendtoCb?.(this, res, msg, dest);
    else o.sendmsgCb?.(this, res, msg);
  }

  /** Hand a message back once: its slot is free for the next write. */
  private _txTake(idx: number): void {
    this._txMsg[idx] = null;
    this._txDst[idx] = null;
    this._txFree.push(idx);
  }

  /** @internal the core refused a queued message: it completes with that error (no other completion follows) */
  _refused(token: number, rc: number): void {
    const i = this._txSlot(token);
    if (i < 0 || this._closed) return;
    const msg = this._txMsg[i]!, dest = this._txDst[i];
    this._txTake(i);
    this._writeDone(rc, msg, dest);
  }

  /** @internal one event record of the current batch */
  _event(b: number, slab: Buffer): void {
    const events = core.events;
    const type = events[b + EV_TYPE], res = events[b + EV_RES];
    if (type === EVT_READ) {
      const off = events[b + EV_OFF], len = events[b + EV_LEN];
      if (this._mode === MODE_ACCEPT) {
        this._accept?.(res, decodeSockaddr(slab, events[b + EV_AOFF], events[b + EV_ALEN]));
        return;
      }
      const st = core.fdst, s = this._slot * FS_SIZE;
      if (st[s + FS_REGISTERED] === 0 || !this._readOn || st[s + FS_HELD] !== 0) {
        // unregistered or turned off by an earlier callback of this batch (or reads before this one wait): the
        // core holds it and delivers it again, in order, once reading is on
        N.park(this._slot, b);
        return;
      }
      const msg = len > 0 ? slab.subarray(off, off + len) : Buffer.alloc(0);
      let from: SockAddr | null = null;
      let info: RecvmsgInfo | null = null;
      if (this._mode === MODE_RECVFROM) from = decodeSockaddr(slab, events[b + EV_AOFF], events[b + EV_ALEN]);
      else if (this._mode === MODE_RECVMSG) {
        const coff = events[b + EV_COFF];
        info = {
          from: decodeSockaddr(slab, events[b + EV_AOFF], events[b + EV_ALEN]),
          control: coff >= 0 ? slab.subarray(coff, coff + events[b + EV_CLEN]) : Buffer.alloc(0),
          flags: events[b + EV_FLAGS],
        };
      }
      this._deliverRead(res, msg, from, info);
    } else if (type === EVT_WRITE) {
      const i = this._txSlot(events[b + EV_TOKEN]);
      if (i < 0) return; // cleared since
      const msg = this._txMsg[i]!, dest = this._txDst[i];
      if (events[b + EV_FLAGS] & 1) this._txTake(i);
      this._writeDone(res, msg, dest);
    } else if (type === EVT_CONNECTED) {
      const o = this._ops;
      // res 0: connected; -errno: the connect failed (the core read SO_ERROR)
      if (this._mode === MODE_RW) o.writeCb?.(this, res, null);
      else if (this._mode === MODE_RECVMSG) o.sendmsgCb?.(this, res, null);
    }
  }

  private _deliverRead(res: number, msg: Buffer, from: SockAddr | null, info: RecvmsgInfo | null): void {
    const o = this._ops;
    if (this._mode === MODE_RW) o.readCb?.(this, res, msg);
    else if (this._mode === MODE_RECVFROM) o.recvfromCb?.(this, res, msg, from);
    else if (info) o.recvmsgCb?.(this, res, msg, info);
  }
}

export function ioError(rc: number, syscall: string, name: string): OsmoIoSystemError {
  return new OsmoIoSystemError(errnoName(rc), rc, syscall, `iofd(${name}) ${syscall}: ${errnoName(rc)}`);
}

/** The backend this process runs on. Sets the I/O core up (loads the addon), so it also tells whether I/O works. */
export function getBackend(): 'poll' | 'io_uring' {
  ensureInit();
  return backend();
}

/** Counters of the core in this thread (system calls it made itself, reads, writes, wakeups). */
export function stats(): Record<string, number> {
  ensureInit();
  return N.stats();
}
