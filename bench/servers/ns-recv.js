// NS-UNITDATA receiver: one @osmo/ns2-udp NsInstance with one UDP bind. The blaster's datagrams (BE64 sequence +
// pattern) start with 0x00 0x00 0x0000: NS-UNITDATA, BVCI 0. The blaster does no NS handshake, so the NS-VC for
// its address is configured on its first datagram (static-alive dialect, as a configured `nsvc udp` would be;
// RECOVERING/UNBLOCKED NS-VCs deliver unitdata). Counts unitdata indications of the blaster's SDU size up to the
// first 4-byte "ENDM" end marker, then reports {"event":"udp_done"} (the protocol of dgram-recv.js).
//
//   node bench/servers/ns-recv.js --transport osmo|dgram [--port 0] [--host 127.0.0.1] [--size 100]
//        [--rcvbuf 8388608] [--alloc 2048] [--sqes 32]   (read size and armed receives as osmo-udp-recv.js)
// --transport osmo: the library's default IoFd transport (backend from OSMO_IO_BACKEND);
// --transport dgram: the same NS code over Node's dgram socket.

import dgram from 'node:dgram';
import * as io from '@osmo/io';
import { CtrlRegistry } from '@osmo/ctrl';
import { NsInstance, ioFdTransport, inetAddr } from '@osmo/ns2-udp';
import { serveControl, send, args } from './control.js';

const opt = args();
const size = Number(opt.size ?? 100);
const rcvbuf = Number(opt.rcvbuf ?? 8 << 20);
const alloc = Number(opt.alloc ?? 2048);
const sqes = Number(opt.sqes ?? 32);
const transport = opt.transport ?? 'osmo';

let msgs = 0, bytes = 0, bad = 0, markers = 0, firstNs = 0n, lastNs = 0n, done = false;

/** the end marker is not NS: intercept it before the NS code */
const wrapRx = (rx) => (res, msg, from) => {
  if (res === 4 && msg.toString('latin1', 0, 4) === 'ENDM') {
    markers++;
    if (!done && msgs > 0) {
      done = true;
      lastNs = process.hrtime.bigint();
      send({ event: 'udp_done', msgs, seconds: Number(lastNs - firstNs) / 1e9 });
    }
    return;
  }
  rx(res, msg, from);
};

/** @type {import('@osmo/ns2-udp').NsTransportFactory} */
let factory;
let dsock = null;
if (transport === 'dgram') {
  dsock = dgram.createSocket({ type: 'udp4', recvBufferSize: rcvbuf });
  await new Promise((r) => dsock.bind({ port: Number(opt.port ?? 0), address: opt.host ?? '127.0.0.1' }, r));
  factory = (_o, rx) => {
    const wrx = wrapRx(rx);
    dsock.on('message', (msg, rinfo) => wrx(msg.length, msg, inetAddr(rinfo.address, rinfo.port)));
    const a = dsock.address();
    return {
      local: { address: a.address, port: a.port, family: 'IPv4' },
      sendto: (buf, to) => { dsock.send(buf, to.port, to.address); return 0; },
      close: () => dsock.close(),
    };
  };
} else {
  factory = (o, rx, txe) => {
    const t = ioFdTransport({ ...o, rcvBuf: rcvbuf, readSize: alloc, readSqes: sqes }, wrapRx(rx), txe);
    return t;
  };
}

const ns = new NsInstance({ registry: new CtrlRegistry({ autoTick: false }), timers: { 'tns-alive': 60, 'tns-test': 60 } });
const bind = ns.bind({ address: opt.host ?? '127.0.0.1', port: Number(opt.port ?? 0) }, factory);
const nse = ns.createNse(1, { dialect: 'static-alive' });
const origUnknown = ns.rxUnknownPeer.bind(ns);
ns.rxUnknownPeer = (b, msg, from) => {
  if (msg.length > 0 && msg[0] === 0x00 && !b.lookup(from)) {
    const vc = ns.connect(nse, b, from.address, from.port);
    vc.rx(msg);
    return;
  }
  origUnknown(b, msg, from);
};
const sduLen = size - 4;
ns.on('unitdata', (u) => {
  if (u.sdu.length !== sduLen) { bad++; return; }
  if (done) return;
  if (msgs === 0) firstNs = process.hrtime.bigint();
  msgs++;
  bytes += u.sdu.length + 4;
});

const coreStats = () => (transport === 'osmo' && typeof io.stats === 'function' ? io.stats() : null);
send({ event: 'ready', server: `ns-recv(${transport})`, pid: process.pid, port: bind.local.port,
  backend: transport === 'osmo' ? io.getBackend() : 'dgram', rcvbuf: dsock ? dsock.getRecvBufferSize() : io.sock.getsockopt(bind.iofd.fd, io.sock.constants.SOL_SOCKET, io.sock.constants.SO_RCVBUF),
  tuning: transport === 'osmo' ? { readSize: alloc, readSqes: sqes } : {}, hasStats: transport === 'osmo' });

serveControl(() => {
  const core = coreStats();
  return { msgs, bytes, bad, errors: bind.rxErrors, markers, done, seconds: done ? Number(lastNs - firstNs) / 1e9 : null,
    syscalls: core && typeof core.syscalls === 'number' ? core.syscalls : null, core };
}, () => ns.close());
