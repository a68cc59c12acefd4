// NS-UNITDATA receiver: one @osmo/ns2-udp NsInstance with one UDP bind. The blaster's datagrams (BE64 sequence +
// pattern) start with 0x00 0x00 0x0000: NS-UNITDATA, BVCI 0. The blaster does no NS handshake, so the NS-VC for
// its address is configured on its first datagram (an IP-SNS-dialect NS-VC: it starts UNBLOCKED). Counts unitdata indications of the blaster's SDU size up to the
// first 4-byte "ENDM" end marker, then reports {"event":"udp_done"} (the protocol of dgram-recv.js).
//
//   node bench/servers/ns-recv.js --transport osmo|dgram [--port 0] [--host 127.0.0.1] [--size 100]
//        [--rcvbuf 8388608] [--alloc 2048] [--sqes 32]   (read size and armed receives as osmo-udp-recv.js)
//        [--txq 128]      tx queue length of the bind (upstream's default 128)
//        [--echo 1]       send every PDU back with sendUnitdata (the blaster ignores what it gets)
// --transport osmo: the library's default IoFd transport (backend from OSMO_IO_BACKEND);
// --transport dgram: the same NS code over Node's dgram socket.

import dgram from 'node:dgram';
import * as io from '@osmo/io';
import { CtrlRegistry } from '@osmo/ctrl';
import { NsInstance, ioFdTransport, inetAddr } from '@osmo/ns2-udp';
import { serveControl, send, args } from './control.js';
import { ReceiveWindow } from './window.js';

const opt = args();
const size = Number(opt.size ?? 100);
const rcvbuf = Number(opt.rcvbuf ?? 8 << 20);
const alloc = Number(opt.alloc ?? 2048);
const sqes = Number(opt.sqes ?? 32);
const txq = Number(opt.txq ?? 128);
const transport = opt.transport ?? 'osmo';
const echo = Number(opt.echo ?? 0) === 1;
let echoed = 0, echoFailed = 0, lastEchoError = 0;

const w = new ReceiveWindow();

/** the end marker is not NS: intercept it before the NS code */
const wrapRx = (rx) => (res, msg, from) => {
  if (!w.marker(res, msg)) rx(res, msg, from);
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
    const t = ioFdTransport({ ...o, rcvBuf: rcvbuf, readSize: alloc, readSqes: sqes, txQueueMax: txq }, wrapRx(rx), txe);
    return t;
  };
}

const ns = new NsInstance({ registry: new CtrlRegistry({ autoTick: false }), timers: { 'tns-alive': 60, 'tns-test': 60 } });
const bind = ns.bind({ address: opt.host ?? '127.0.0.1', port: Number(opt.port ?? 0) }, factory);
// an IP-SNS-dialect NS-VC starts UNBLOCKED (alive until its ALIVEs fail: 10 x 60 s here), so the NSE is alive and
// the echo can use sendUnitdata; a static-alive VC would stay RECOVERING (the blaster answers no ALIVE)
const nse = ns.createNse(1, { dialect: 'sns', role: 'sgsn' });
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
  if (u.sdu.length !== sduLen) { w.bad++; return; }
  if (!w.data(u.sdu.length + 4)) return;
  if (echo) {
    // the SDU view is ours to keep: it goes back out as it is (through load sharing to the same NS-VC)
    const rc = ns.sendUnitdata(u.nsei, u.bvci, 0, u.sdu);
    if (rc === 0) echoed++; else { echoFailed++; lastEchoError = rc; }
  }
});

const coreStats = () => (transport === 'osmo' && typeof io.stats === 'function' ? io.stats() : null);
send({ event: 'ready', server: `ns-recv(${transport})`, pid: process.pid, port: bind.local.port,
  backend: transport === 'osmo' ? io.getBackend() : 'dgram', rcvbuf: dsock ? dsock.getRecvBufferSize() : io.sock.getsockopt(bind.iofd.fd, io.sock.constants.SOL_SOCKET, io.sock.constants.SO_RCVBUF),
  tuning: transport === 'osmo' ? { readSize: alloc, readSqes: sqes } : {}, hasStats: transport === 'osmo' });

serveControl(() => {
  const core = coreStats();
  return { ...w.stats(), errors: bind.rxErrors, echoed, echoFailed, lastEchoError,
    syscalls: core && typeof core.syscalls === 'number' ? core.syscalls : null, core };
}, () => ns.close());
