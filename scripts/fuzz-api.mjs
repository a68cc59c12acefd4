#!/usr/bin/env node
// Randomised API fuzzer of @osmo/io (issue 10, "Tests that stay"). Many IoFds over socketpairs (stream, dgram,
// seqpacket) and TCP (Acceptor + connecting clients), every mode; random operations issued from the top level and
// from inside every callback kind (read / write / segmentation / connect / sendto / recvfrom / recvmsg / sendmsg /
// accept). Checks in JS: no callback after close(), no read callback while unregistered, every accepted write gets
// its completion(s) exactly once and in order (the Buffer it wrote, sum of partial results = its length) unless
// cleared or closed, stream bytes arrive in order and intact (the receiver compares with what the peer's writes
// were accepted with), datagrams arrive intact, whole IPA frames when IPA segmentation runs over an IPA stream,
// and at the end (quiesce) every accepted write on a live pair completes and every completed byte arrives.
// Run it with the ASan build (scripts/test-fuzz.sh) so memory errors in the core/glue are fatal too.
//
//   node scripts/fuzz-api.mjs [--seconds 60] [--seed N] [--max-ends 40] [--avoid F3,F6,...] [--verbose]
// (backend: OSMO_IO_BACKEND). --avoid steers around defects already reported (the ids of the fuzz-findings notes:
// F1 reuse of a closed IoFd inside a callback, F2 segmentation switched off mid-frame, F3 EOF spin in the datagram
// modes, F4 txqueueClear inside callbacks, F6 any IoFd reuse, F7 setSqes > 1 on streams in the datagram modes,
// I12 operations inside segmentationCb and 8,000+ frame bursts) so that a run can look for other ones; CI uses none.
// Exit 0: no failure; 1: an invariant failed (the message names it, with the seed, the failing iofd's history and
// the last operations).
import { spawn } from 'node:child_process';
import { IoFd, socketpair, sock, Acceptor, lengthPrefixSegmentation, getBackend, errno, errnoName, stats } from '@osmo/io';

// ---- arguments, PRNG ---------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const SECONDS = Number(arg('--seconds', '60'));
const SEED = Number(arg('--seed', String(Date.now() % 0x7fffffff)));
const VERBOSE = argv.includes('--verbose');
const MAX_ENDS = Number(arg('--max-ends', '40'));
// --avoid F1,F2: steer clear of known, reported defects (see the notes) to look for others
const AVOID = new Set(String(arg('--avoid', '')).split(',').filter(Boolean));

let rs = (SEED >>> 0) || 1;
function rnd() { // xorshift32
  rs ^= rs << 13; rs >>>= 0; rs ^= rs >>> 17; rs ^= rs << 5; rs >>>= 0;
  return rs / 4294967296;
}
const ri = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)); // inclusive
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;
function randBytes(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

// ---- reporting ---------------------------------------------------------------------------------------------------
const counts = new Map(); // "op@context" -> n
const notes = new Map();  // unusual but allowed results -> n
const recent = [];        // the last operations, printed with a failure
const count = (k) => counts.set(k, (counts.get(k) ?? 0) + 1);
const note = (k) => notes.set(k, (notes.get(k) ?? 0) + 1);
function trace(s) {
  recent.push(s);
  if (recent.length > 60) recent.shift();
  if (VERBOSE) console.error(s);
}
let focus = null; // the End of the callback / operation running now: its history is printed with a failure
function hist(e, s) {
  if (!e) return;
  e.h.push(s);
  if (e.h.length > 40) e.h.shift();
}
function fail(sig, detail) {
  console.error(`\nFUZZ INVARIANT FAILURE [${getBackend()}] ${sig}`);
  if (detail) console.error(`  ${detail}`);
  for (const x of [focus, focus && focus.peer, focus && focus.prev]) if (x) {
    console.error(`  history of ${x} (oldest first):`);
    for (const s of x.h) console.error(`    ${s}`);
  }
  console.error(`  seed ${SEED}; last operations (oldest first):`);
  for (const s of recent) console.error(`    ${s}`);
  console.error(`  core stats: ${JSON.stringify(stats())}`);
  printCounts();
  process.exit(1);
}
function printCounts() {
  const byOp = new Map(), byCtx = new Map();
  let total = 0;
  for (const [k, n] of counts) {
    const [op, ctx] = k.split('@');
    byOp.set(op, (byOp.get(op) ?? 0) + n);
    byCtx.set(ctx, (byCtx.get(ctx) ?? 0) + n);
    total += n;
  }
  const fmt = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`[${getBackend()}] operations: ${total} (seed ${SEED})`);
  console.log(`  by operation: ${fmt(byOp)}`);
  console.log(`  by context:   ${fmt(byCtx)}`);
  console.log(`  callbacks:    ${fmt(cbCounts)}`);
  if (notes.size) console.log(`  notes:        ${fmt(notes)}`);
  const st = stats();
  console.log(`  loop:         ${st.dispatches} event batches, ${st.sleepDispatches ?? 0} of them handed over between ring sleeps`);
}
const cbCounts = new Map();
const cb = (k) => cbCounts.set(k, (cbCounts.get(k) ?? 0) + 1);

// ---- model -------------------------------------------------------------------------------------------------------
// A Dir is one direction of a pair: what the sender's accepted writes carry, what the receiver got so far.
class Dir {
  constructor(kind, content) {
    this.kind = kind;         // 'stream' | 'msg'
    this.content = content;   // stream: 'pattern' | 'ipa'
    this.chunks = []; this.head = 0; this.off = 0; // stream: accepted Buffers not yet received
    this.tainted = false;     // txqueueClear / write error: bytes may be missing, stop comparing
    this.completed = 0;       // bytes the sender's completions reported
    this.received = 0;        // bytes the receiver got
    this.written = 0;         // bytes of the accepted writes
    this.lastSeq = -1;        // msg: datagram sequence
    this.nextSeq = 0;
    this.done = [];           // stream: the last chunks received completely (diagnostics)
    this.merged = false;      // msg: the sender may put several messages in one datagram
    this.cont = null;         // msg: the datagram the next read buffer may continue
    this.id = ri(1, 0xffffff);
  }
}

let nextEndId = 1;
const ends = new Set();       // live (not closed) Ends
const endOf = new Map();      // IoFd -> its current End
const spare = [];
const allIo = new Set();     // every IoFd made: all are closed at the end, so the process must exit by itself
const dirSender = new Map(); // Dir id -> sending End (to name the source of misdelivered data)             // closed IoFds that may be registered again with a new fd

class End {
  constructor(io, kind, mode, label) {
    this.n = nextEndId++;
    this.io = io; this.kind = kind; this.mode = mode; this.label = label;
    this.registered = false; this.closed = false;
    this.peer = null; this.rx = null; this.tx = null; // rx: Dir we receive; tx: Dir we send
    this.txq = [];            // {buf, left, loose}: accepted, not finished
    this.txBytes = 0;
    this.blind = false;       // the completion callback is not installed (setIoOps): completions are unseen
    this.notifies = 0;        // notifyConnected() calls not yet answered
    this.seg = 'none';        // none | native-ipa | js-ipa | js-chunk | js-actor
    this.frameCheck = false;  // every message must be one whole IPA frame
    this.reorder = false;     // setSqes('read', n > 1) on a datagram socket: order is not guaranteed
    this.allocSize = 1024;
    this.h = [];              // recent events of this End (printed with a failure)
    this.prev = null;         // the End whose IoFd this one reuses
    this.eofs = 0;            // EOFs since the last register()
  }
  toString() { return `#${this.n}(${this.label},${this.mode}${this.closed ? ',closed' : this.registered ? '' : ',unreg'})`; }
}

const MODES = ['read_write', 'recvfrom_sendto', 'recvmsg_sendmsg'];
const ipaNative = lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3 });

// ---- callbacks ---------------------------------------------------------------------------------------------------
let quiescing = false;
let depth = 0;

function cbEnter(io, kind) {
  cb(kind);
  const e = endOf.get(io);
  if (!e) fail('callback for an unknown IoFd', kind);
  focus = e;
  if (e.closed) fail(`${kind} after close()`, `${e}`);
  return e;
}

/** Random operations from inside a callback (the point of the exercise). */
function nested(e, ctx, p) {
  if (quiescing || depth > 2 || !chance(p)) return;
  depth++;
  try {
    const k = ri(1, 3);
    for (let i = 0; i < k; i++) randomOp(ctx, chance(0.6) ? e : chance(0.5) && e.peer ? e.peer : null);
  } finally { depth--; }
}

function onRead(e, res, msg, ctx) {
  if (VERBOSE) trace(`${ctx} ${e} res ${res} len ${msg.length}`);
  hist(e, `${ctx} res ${res} len ${msg.length}${e.rx ? ` at ${e.rx.received}` : ''} seg ${e.seg}`);
  if (!e.registered) fail(`${ctx} while unregistered`, `${e} res ${res} len ${msg.length}`);
  const d = e.rx;
  if (res === 0) {
    cb('eof');
    if (++e.eofs > 100) fail('EOF spin: read callbacks with EOF keep coming', `${e} ${e.eofs} EOFs without a register()`);
    // F3 avoided: act like a careful user and stop reading a datagram-mode iofd at EOF
    if (AVOID.has('F3') && e.mode !== 'read_write') { e.io.unregister(); e.registered = false; return; }
    if (e.kind !== 'dgram' && d && !peerGone(e)) fail('EOF while the peer is open', `${e}`);
  } else if (res < 0) {
    note(`read ${errnoName(res)}`);
    if (res === -errno.EBADF || res === -errno.EFAULT || res === -errno.ENOTSOCK || res === -errno.ENOMEM)
      fail(`read result ${errnoName(res)}`, `${e}`);
    if (e.kind === 'stream' && msg.length === 0 && res !== -errno.ECONNRESET && res !== -errno.EPIPE)
      note(`stream read error without bytes ${errnoName(res)}`);
  }
  if (d && msg.length) {
    if (e.kind === 'stream') streamCheck(e, d, msg, res);
    else msgCheck(e, d, msg);
  }
}

function peerGone(e) { return !e.peer || e.peer.closed; }

function streamCheck(e, d, msg, res) {
  d.received += msg.length;
  if (e.frameCheck && res > 0 && (msg.length < 3 || msg.readUInt16BE(0) + 3 !== msg.length))
    fail('IPA segmentation delivered a message that is not one whole frame', `${e} len ${msg.length} head ${msg.subarray(0, 8).toString('hex')}`);
  if (res < 0) e.frameCheck = false;
  if (d.tainted) { d.chunks.length = 0; d.head = 0; d.off = 0; return; }
  let p = 0;
  while (p < msg.length) {
    const c = d.chunks[d.head];
    if (!c) fail('stream: received bytes that no accepted write carried', `${e} ${msg.length - p} extra bytes, received ${d.received}`);
    const n = Math.min(c.length - d.off, msg.length - p);
    if (!msg.subarray(p, p + n).equals(c.subarray(d.off, d.off + n))) {
      let i = 0;
      while (msg[p + i] === c[d.off + i]) i++;
      fail('stream: bytes corrupted or out of order', `${e} at stream offset ${d.received - msg.length + p + i} (res ${res}, msg len ${msg.length}, seg ${e.seg}); ${whereFrom(d, msg.subarray(p))}`);
    }
    p += n; d.off += n;
    if (d.off === c.length) {
      d.done.push(c);
      if (d.done.length > 16) d.done.shift();
    }
    if (d.off === c.length) { d.chunks[d.head++] = undefined; d.off = 0; }
  }
  if (d.head > 256 && d.head * 2 > d.chunks.length) { d.chunks.splice(0, d.head); d.head = 0; }
}

/** Diagnose a mismatch: are the bytes further on in the stream (loss), already received (duplicate) or foreign? */
function whereFrom(d, bytes) {
  const probe = bytes.subarray(0, Math.min(bytes.length, 64));
  const ahead = [];
  let n = 0;
  for (let k = d.head; k < d.chunks.length && n < (1 << 20); k++) { const c = k === d.head ? d.chunks[k].subarray(d.off) : d.chunks[k]; ahead.push(c); n += c.length; }
  const win = Buffer.concat(ahead);
  const at = probe.length >= 3 ? win.indexOf(probe) : -1;
  const tail = Buffer.concat([...d.done, d.chunks[d.head] ? d.chunks[d.head].subarray(0, d.off) : Buffer.alloc(0)]);
  const back = tail.lastIndexOf(probe);
  return `got ${probe.subarray(0, 16).toString('hex')} want ${win.subarray(0, 16).toString('hex')}; ` +
    (at > 0 ? `found ${at} bytes further on (bytes skipped/lost)` : back >= 0 ? `found ${tail.length - back} bytes back (duplicated)` : 'not found ahead (1 MiB) or behind (64 KiB): foreign bytes');
}

// datagram payload: [u32 dir id][u32 seq][u32 len] + bytes derived from them
function dgramPayload(d, len) {
  const seq = d.nextSeq++;
  const b = Buffer.allocUnsafe(Math.max(12, len));
  b.writeUInt32BE(d.id, 0); b.writeUInt32BE(seq, 4); b.writeUInt32BE(b.length, 8);
  for (let i = 12; i < b.length; i++) b[i] = (seq * 31 + i * 7 + d.id) & 0xff;
  return b;
}
const dgramByte = (d, seq, i) => (seq * 31 + i * 7 + d.id) & 0xff;
const multiWrite = new WeakSet(); // IoFds that were given write buffers > 1 (the setting outlives close())
function msgCheck(e, d, msg) {
  d.received += msg.length;
  if (e.peer && e.peer.mode === 'read_write' && multiWrite.has(e.peer.io)) d.merged = true;
  let p = 0;
  // read_write mode with several read buffers: one callback per filled buffer, a datagram may span them
  const c = d.cont;
  d.cont = null;
  if (c && e.mode === 'read_write') {
    const n = Math.min(msg.length, c.len - c.off);
    if (contMatches(d, c, msg.subarray(0, n))) {
      if (c.off + n < c.len) { note('datagram continued in the next read buffer'); d.cont = { seq: c.seq, off: c.off + n, len: c.len }; return; }
      // more bytes after the end of the continued datagram: the match was a coincidence (short tails match
      // 1 in 256), unless several messages share a datagram; else this is a new datagram, parsed below
      if (n === msg.length || d.merged) { note('datagram continued in the next read buffer'); p = n; }
    }
  }
  // several messages per datagram: a read_write-mode sender with write buffers > 1 (writev of several messages)
  while (p < msg.length) {
    const rest = msg.length - p;
    if (rest < 12) { note('datagram shorter than its header (small read size)'); return; }
    const id = msg.readUInt32BE(p), seq = msg.readUInt32BE(p + 4), len = msg.readUInt32BE(p + 8);
    if (id !== d.id) fail('datagram from another pair (fd confusion)', `${e} id ${id} want ${d.id}; sent by ${dirSender.get(id)} (to ${dirSender.get(id)?.peer})`);
    if (len < 12) fail('datagram corrupted (length field)', `${e} ${len}`);
    const n = Math.min(rest, len);
    for (let i = 12; i < n; i++)
      if (msg[p + i] !== dgramByte(d, seq, i)) fail('datagram corrupted', `${e} seq ${seq} at ${i}`);
    if (!e.reorder && seq <= d.lastSeq) fail('datagram duplicated or reordered', `${e} seq ${seq} after ${d.lastSeq}`);
    d.lastSeq = Math.max(d.lastSeq, seq);
    if (n < len) { note('datagram truncated (read size)'); d.cont = { seq, off: n, len }; return; }
    p += len;
    if (p < msg.length && !d.merged) fail('datagram longer than sent', `${e} ${msg.length} > ${len}`);
  }
}

function contMatches(d, c, msg) {
  for (let i = 0; i < msg.length; i++) {
    const k = c.off + i;
    const want = k < 12 ? [d.id, c.seq, c.len].map((v) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]).flat()[k] : dgramByte(d, c.seq, k);
    if (msg[i] !== want) return false;
  }
  return true;
}

function onWrite(e, res, msg, ctx) {
  hist(e, `${ctx} res ${res} ${msg ? `len ${msg.length}` : 'connect'}`);
  if (msg === null) {
    cb('connected');
    if (e.notifies <= 0) fail('connect notification without notifyConnected()', `${e} res ${res}`);
    e.notifies--;
    if (res < 0) note(`connect ${errnoName(res)}`);
    return 'connectCb';
  }
  if (e.blind) fail('write completion while no completion callback is installed', `${e}`);
  while (e.txq[0] && e.txq[0].loose && e.txq[0].buf !== msg) { e.txBytes -= e.txq[0].buf.length; e.txq.shift(); }
  const h = e.txq[0];
  if (!h) fail(`${ctx}: completion with no write outstanding`, `${e} res ${res} len ${msg.length}`);
  if (h.buf !== msg) {
    const idx = e.txq.findIndex((t) => t.buf === msg);
    fail(`${ctx}: completion for the wrong message (completions shifted)`, `${e} got the Buffer at queue position ${idx}, res ${res}`);
  }
  if (res > 0) {
    if (e.tx) e.tx.completed += res;
    h.left -= res;
    if (h.left < 0 && !h.loose) fail(`${ctx}: completions report more bytes than the message has`, `${e} len ${msg.length}`);
    if (h.left <= 0) { e.txq.shift(); e.txBytes -= msg.length; }
  } else {
    if (res === 0) fail(`${ctx}: completion with result 0`, `${e}`);
    note(`write ${errnoName(res)}`);
    if (res === -errno.EBADF || res === -errno.EFAULT || res === -errno.ENOTSOCK)
      fail(`write result ${errnoName(res)}`, `${e}`);
    if (e.tx && (e.kind === 'stream' || h.left !== h.buf.length)) e.tx.tainted = true;
    e.txq.shift(); e.txBytes -= msg.length;
  }
  return ctx;
}

/** UDP: a datagram comes from the peer's address (nobody else sends to these ports). */
function checkFrom(e, res, from) {
  if (!e.dest || !e.peer || res <= 0) return;
  if (!from || from.port !== e.peer.addr.port || from.address !== e.peer.addr.address)
    fail('recvfrom: wrong source address', `${e} from ${JSON.stringify(from)} want ${JSON.stringify(e.peer.addr)}`);
}

// odd destinations: scoped IPv6 (issue 10 item 6), wrong family, a port nobody listens on
const ODD_DESTS = [
  { address: 'fe80::1%lo', port: 9 }, { address: 'fe80::1%nonexistent0', port: 9 }, { address: '::1', port: 9 },
  { address: '127.0.0.1', port: 9 }, { address: '0.0.0.0', port: 0 }, { path: '/nonexistent/fuzz.sock' },
];

function makeOps(e, opts = {}) {
  const readOn = opts.read ?? true, writeOn = opts.write ?? true;
  const ops = {};
  const pr = () => (e.kind === 'stream' ? 0.01 : 0.03);
  if (e.mode === 'read_write') {
    if (readOn) ops.readCb = (io, res, msg) => { const x = cbEnter(io, 'readCb'); onRead(x, res, msg, 'readCb'); nested(x, 'readCb', pr()); };
    if (writeOn) ops.writeCb = (io, res, msg) => { const x = cbEnter(io, msg ? 'writeCb' : 'connectCb'); const c = onWrite(x, res, msg, 'writeCb'); nested(x, c, 0.05); };
    const seg = opts.seg ?? 'none';
    if (seg !== 'none') ops.segmentationCb = segFn(e, seg);
  } else if (e.mode === 'recvfrom_sendto') {
    if (readOn) ops.recvfromCb = (io, res, msg, from) => { const x = cbEnter(io, 'recvfromCb'); checkFrom(x, res, from); onRead(x, res, msg, 'recvfromCb'); nested(x, 'recvfromCb', pr()); };
    if (writeOn) ops.sendtoCb = (io, res, msg) => { const x = cbEnter(io, 'sendtoCb'); onWrite(x, res, msg, 'sendtoCb'); nested(x, 'sendtoCb', 0.05); };
  } else {
    if (readOn) ops.recvmsgCb = (io, res, msg, info) => { const x = cbEnter(io, 'recvmsgCb'); checkFrom(x, res, info && info.from); onRead(x, res, msg, 'recvmsgCb'); nested(x, 'recvmsgCb', pr()); };
    if (writeOn) ops.sendmsgCb = (io, res, msg) => { const x = cbEnter(io, msg ? 'sendmsgCb' : 'connectCb'); const c = onWrite(x, res, msg, 'sendmsgCb'); nested(x, c, 0.05); };
  }
  return ops;
}

function jsIpa(d) {
  if (d.length < 3) return -errno.EAGAIN;
  return d.readUInt16BE(0) + 3;
}
/** The segmentation callbacks: JS variants may act on the iofd (close, unregister, register, ...) mid-segmentation. */
function segFn(e, kind) {
  if (kind === 'native-ipa') return ipaNative;
  return (data) => {
    cb('segmentationCb');
    const x = e;
    if (x.closed) fail('segmentationCb after close()', `${x}`);
    if (!x.registered) fail('segmentationCb while unregistered', `${x}`);
    if (!Buffer.isBuffer(data)) fail('segmentationCb without a Buffer');
    let r;
    if (kind === 'js-all') r = data.length || -errno.EAGAIN;
    else if (kind === 'js-chunk') r = data.length === 0 ? -errno.EAGAIN : chance(0.1) ? -errno.EAGAIN : ri(1, data.length);
    else r = jsIpa(data);
    if (!AVOID.has('I12') && (kind === 'js-actor' || chance(0.01))) nested(x, 'segmentationCb', kind === 'js-actor' ? 0.02 : 1);
    return r;
  };
}

// ---- creating pairs ----------------------------------------------------------------------------------------------
function newEnd(kind, label, fd, mode, content, reuse) {
  let io;
  const e = new End(null, kind, mode, label);
  const seg = mode === 'read_write' && kind === 'stream'
    ? (content === 'ipa' ? pick(['native-ipa', 'native-ipa', 'js-ipa', 'js-actor', 'none', 'js-chunk']) : pick(['none', 'none', 'js-chunk', 'js-actor', 'native-ipa']))
    : 'none';
  e.seg = seg;
  e.frameCheck = content === 'ipa' && (seg === 'native-ipa' || seg === 'js-ipa' || seg === 'js-actor');
  if (reuse) {
    io = reuse;
    e.prev = endOf.get(io);  // the End this IoFd served before
    e.io = io; endOf.set(io, e);
    io.setIoOps(makeOps(e, { seg }));
  } else {
    // the IoFd does not exist yet when the ops are built: the closures look it up through endOf
    const ops = makeOps(e, { seg });
    io = IoFd.setup(fd, label, mode, ops);
    allIo.add(io);
    e.io = io; endOf.set(io, e);
  }
  return { e, io };
}

function registerEnd(e, fd) {
  try {
    if (fd === undefined) e.io.register(); else e.io.register(fd);
    e.registered = true; e.eofs = 0;
    hist(e, `registered${fd === undefined ? "" : ` fd ${fd}`}`);
  } catch (err) { expectedError(err, 'register'); }
}

function pairUp(a, b, kind, contentAB, contentBA) {
  a.peer = b; b.peer = a;
  const ab = new Dir(kind === 'stream' ? 'stream' : 'msg', contentAB), ba = new Dir(kind === 'stream' ? 'stream' : 'msg', contentBA);
  a.tx = ab; b.rx = ab; b.tx = ba; a.rx = ba;
  dirSender.set(ab.id, a); dirSender.set(ba.id, b);
  ends.add(a); ends.add(b);
}

function streamMode() { return chance(0.8) ? 'read_write' : pick(MODES); }
function content() { return chance(0.5) ? 'ipa' : 'pattern'; }

function createSocketpair(ctx) {
  if (ends.size >= MAX_ENDS) return;
  const type = pick(['stream', 'stream', 'stream', 'dgram', 'seqpacket']);
  const [fa, fb] = socketpair(type);
  const kind = type === 'stream' ? 'stream' : 'dgram';
  const ma = kind === 'stream' ? streamMode() : pick(MODES), mb = kind === 'stream' ? streamMode() : pick(MODES);
  const ca = content(), cbb = content();
  // an IoFd closed earlier may be registered again with the new fd (slot / id reuse)
  const ra = spare.length && chance(0.3) && !(AVOID.has('F1') && depth > 0) && !AVOID.has('F6') ? spare.splice(ri(0, spare.length - 1), 1)[0] : null;
  const useA = ra && ra.mode === ma ? ra : null;
  if (ra && !useA) spare.push(ra);
  const A = newEnd(kind, `sp-${type}`, useA ? -1 : fa, ma, cbb, useA);
  const B = newEnd(kind, `sp-${type}`, fb, mb, ca, null);
  pairUp(A.e, B.e, kind, ca, cbb);
  if (useA) registerEnd(A.e, fa); else if (chance(0.9)) registerEnd(A.e);
  if (chance(0.9)) registerEnd(B.e);
  if (!A.e.registered && useA) { try { sock.close(fa); } catch {} A.e.closed = true; ends.delete(A.e); }
  trace(`${ctx}: socketpair ${type} ${A.e} <-> ${B.e}${useA ? ' (reused IoFd)' : ''}`);
}

// TCP: one listener (reopened when closed), clients paired with their accepted side by port
let acceptor = null, listenPort = 0;
const connecting = new Map(); // client local port -> End
function openListener() {
  const lfd = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 }, listen: 64 });
  listenPort = sock.localAddress(lfd).port;
  const me = { closed: false };
  acceptor = Acceptor.open(lfd, 'fuzz-listener', (fd, peer) => {
    cb('acceptCb');
    if (me.closed) fail('acceptCb after Acceptor.close()', `fd ${fd}`);
    const c = peer && connecting.get(peer.port);
    if (!c) { sock.close(fd); return; }
    connecting.delete(peer.port);
    const S = newEnd('stream', 'tcp-srv', fd, streamMode(), c.tx.content, null);
    S.e.peer = c; c.peer = S.e; S.e.rx = c.tx; S.e.tx = c.rx;
    ends.add(S.e);
    if (chance(0.9)) registerEnd(S.e);
    trace(`acceptCb: accepted ${S.e} for ${c}`);
    if (!quiescing && chance(0.3)) { depth++; try { randomOp('acceptCb', S.e); } finally { depth--; } }
  }, (res) => { if (me.closed) fail('accept error callback after Acceptor.close()'); note(`accept ${errnoName(res)}`); });
  acceptorState = me;
}
let acceptorState = null;
function createTcp(ctx) {
  if (ends.size >= MAX_ENDS) return;
  if (!acceptor) openListener();
  const fd = sock.inet({ proto: 'tcp', remote: { address: '127.0.0.1', port: listenPort }, nodelay: chance(0.5) });
  const port = sock.localAddress(fd).port;
  const m = chance(0.85) ? 'read_write' : 'recvmsg_sendmsg';
  const rxContent = content();
  const C = newEnd('stream', 'tcp-cli', fd, m, rxContent, null);
  // the client's directions exist before the server side does; the server End adopts them on accept
  C.e.tx = new Dir('stream', content()); C.e.rx = new Dir('stream', rxContent);
  ends.add(C.e);
  connecting.set(port, C.e);
  // the documented order is notifyConnected() before register() (StreamClient); both orders are exercised
  const early = chance(0.5);
  if (!early) registerEnd(C.e);
  if (chance(0.9)) { C.e.notifies++; try { C.io.notifyConnected(); } catch (err) { C.e.notifies--; expectedError(err, 'notifyConnected'); } }
  if (early) registerEnd(C.e);
  trace(`${ctx}: tcp client ${C.e} port ${port}`);
}

// UDP: two unconnected sockets on loopback that send to each other with sendto / sendmsg and an address
function createUdp(ctx) {
  if (ends.size >= MAX_ENDS) return;
  const fa = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
  const fb = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
  const A = newEnd('dgram', 'udp', fa, pick(MODES), 'pattern', null);
  const B = newEnd('dgram', 'udp', fb, pick(MODES), 'pattern', null);
  A.e.addr = sock.localAddress(fa); B.e.addr = sock.localAddress(fb);
  A.e.dest = { address: B.e.addr.address, port: B.e.addr.port };
  B.e.dest = { address: A.e.addr.address, port: A.e.addr.port };
  pairUp(A.e, B.e, 'dgram', 'pattern', 'pattern');
  if (chance(0.9)) registerEnd(A.e);
  if (chance(0.9)) registerEnd(B.e);
  trace(`${ctx}: udp ${A.e} <-> ${B.e}`);
}

// ---- outside traffic ---------------------------------------------------------------------------------------------
// Datagrams from another process arrive while this loop sleeps: on io_uring their callbacks then run between ring
// sleeps, from the prepare phase (stats().sleepDispatches), and do anything from there, to any End. The outside
// Ends are not paired: a datagram must arrive whole (8-byte header: sequence, length; then a pattern).
const TRICKLER = `
const s = require('node:dgram').createSocket('udp4');
const ports = new Set();
let seq = 0;
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const [op, p] = l.split(' ');
  if (op === 'add') ports.add(Number(p)); else ports.delete(Number(p));
}).on('close', () => process.exit(0));
setInterval(() => {
  for (const p of ports) {
    const n = 8 + (seq % 293), b = Buffer.alloc(n);
    b.writeUInt32BE(seq, 0); b.writeUInt32BE(n, 4);
    for (let i = 8; i < n; i++) b[i] = (seq * 31 + i * 7) & 0xff;
    seq++;
    s.send(b, p, '127.0.0.1');
  }
}, 1);
`;
const OUTSIDE_MAX = 3;
const outside = new Set(); // live outside Ends
let trickler = null;

function checkOutside(e, res, msg) {
  if (msg.length !== res) fail('outside datagram: length differs from res', `${e} res ${res} len ${msg.length}`);
  if (res < 8) fail('outside datagram shorter than its header', `${e} ${res}`);
  const seq = msg.readUInt32BE(0), n = msg.readUInt32BE(4);
  if (n !== res) fail('outside datagram cut (not reported as EMSGSIZE)', `${e} got ${res} of ${n}`);
  if (seq <= e.lastSeq) fail('outside datagram duplicated or reordered', `${e} seq ${seq} after ${e.lastSeq}`);
  e.lastSeq = seq;
  for (let i = 8; i < n; i++) if (msg[i] !== ((seq * 31 + i * 7) & 0xff)) fail('outside datagram corrupted', `${e} seq ${seq} at ${i}`);
}

function onOutside(io, res, msg, kind) {
  const e = cbEnter(io, kind);
  if (!e.registered) fail(`${kind} while unregistered`, `${e}`);
  if (res > 0) checkOutside(e, res, msg);
  else if (res !== -errno.EMSGSIZE) note(`outside read ${errnoName(res)}`);
  if (quiescing || depth > 2) return;
  depth++;
  try {
    if (chance(0.3)) randomOp(`${kind}(outside)`, null);
    if (chance(0.03)) outsideOp(e);
  } finally { depth--; }
}

function createOutside() {
  if (outside.size >= OUTSIDE_MAX) return;
  trickler ??= spawn(process.execPath, ['-e', TRICKLER], { stdio: ['pipe', 'ignore', 'inherit'] });
  const fd = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
  const e = new End(null, 'outside', pick(['recvfrom_sendto', 'recvmsg_sendmsg']), 'outside');
  e.port = sock.localAddress(fd).port;
  e.lastSeq = -1;
  const ops = e.mode === 'recvfrom_sendto'
    ? { recvfromCb: (io, res, msg) => onOutside(io, res, msg, 'recvfromCb') }
    : { recvmsgCb: (io, res, msg) => onOutside(io, res, msg, 'recvmsgCb') };
  e.io = IoFd.setup(fd, 'outside', e.mode, ops);
  allIo.add(e.io); endOf.set(e.io, e); outside.add(e);
  registerEnd(e);
  trickler.stdin.write(`add ${e.port}\n`);
  trace(`outside ${e} on port ${e.port}`);
}

/** What a callback may do to an outside End itself: close it, (un)register it, change its read size. */
function outsideOp(e) {
  const op = pick(['close', 'unregister', 'register', 'setAllocInfo']);
  count(`${op}@outsideCb(self)`);
  hist(e, `outside: ${op}`);
  try {
    if (op === 'close') {
      trickler.stdin.write(`del ${e.port}\n`);
      e.io.close(); e.closed = true; outside.delete(e);
    } else if (op === 'unregister') {
      e.io.unregister(); e.registered = false;
    } else if (op === 'register') {
      if (!e.registered) registerEnd(e);
    } else {
      e.io.setAllocInfo(ri(16, 2048), 0);
    }
  } catch (err) { expectedError(err, `outside ${op}`); }
}

function closeOutside() {
  for (const e of outside) { e.io.close(); e.closed = true; }
  outside.clear();
  trickler?.stdin.end();
}

// ---- operations --------------------------------------------------------------------------------------------------
function expectedError(err, what) {
  const code = err && err.code;
  if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('ERR_'))) { note(`${what} threw ${code}`); return; }
  fail(`${what} threw an unexpected exception`, String(err && err.stack || err));
}

function liveEnds() { return [...ends]; }

function streamChunk(e) {
  const d = e.tx;
  if (d.content === 'pattern') {
    const r = rnd();
    const n = r < 0.4 ? ri(1, 64) : r < 0.7 ? ri(65, 2048) : r < 0.9 ? ri(2049, 16384) : ri(16385, 65536);
    return [randBytes(n)];
  }
  // IPA frames: a few, or a burst of thousands of tiny ones in one write (> 8192 events in one batch), maybe split
  const frames = [];
  const nf = chance(0.15) && !AVOID.has('I12') ? ri(8000, 9500) : ri(1, 20);
  for (let i = 0; i < nf; i++) {
    const plen = nf > 100 || chance(0.5) ? 0 : chance(0.8) ? ri(1, 200) : ri(201, 4000);
    const f = Buffer.allocUnsafe(3 + plen);
    f.writeUInt16BE(plen, 0); f[2] = d.nextSeq++ & 0xff;
    for (let j = 0; j < plen; j++) f[3 + j] = (rnd() * 256) | 0;
    frames.push(f);
  }
  const all = Buffer.concat(frames);
  if (!chance(0.5)) return [all];
  const parts = [];
  for (let p = 0; p < all.length;) { const n = Math.min(all.length - p, ri(1, Math.min(3000, all.length))); parts.push(all.subarray(p, p + n)); p += n; }
  return parts;
}

function doWrite(e, ctx) {
  if (e.txBytes > (1 << 20)) return;
  // UDP: a closed peer's port may be bound again by a new socket of another pair: stop sending to it
  if (e.dest && peerGone(e)) return;
  const bufs = e.kind === 'stream' ? streamChunk(e) : [dgramPayload(e.tx, chance(0.7) ? ri(12, 512) : ri(513, 8192))];
  for (const buf of bufs) {
    let rc;
    try {
      rc = e.mode === 'read_write' ? e.io.write(buf)
        : e.mode === 'recvfrom_sendto' ? e.io.sendto(buf, e.dest ? (chance(0.05) ? pick(ODD_DESTS) : e.dest) : null)
        : e.io.sendmsg(buf, e.dest ? { dest: chance(0.05) ? pick(ODD_DESTS) : e.dest } : {});
    } catch (err) { expectedError(err, 'write'); return; }
    count(`write@${ctx}`);
    if (VERBOSE) trace(`${ctx}: write ${e} ${buf.length} B -> rc ${rc}`);
    hist(e, `${ctx}: write ${buf.length} B -> ${rc}${e.tx ? ` (at ${e.tx.written})` : ''}`);
    if (rc === 0) {
      e.txq.push({ buf, left: buf.length, loose: false });
      e.txBytes += buf.length;
      if (e.tx) e.tx.written += buf.length;
      if (e.tx && e.kind === 'stream') e.tx.chunks.push(buf);
    } else {
      if (rc !== -errno.ENOSPC && rc !== -errno.EBADF) fail(`write returned ${errnoName(rc)}`, `${e}`);
      if (rc === -errno.EBADF && !e.closed) fail('write returned EBADF on an open iofd', `${e}`);
      note(`write rc ${errnoName(rc)}`);
      // a frame cut here leaves the stream mid-frame for the receiver's segmentation
      if (e.peer) e.peer.frameCheck = false;
      return;
    }
  }
}

function doClose(e, ctx) {
  trace(`${ctx}: close ${e}`);
  try { e.io.close(); } catch (err) { expectedError(err, 'close'); }
  e.closed = true; e.registered = false;
  e.txq.length = 0; e.txBytes = 0;
  ends.delete(e);
  for (const [p, c] of connecting) if (c === e) connecting.delete(p);
  if (spare.length < 8) spare.push(e.io);
}

const OPS = {
  setup: (e, ctx) => {
    try {
      const r = rnd();
      if (r < 0.6) createSocketpair(ctx); else if (r < 0.8) createTcp(ctx); else createUdp(ctx);
    } catch (err) { expectedError(err, 'setup'); }
  },
  register: (e) => { if (!e.registered) registerEnd(e); else { try { e.io.register(); } catch (err) { expectedError(err, 'register (again)'); } } },
  unregister: (e) => { try { e.io.unregister(); } catch (err) { expectedError(err, 'unregister'); } e.registered = false; },
  reregister: (e) => { OPS.unregister(e); OPS.register(e); },
  write: (e, ctx) => doWrite(e, ctx),
  close: (e, ctx) => doClose(e, ctx),
  setAllocInfo: (e) => {
    const size = pick([1, 2, 3, 7, 16, 100, 1024, 1024, 2048, 4096, 65535, ri(1, 65535)]);
    const headroom = chance(0.7) ? 0 : ri(0, 65535 - size);
    hist(e, `  setAllocInfo(${size}, ${headroom})`);
    try { e.io.setAllocInfo(size, headroom); e.allocSize = size; } catch (err) { expectedError(err, 'setAllocInfo'); }
  },
  setIoBuffers: (e) => {
    const op = pick(['read', 'write']), n = pick([-1, 0, 1, 2, 3, 8, 64, 1000]);
    try {
      // read_write mode on a datagram socket: several queued messages may go out in one writev, as one datagram
      const rc = e.io.setIoBuffers(op, n);
      hist(e, `  setIoBuffers('${op}', ${n}) -> ${rc}`);
      if (rc >= 0 && op === 'write' && n > 1) multiWrite.add(e.io);
    } catch (err) { expectedError(err, 'setIoBuffers'); }
  },
  setSqes: (e) => {
    try {
      let n = pick([-1, 0, 1, 2, 4, 32, 256, 300]);
      if (AVOID.has('F7') && e.kind === 'stream' && e.mode !== 'read_write') n = 1;
      const rc = e.io.setSqes('read', n);
      hist(e, `  setSqes('read', ${n}) -> ${rc}`);
      if (rc >= 0 && n > 1) e.reorder = true;
    } catch (err) { expectedError(err, 'setSqes'); }
  },
  txqueueClear: (e) => {
    if (AVOID.has('F4') && depth > 0) return;
    try { e.io.txqueueClear(); } catch (err) { expectedError(err, 'txqueueClear'); }
    if (e.txq.length && e.tx) e.tx.tainted = true;
    if (e.txq.length && e.peer) e.peer.frameCheck = false;
    e.txq.length = 0; e.txBytes = 0;
  },
  setIoOps: (e) => {
    const read = chance(0.85), write = chance(0.9);
    let seg = 'none';
    if (e.mode === 'read_write' && e.kind === 'stream') seg = pick(['none', 'native-ipa', 'js-ipa', 'js-chunk', 'js-actor']);
    if (AVOID.has('F2') && seg === 'none' && e.seg !== 'none') seg = 'js-all';
    try { e.io.setIoOps(makeOps(e, { read, write, seg })); } catch (err) { expectedError(err, 'setIoOps'); return; }
    if (seg !== e.seg) e.frameCheck = false;
    e.seg = seg;
    setBlind(e, !write);
  },
  notifyConnected: (e) => {
    if (e.mode === 'recvfrom_sendto') return;
    e.notifies++;
    try { e.io.notifyConnected(); } catch (err) { e.notifies--; expectedError(err, 'notifyConnected'); }
  },
  closeListener: () => { if (acceptor) { acceptor.close(); acceptorState.closed = true; acceptor = null; } },
};
const WEIGHTS = { setup: 6, register: 6, unregister: 5, reregister: 5, write: 30, close: 3, setAllocInfo: 4, setIoBuffers: 2, setSqes: 2, txqueueClear: 2, setIoOps: 5, notifyConnected: 2, closeListener: 0.2 };
const WTOTAL = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

/** Without a completion callback the fuzzer cannot see completions: resync from txqueueLen when it is back. */
function setBlind(e, blind) {
  if (blind === e.blind) return;
  e.blind = blind;
  if (!blind) {
    const left = e.io.txqueueLen;
    const drop = e.txq.length - left;
    if (drop < 0) fail('txqueueLen larger than the writes accepted', `${e} ${left} > ${e.txq.length}`);
    for (const t of e.txq.splice(0, drop)) e.txBytes -= t.buf.length;
    if (e.txq[0]) e.txq[0].loose = true; // may have been partly written unseen
  }
}

function randomOp(ctx, target) {
  let r = rnd() * WTOTAL, op = 'write';
  for (const [k, w] of Object.entries(WEIGHTS)) { r -= w; if (r < 0) { op = k; break; } }
  let e = target && !target.closed ? target : null;
  if (!e) { const l = liveEnds(); e = l.length ? pick(l) : null; }
  if (!e && op !== 'setup') op = 'setup';
  if (e && e.closed) return;
  count(`${op}@${ctx}`);
  if (op !== 'write' && op !== 'close') trace(`${ctx}: ${op} ${e ?? ''}`);
  if (op !== 'write') hist(e, `${ctx}: ${op}`);
  const prevFocus = focus;
  focus = e;
  OPS[op](e, ctx);
  focus = prevFocus;
}

// ---- main loop ---------------------------------------------------------------------------------------------------
const t0 = Date.now();
const quiesceMs = Math.min(8000, Math.max(3000, SECONDS * 100));
const endAt = t0 + SECONDS * 1000 - quiesceMs;
let lastProgress = t0;

console.log(`fuzz-api: backend ${getBackend()}, seed ${SEED}, ${SECONDS} s`);

function tick() {
  const now = Date.now();
  if (now - lastProgress > 10000) {
    lastProgress = now;
    let total = 0; for (const n of counts.values()) total += n;
    console.error(`  [${getBackend()}] ${((now - t0) / 1000).toFixed(0)} s: ${total} operations, ${ends.size} live ends`);
  }
  if (now >= endAt) { quiesce(); return; }
  const n = ri(1, 30);
  for (let i = 0; i < n; i++) randomOp('top', null);
  if (chance(0.05)) createOutside();
  for (const e of outside) if (!e.registered && chance(0.1)) registerEnd(e); // an unregistered one comes back
  // the loop must get to run the I/O: alternate immediate and short timers
  if (chance(0.7)) setImmediate(tick); else setTimeout(tick, ri(0, 3));
}

// Quiesce: no more random operations; every live end reads, completes and is registered; then every accepted
// write on a live pair must complete and every byte a completion reported must arrive.
function quiesce() {
  quiescing = true;
  trace('quiesce');
  for (const e of [...ends]) {
    const seg = AVOID.has('F2') && e.seg !== 'none' ? 'js-all' : 'none';
    try { e.io.setIoOps(makeOps(e, { read: true, write: true, seg })); } catch (err) { expectedError(err, 'setIoOps'); }
    e.frameCheck = false; e.seg = seg;
    setBlind(e, false);
    if (!e.registered) registerEnd(e);
  }
  // a segmentation switched off mid-frame keeps the partial frame until more bytes arrive: send one more chunk
  for (const e of [...ends]) if (e.kind === 'stream' && e.tx && e.peer && !e.peer.closed) {
    const b = randBytes(ri(1, 64));
    const rc = e.mode === 'read_write' ? e.io.write(b) : e.mode === 'recvfrom_sendto' ? e.io.sendto(b, null) : e.io.sendmsg(b, {});
    if (rc === 0) { e.txq.push({ buf: b, left: b.length, loose: false }); e.txBytes += b.length; e.tx.chunks.push(b); }
  }
  // liveness: a pair may be slow (1-byte reads under ASan) but must make progress; fail when one made none for
  // quiesceMs, or when the whole phase takes ten times that
  const hardDeadline = Date.now() + 10 * quiesceMs;
  const progress = new Map(); // End -> [received + completions seen, time of the last change]
  // A writer whose bytes fill the socket waits for its peer to read (the connect notification's POLLOUT too): the
  // pair progresses while the peer receives, however slowly (1-byte reads under ASan, one read per loop round)
  const stalled = (e) => {
    const peerRx = e.peer && e.peer.rx ? e.peer.rx.received : 0;
    const v = `${(e.rx ? e.rx.received : 0) + e.txq.length * 1e9 - e.txBytes}/${peerRx}`;
    const p = progress.get(e);
    if (!p || p[0] !== v) { progress.set(e, [v, Date.now()]); return false; }
    return Date.now() - p[1] > quiesceMs;
  };
  const check = () => {
    const pendingW = [...ends].filter((e) => e.txq.length && !peerGone(e) && e.registered);
    // (a closed peer may reset the connection and take unread bytes with it: only open pairs are checked)
    const pendingR = [...ends].filter((e) => e.kind === 'stream' && e.rx && !e.rx.tainted && !peerGone(e) && e.registered && e.rx.received < e.rx.completed);
    if (!pendingW.length && !pendingR.length) return finish();
    const stuckW = pendingW.filter(stalled), stuckR = pendingR.filter(stalled);
    if (Date.now() < hardDeadline && !stuckW.length && !stuckR.length) { setTimeout(check, 20); return; }
    if (stuckW.length || (pendingW.length && !stuckR.length)) {
      const e = stuckW[0] ?? pendingW[0];
      focus = e;
      fail('accepted writes never completed (live, registered pair)', `${pendingW.length} ends; ${e}: ${e.txq.length} messages (${e.txBytes} bytes) outstanding, txqueueLen ${e.io.txqueueLen}, peer ${e.peer}`);
    }
    const e = stuckR[0] ?? pendingR[0];
    focus = e;
    fail(`bytes reported written never arrived (silent loss; no progress for ${quiesceMs} ms)`, `${pendingR.length} ends; ${e}: received ${e.rx.received} of ${e.rx.completed}, peer ${e.peer}; IoFd registered ${e.io.registered}, mode ${e.io.mode}, ops ${Object.keys(e.io.getIoOps()).join(',')}`);
  };
  setTimeout(check, 20);
}

function finish() {
  closeOutside();
  for (const e of [...ends]) doClose(e, 'end');
  OPS.closeListener();
  for (const [, c] of connecting) if (!c.closed) doClose(c, 'end');
  for (const io of allIo) io.close();
  // the process must now exit by itself: a hang here is a failure (scripts/test-fuzz.sh has a timeout)
  const t = setTimeout(() => {
    const handles = process._getActiveHandles().map((h) => h.constructor.name);
    console.error(`fuzz-api: ${getBackend()}: still running 20 s after everything was closed; active handles ${JSON.stringify(handles)}; core stats ${JSON.stringify(stats())}`);
  }, 20000);
  t.unref();
  printCounts();
  console.log(`fuzz-api: ${getBackend()} OK`);
  // everything is closed: the process must exit by itself (a spinning or stuck loop is a failure of the runner)
}

process.on('uncaughtException', (err) => fail('uncaught exception', String(err && err.stack || err)));
tick();
