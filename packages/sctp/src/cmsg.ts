/**
 * SCTP control messages. Sending: SCTP_SNDINFO (+ SCTP_PRINFO for a PR-SCTP lifetime) written into slots of
 * one preallocated slab, so a message costs no allocation. A slot must stay unchanged until @osmo/io copied
 * it, which happens when the tick's writes are flushed (a microtask); slots are reused only after a
 * setImmediate, when every earlier flush has run, and a tick that needs more slots than the slab has gets
 * fresh buffers instead. Receiving: the cmsghdr chain is walked for SCTP_RCVINFO.
 */
import {
  IPPROTO_SCTP, SCTP_PRINFO, SCTP_PR_SCTP_TTL, SCTP_RCVINFO, SCTP_SNDINFO, SCTP_UNORDERED, SCTP_EOF, SCTP_ABORT,
  SCTP_SENDALL, SCTP_SACK_IMMEDIATELY,
} from './constants.js';
import { SctpDecodeError, SctpTypeError, validateInteger } from './errors.js';
import { RCVINFO_SIZE } from './structs.js';

/** What a message is sent with (host-order PPID; the kernel wants network order, converted here). */
export interface SendInfo {
  ppid?: number;
  stream?: number;
  unordered?: boolean;
  /** graceful shutdown of the association after this message (one-to-many: SCTP_EOF) */
  eof?: boolean;
  /** abort the association; the data is the abort reason (one-to-many: SCTP_ABORT) */
  abort?: boolean;
  /** opaque value the kernel hands back in SEND_FAILED notifications */
  context?: number;
  /** PR-SCTP: give up on the message after this many ms (SCTP_PRINFO, policy TTL) */
  ttlMs?: number;
  /** one-to-many: the association to send on */
  assocId?: number;
  /** ask the peer to SACK at once */
  sackImmediately?: boolean;
  /** one-to-many: send to every association */
  sendAll?: boolean;
}

/** What came with a received message (SCTP_RCVINFO), PPID in host numbers. */
export interface RcvInfo {
  ppid: number;
  stream: number;
  ssn: number;
  tsn: number;
  cumtsn: number;
  flags: number;
  unordered: boolean;
  assocId: number;
  context: number;
}

// cmsghdr: size_t cmsg_len (8), int level, int type; data at 16; CMSG_SPACE rounds to 8
const HDR = 16;
const SNDINFO_SPACE = 32;     // CMSG_SPACE(sizeof(struct sctp_sndinfo) = 16)
const PRINFO_SPACE = 24;      // CMSG_SPACE(sizeof(struct sctp_prinfo) = 8)
const SLOT = 64;
const SLOTS = 1024;

const slab = Buffer.alloc(SLOT * SLOTS);
const shortViews: Buffer[] = [];
const longViews: Buffer[] = [];
for (let i = 0; i < SLOTS; i++) {
  const o = i * SLOT;
  writeHeaders(slab, o);
  shortViews.push(slab.subarray(o, o + SNDINFO_SPACE));
  longViews.push(slab.subarray(o, o + SNDINFO_SPACE + PRINFO_SPACE));
}
let next = 0;
let inUse = 0;
let resetScheduled = false;
/** how many messages had to take a fresh buffer (more than SLOTS in one tick) */
export const cmsgStats = { fresh: 0 };

function writeHeaders(b: Buffer, o: number): void {
  b.writeUInt32LE(HDR + 16, o); b.writeUInt32LE(0, o + 4);
  b.writeInt32LE(IPPROTO_SCTP, o + 8); b.writeInt32LE(SCTP_SNDINFO, o + 12);
  const p = o + SNDINFO_SPACE;
  b.writeUInt32LE(HDR + 8, p); b.writeUInt32LE(0, p + 4);
  b.writeInt32LE(IPPROTO_SCTP, p + 8); b.writeInt32LE(SCTP_PRINFO, p + 12);
}

function releaseSlots(): void {
  resetScheduled = false;
  inUse = 0;
}

/** snd_flags for info (SCTP_UNORDERED, SCTP_EOF, SCTP_ABORT, ...) */
export function sndFlags(info: SendInfo | undefined): number {
  if (!info) return 0;
  let f = 0;
  if (info.unordered) f |= SCTP_UNORDERED;
  if (info.eof) f |= SCTP_EOF;
  if (info.abort) f |= SCTP_ABORT;
  if (info.sackImmediately) f |= SCTP_SACK_IMMEDIATELY;
  if (info.sendAll) f |= SCTP_SENDALL;
  return f;
}

/**
 * The control bytes for one message: SCTP_SNDINFO, plus SCTP_PRINFO when ttlMs is set. Values must have been
 * checked (checkSendInfo). The Buffer is valid until the writes of this tick are flushed.
 */
export function buildSndinfo(stream: number, flags: number, ppid: number, context: number, assocId: number,
                             ttlMs: number): Buffer {
  const pr = ttlMs > 0;
  let b: Buffer, o: number;
  if (inUse < SLOTS) {
    const i = next;
    next = (next + 1) % SLOTS;
    inUse++;
    if (!resetScheduled) { resetScheduled = true; setImmediate(releaseSlots); }
    b = pr ? longViews[i] : shortViews[i];
    o = 0;
  } else {
    cmsgStats.fresh++;
    const f = Buffer.alloc(SLOT);
    writeHeaders(f, 0);
    b = f.subarray(0, SNDINFO_SPACE + (pr ? PRINFO_SPACE : 0));
    o = 0;
  }
  // struct sctp_sndinfo at 16: sid, flags, ppid (network order), context, assoc_id
  b.writeUInt16LE(stream, o + HDR);
  b.writeUInt16LE(flags, o + HDR + 2);
  b.writeUInt32BE(ppid, o + HDR + 4);
  b.writeUInt32LE(context, o + HDR + 8);
  b.writeInt32LE(assocId, o + HDR + 12);
  if (pr) {
    // struct sctp_prinfo at 32 + 16: pr_policy (u16), pad, pr_value (u32)
    b.writeUInt16LE(SCTP_PR_SCTP_TTL, o + SNDINFO_SPACE + HDR);
    b.writeUInt16LE(0, o + SNDINFO_SPACE + HDR + 2);
    b.writeUInt32LE(ttlMs, o + SNDINFO_SPACE + HDR + 4);
  }
  return b;
}

/** Throws SctpTypeError / SctpRangeError (with a code) for a SendInfo that cannot be encoded. */
export function checkSendInfo(info: SendInfo | undefined): void {
  if (info === undefined || info === null) return;
  if (typeof info !== 'object')
    throw new SctpTypeError('ERR_INVALID_ARG_TYPE', 'send info must be an object');
  const range = (k: keyof SendInfo, max: number, min = 0): void => {
    const v = info[k];
    if (v === undefined) return;
    validateInteger(v, `send info ${k}`, min, max);
  };
  range('ppid', 0xffffffff); range('stream', 0xffff); range('context', 0xffffffff); range('ttlMs', 0xffffffff);
  range('assocId', 0x7fffffff, -0x80000000);
}

/**
 * SCTP_RCVINFO from a received control buffer. null when the chain has none (the socket was not asked for it).
 * Throws SctpDecodeError for a malformed chain or a cut-short RCVINFO.
 */
export function parseRcvinfo(ctl: Buffer, msgFlags: number): RcvInfo | null {
  const MSG_CTRUNC = 0x8;
  if (msgFlags & MSG_CTRUNC)
    throw new SctpDecodeError('ERR_SCTP_TRUNCATED', 'control data truncated by the kernel (MSG_CTRUNC)', 0);
  let o = 0;
  while (o + HDR <= ctl.length) {
    const len = ctl.readUInt32LE(o) + ctl.readUInt32LE(o + 4) * 0x100000000;
    if (len < HDR || len > ctl.length - o)
      throw new SctpDecodeError('ERR_SCTP_CMSG_MALFORMED', `cmsg length ${len} at ${o} does not fit (${ctl.length - o} bytes left)`, o);
    const level = ctl.readInt32LE(o + 8), type = ctl.readInt32LE(o + 12);
    if (level === IPPROTO_SCTP && type === SCTP_RCVINFO) {
      if (len < HDR + RCVINFO_SIZE)
        throw new SctpDecodeError('ERR_SCTP_TRUNCATED', `SCTP_RCVINFO of ${len - HDR} bytes, need ${RCVINFO_SIZE}`, o);
      // hand-written on purpose: binary-parser (structs.ts, rcvinfoParser) measured ~5x slower per message
      // (bench/sctp/rcvinfo-decode.ts); the offsets are the ones declared there
      const d = o + HDR, flags = ctl.readUInt16LE(d + 4);
      return {
        ppid: ctl.readUInt32BE(d + 8), stream: ctl.readUInt16LE(d), ssn: ctl.readUInt16LE(d + 2),
        tsn: ctl.readUInt32LE(d + 12), cumtsn: ctl.readUInt32LE(d + 16), flags,
        unordered: (flags & SCTP_UNORDERED) !== 0, context: ctl.readUInt32LE(d + 20), assocId: ctl.readInt32LE(d + 24),
      };
    }
    o += (len + 7) & ~7;
  }
  if (o < ctl.length)
    throw new SctpDecodeError('ERR_SCTP_CMSG_MALFORMED', `${ctl.length - o} stray bytes after the last cmsg`, o);
  return null;
}
