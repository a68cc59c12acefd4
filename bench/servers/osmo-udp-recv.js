// UDP receiver on @osmo/io: one IoFd in recvfrom_sendto mode; counts datagrams of the blaster's size from
// the first one to the first 4-byte "ENDM" end marker, then reports {"event":"udp_done"} (same protocol
// as dgram-recv.js). The backend comes from OSMO_IO_BACKEND (poll | io_uring), set by bench/run.js.
//
//   node bench/servers/osmo-udp-recv.js [--port 0] [--host 127.0.0.1] [--size 100] [--rcvbuf 8388608]
//        [--sqes 64]      read SQEs kept in flight (io_uring; setSqes('read', n)), 0 = library default
//        [--iobufs 0]     buffers per read (setIoBuffers('read', n)), 0 = library default
//        [--alloc 2048]   message buffer size (setAllocInfo(size, 0)); 0 = library default

import * as io from '@osmo/io';
import { serveControl, send, args } from './control.js';
import { ReceiveWindow } from './window.js';

const { IoFd, sock, getBackend } = io;
const opt = args();
const size = Number(opt.size ?? 100);
const rcvbuf = Number(opt.rcvbuf ?? 8 << 20);
const sqes = Number(opt.sqes ?? 64);
const iobufs = Number(opt.iobufs ?? 0);
const alloc = Number(opt.alloc ?? 2048);

const w = new ReceiveWindow();
let errors = 0;

const fd = sock.inet({ proto: 'udp', local: { address: opt.host ?? '127.0.0.1', port: Number(opt.port ?? 0) } });
const { SOL_SOCKET, SO_RCVBUF } = sock.constants;
// Like dgram's recvBufferSize: SO_RCVBUF, capped by net.core.rmem_max (the kernel stores twice the value).
sock.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
const port = /** @type {{ port: number }} */ (sock.localAddress(fd)).port;

const iofd = IoFd.setup(fd, 'bench-udp-recv', 'recvfrom_sendto', {
  recvfromCb(_iofd, res, msg) {
    if (res < 0) { errors++; return; }
    if (res === size) w.data(res);
    else if (!w.marker(res, msg)) w.bad++;
  },
});

/** @type {Record<string, unknown>} */
const tuning = {};
const tryTune = (/** @type {string} */ name, /** @type {() => unknown} */ fn) => {
  try { const r = fn(); tuning[name] = r === undefined ? 'ok' : r; } catch (e) { tuning[name] = `error: ${/** @type {Error} */ (e).message}`; }
};
if (alloc > 0) tryTune(`setAllocInfo(${alloc},0)`, () => iofd.setAllocInfo(alloc, 0));
if (iobufs > 0) tryTune(`setIoBuffers('read',${iobufs})`, () => iofd.setIoBuffers('read', iobufs));
if (sqes > 0) tryTune(`setSqes('read',${sqes})`, () => iofd.setSqes('read', sqes));
iofd.register();

const coreStats = () => (typeof io.stats === 'function' ? io.stats() : null);

send({ event: 'ready', server: 'osmo-udp-recv', pid: process.pid, port, backend: getBackend(),
  rcvbuf: sock.getsockopt(fd, SOL_SOCKET, SO_RCVBUF), tuning, hasStats: typeof io.stats === 'function' });

serveControl(() => {
  const core = coreStats();
  return { ...w.stats(), errors,
    syscalls: core && typeof core.syscalls === 'number' ? core.syscalls : null, core };
}, () => iofd.close());
