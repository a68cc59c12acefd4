// Baseline UDP receiver: Node `dgram`, counts datagrams of the blaster's size (default 100 bytes) from the
// first one to the first end marker (a 4-byte "ENDM" datagram), then reports {"event":"udp_done"}.
//
//   node bench/servers/dgram-recv.js [--port 0] [--host 127.0.0.1] [--size 100] [--rcvbuf 8388608]

import dgram from 'node:dgram';
import { serveControl, send, args } from './control.js';
import { ReceiveWindow } from './window.js';

const opt = args();
const size = Number(opt.size ?? 100);
const rcvbuf = Number(opt.rcvbuf ?? 8 << 20);

const w = new ReceiveWindow();

const s = dgram.createSocket({ type: 'udp4', recvBufferSize: rcvbuf });
s.on('message', (msg) => {
  if (msg.length === size) w.data(msg.length);
  else if (!w.marker(msg.length, msg)) w.bad++;
});
s.on('error', (e) => {
  process.stderr.write(`dgram-recv: ${e.message}\n`);
  process.exit(1);
});
s.bind({ port: Number(opt.port ?? 0), address: opt.host ?? '127.0.0.1' }, () => {
  // recvBufferSize is capped at net.core.rmem_max (the kernel doubles the value it stores)
  send({ event: 'ready', server: 'dgram-recv', pid: process.pid, port: s.address().port, rcvbuf: s.getRecvBufferSize() });
});

serveControl(() => w.stats());
