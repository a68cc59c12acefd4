// TCP echo server on @osmo/io: sock.inet listen + Acceptor + one IoFd (read_write) per connection with the
// native IPA-style length-prefix segmentation; every received message is written back as it is
// (received Buffers belong to the application, docs/design.md §3, so echoing the same Buffer is allowed).
// The backend comes from OSMO_IO_BACKEND (poll | io_uring), set by bench/run.js.
//
//   node bench/servers/osmo-tcp-echo.js [--port 0] [--host 127.0.0.1] [--txqueue-max N]

import * as io from '@osmo/io';
import { serveControl, send, args } from './control.js';

const { IoFd, sock, Acceptor, lengthPrefixSegmentation, getBackend } = io;
const opt = args();

let msgs = 0;
let bytes = 0;
let conns = 0;
let accepted = 0;
let readErrors = 0;
let writeErrors = 0;
let eofs = 0;
let enospc = 0;

const segmentationCb = lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3 });

/** @type {import('@osmo/io').IoOps} */
const ops = {
  segmentationCb,
  readCb(iofd, res, msg) {
    if (res <= 0) {
      if (res === 0) eofs++;
      else readErrors++;
      conns--;
      iofd.close();
      return;
    }
    msgs++;
    bytes += msg.length;
    const rc = iofd.write(msg);
    if (rc < 0) {
      if (rc === -io.errno.ENOSPC) enospc++;
      else writeErrors++;
    }
  },
  writeCb(_iofd, res) {
    if (res < 0) writeErrors++;
  },
};

const lfd = sock.inet({
  proto: 'tcp',
  local: { address: opt.host ?? '127.0.0.1', port: Number(opt.port ?? 0) },
  listen: 4096,
  reuseAddr: true,
});
const port = /** @type {{ port: number }} */ (sock.localAddress(lfd)).port;
const { IPPROTO_TCP, TCP_NODELAY } = sock.constants;

const acceptor = Acceptor.open(lfd, 'bench-accept', (fd) => {
  accepted++;
  conns++;
  sock.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  const iofd = IoFd.setup(fd, `echo-${accepted}`, 'read_write', ops);
  if (opt['txqueue-max']) iofd.txqueueMaxLength = Number(opt['txqueue-max']);
  iofd.register();
}, (res) => {
  process.stderr.write(`osmo-tcp-echo: accept error ${res}\n`);
});

const coreStats = () => (typeof io.stats === 'function' ? io.stats() : null);

send({ event: 'ready', server: 'osmo-tcp-echo', pid: process.pid, port, backend: getBackend(),
  hasStats: typeof io.stats === 'function' });

serveControl(() => {
  const core = coreStats();
  return { msgs, bytes, conns, accepted, eofs, readErrors, writeErrors, enospc,
    syscalls: core && typeof core.syscalls === 'number' ? core.syscalls : null, core };
}, () => acceptor.close());
