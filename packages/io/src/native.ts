/**
 * Loads the addon on first I/O use (importing @osmo/io for a codec or a type loads nothing native) and picks the
 * backend once per process (docs/design.md §3): OSMO_IO_BACKEND=poll|io_uring (case-insensitive;
 * LIBOSMO_IO_BACKEND=POLL|IO_URING too). Unset: io_uring when the kernel allows it, else poll with one warning
 * naming the reason. io_uring demanded but unusable: a clear error.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OsmoIoError } from './errors.js';
import type { Backend } from './types.js';

export interface Layout {
  readonly EV_SLOT: number; readonly EV_GEN: number; readonly EV_TYPE: number; readonly EV_RES: number;
  readonly EV_OFF: number; readonly EV_LEN: number; readonly EV_AOFF: number; readonly EV_ALEN: number;
  readonly EV_COFF: number; readonly EV_CLEN: number; readonly EV_FLAGS: number; readonly EV_TOKEN: number;
  readonly EV_SIZE: number; readonly EV_CAPACITY: number;
  readonly EVT_READ: number; readonly EVT_WRITE: number; readonly EVT_CONNECTED: number;
  readonly FS_GEN: number; readonly FS_TXLEN: number; readonly FS_TXBYTES: number; readonly FS_TXMAX: number;
  readonly FS_REGISTERED: number; readonly FS_HELD: number; readonly FS_SIZE: number;
  readonly SEG_NONE: number; readonly SEG_LENPREFIX: number; readonly SEG_JS: number;
  readonly MODE_READ_WRITE: number; readonly MODE_RECVFROM_SENDTO: number; readonly MODE_RECVMSG_SENDMSG: number;
  readonly MODE_ACCEPT: number;
  readonly OP_READ: number; readonly OP_WRITE: number;
  readonly TXQUEUE_MAX_DEFAULT: number;
}

export interface NativeBinding {
  /** the seam's numbers (event record, per-slot state, modes ...), defined once in addon.h */
  layout: Layout;
  init(onEvents: (n: number, slab: Buffer, fatal?: { errno: number; syscall: string }) => void, ev: Int32Array, backend: Backend, entries: number,
       immediate: boolean, noDefer: boolean, readSqes: number, batchWaitUs: number, noMultishot: boolean,
       coalesceUs: number): void;
  probeUring(): string | null;
  stats(): Record<string, number>;
  setup(mode: number, fd: number): number;
  /** FS_SIZE values per slot (Layout FS_*), written by the glue from the core; replaced when setup() grows it */
  fdState(): Int32Array;
  setTxqueueMax(slot: number, n: number): number;
  /** hand back the read record at b of the running batch: the core holds it and delivers it again once reading is on */
  park(slot: number, b: number): number;
  register(slot: number, fd: number): number;
  unregister(slot: number): number;
  close(slot: number): number;
  free(slot: number): boolean;
  getFd(slot: number): number;
  setReadEnabled(slot: number, on: boolean): void;
  setSegmentation(slot: number, kind: number, fn: ((d: Buffer) => number) | null, headerLen?: number,
                  lenOff?: number, lenBytes?: number, bigEndian?: boolean, adjust?: number, maxLen?: number): void;
  setAllocInfo(slot: number, size: number, headroom: number): number;
  setIoBuffers(slot: number, op: number, n: number): number;
  setSqes(slot: number, op: number, n: number): number;
  setCmsgSize(slot: number, n: number): number;
  notifyConnected(slot: number): void;
  txqueueClear(slot: number): void;
  setRef(slot: number, on: boolean): void;
  submit(slots: Int32Array, bufs: Buffer[], n: number, dests: unknown[] | null, flags: Int32Array | null,
         ctls: (Buffer | null)[] | null, tokens: Int32Array, rcs: Int32Array): number;
  sockInit(domain: number, type: number, proto: number, local: object | null, remote: object | null,
           flags: number, backlog: number): number;
  accept(fd: number): number;
  /** raw struct sockaddr bytes (sockaddr.ts decodes them) */
  localAddress(fd: number): Buffer;
  peerAddress(fd: number): Buffer | null;
  setsockopt(fd: number, level: number, name: number, value: number | Buffer): void;
  getsockopt(fd: number, level: number, name: number): number;
  closeFd(fd: number): number;
  shutdown(fd: number, how: number): number;
  socketpair(type: number): [number, number];
  sockListen(fd: number, backlog: number): number;
  sockoptBuf(fd: number, level: number, name: number, buf: Buffer, get: boolean): number;
  constants: Record<string, number>;
}

/**
 * Finds the addon the way native addons are found (node-gyp-build): a build from source (build/Release, then
 * build/Debug) wins, else the prebuilt binary for this platform shipped in prebuilds/ (N-API: any Node version).
 */
function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  // OSMO_IO_ADDON=<path>: load that build instead (the ASan build of scripts/test-fuzz.sh)
  const override = process.env.OSMO_IO_ADDON;
  if (override) return requireAddon(require, path.resolve(override));
  let dir = path.dirname(fileURLToPath(import.meta.url));
  // src/ or dist/src/: walk up to the package root
  for (let i = 0; i < 4 && !existsSync(path.join(dir, 'binding.gyp')); i++) dir = path.dirname(dir);
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  let file: string;
  try {
    file = nodeGypBuild.path(dir);
  } catch {
    throw new OsmoIoError('ERR_OSMO_IO_NOT_BUILT',
      `@osmo/io: no native addon for ${process.platform}-${process.arch} in ${dir} (looked in build/Release, ` +
      `build/Debug and prebuilds/). In the repository run "npm run build"; where @osmo/io is a dependency, build it ` +
      `from source with "OSMO_IO_BUILD_FROM_SOURCE=1 npm rebuild @osmo/io" (gcc, make, python3).`);
  }
  return requireAddon(require, file);
}

function requireAddon(require: NodeJS.Require, file: string): NativeBinding {
  try {
    return require(file) as NativeBinding;
  } catch (e) {
    throw new OsmoIoError('ERR_OSMO_IO_NOT_BUILT',
      `@osmo/io: the native addon ${file} does not load here (${(e as Error).message.split('\n')[0]}); ` +
      `build it from source: "OSMO_IO_BUILD_FROM_SOURCE=1 npm rebuild @osmo/io" (or "npm run build" in the repository)`);
  }
}

let binding: NativeBinding | undefined;

/** The addon of this process, loaded on the first call (not on import: codecs and types need no addon). */
export function native(): NativeBinding {
  return binding ??= load();
}

function requestedBackend(): Backend | null {
  const v = process.env.OSMO_IO_BACKEND ?? process.env.LIBOSMO_IO_BACKEND;
  if (v === undefined || v === '') return null;
  const s = v.toLowerCase();
  if (s === 'poll') return 'poll';
  if (s === 'io_uring' || s === 'uring') return 'io_uring';
  throw new OsmoIoError('ERR_OSMO_IO_BACKEND', `invalid OSMO_IO_BACKEND "${v}": use poll or io_uring`);
}

let chosen: Backend | undefined;
/** Decided once per process, on first use (workers inherit the environment, so they decide the same way). */
export function backend(): Backend {
  if (chosen !== undefined) return chosen;
  const req = requestedBackend();
  if (req) return chosen = req;
  const why = native().probeUring();
  if (why === null) return chosen = 'io_uring';
  process.emitWarning(`io_uring unavailable (${why}); using the poll backend`, { code: 'OSMO_IO_FALLBACK' });
  return chosen = 'poll';
}

export function uringEntries(): number {
  const v = process.env.OSMO_IO_URING_SIZE ?? process.env.LIBOSMO_IO_URING_INITIAL_SIZE;
  if (!v) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 32768 || (n & (n - 1)) !== 0)
    throw new OsmoIoError('ERR_OSMO_IO_BACKEND', `invalid OSMO_IO_URING_SIZE "${v}": a power of two from 1 to 32768`);
  return n;
}

export function uringImmediate(): boolean {
  const v = (process.env.OSMO_IO_URING_SUBMIT ?? '').toLowerCase();
  if (v === 'immediate') return true;
  if (v === '' || v === 'batch') return false;
  throw new OsmoIoError('ERR_OSMO_IO_BACKEND', `invalid OSMO_IO_URING_SUBMIT "${v}": batch or immediate`);
}

/** OSMO_IO_URING_DEFER=0 keeps the ring off IORING_SETUP_DEFER_TASKRUN. */
export function uringNoDefer(): boolean {
  return process.env.OSMO_IO_URING_DEFER === '0';
}

/** OSMO_IO_URING_MULTISHOT=0: stream and datagram sockets get one receive SQE per read instead of a multishot receive. */
export function uringNoMultishot(): boolean {
  return process.env.OSMO_IO_URING_MULTISHOT === '0';
}

/** OSMO_IO_URING_READ_SQES (upstream LIBOSMO_IO_URING_READ_SQE): reads kept armed per iofd, 1..32 (default 1). */
export function uringReadSqes(): number {
  const v = process.env.OSMO_IO_URING_READ_SQES ?? process.env.LIBOSMO_IO_URING_READ_SQE;
  if (!v) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 32)
    throw new OsmoIoError('ERR_OSMO_IO_BACKEND', `invalid OSMO_IO_URING_READ_SQES "${v}": 1 to 32`);
  return n;
}

/**
 * OSMO_IO_URING_BATCH_WAIT_US: while completions stream in, how long one io_uring_enter may wait for a batch of
 * them (0 disables; default 50 µs). Fewer system calls and less CPU per message under load, at most that much
 * added delay for the messages of a busy loop; single request/response exchanges never wait.
 */
export function uringBatchWaitUs(): number {
  return microseconds('OSMO_IO_URING_BATCH_WAIT_US', 50);
}

/**
 * OSMO_IO_URING_COALESCE_US (default 0: off; Linux 6.12+): while the loop sleeps in the ring, it holds out that long
 * for a batch of completions before one is enough. A steady stream (NS-UNITDATA from many peers, paced links) then
 * wakes the loop once per batch instead of once per message; a message arriving early in a sleep waits up to that
 * long, traffic sparser than that not at all. Not for request/response on one connection: each exchange waits.
 */
export function uringCoalesceUs(): number {
  return microseconds('OSMO_IO_URING_COALESCE_US', 0);
}

function microseconds(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10000)
    throw new OsmoIoError('ERR_OSMO_IO_BACKEND', `invalid ${name} "${v}": 0 to 10000`);
  return n;
}
