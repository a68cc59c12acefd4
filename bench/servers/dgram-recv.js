// Baseline UDP receiver: Node `dgram`, counts datagrams of the blaster's size (default 100 bytes) from the
// first one to the first end marker (a 4-byte "ENDM" datagram), then reports {"event":"udp_done"}.
//
//   node bench/servers/dgram-recv.js [--port 0] [--host 127.0.0.1] [--size 100] [--rcvbuf 8388608]

import dgram from 'node:dgram';
import { serveControl, send, args } from './control.js';

const opt = args();
const size = Number(opt.size ?? 100);
const rcvbuf = Number(opt.rcvbuf ?? 8 << 20);

let msgs = 0;
let bytes = 0;
let bad = 0;
let markers = 0;
let firstNs = 0n;
let lastNs = 0n;
let done = false;

const s = dgram.createSocket({ type: 'udp4', recvBufferSize: rcvbuf });
s.on('message', (msg) => {
  if (msg.length === size) {
    if (done) return; // late data after the marker: not part of the window
    if (msgs === 0) firstNs = process.hrtime.bigint();
    msgs++;
    bytes += msg.length;
    return;
  }
  if (msg.length === 4 && msg.toString('latin1') === 'ENDM') {
    markers++;
    if (!done && msgs > 0) {
      done = true;
      lastNs = process.hrtime.bigint();
      send({ event: 'udp_done', msgs, seconds: Number(lastNs - firstNs) / 1e9 });
    }
    return;
  }
  bad++;
});
s.on('error', (e) => {
  process.stderr.write(`dgram-recv: ${e.message}\n`);
  process.exit(1);
});
s.bind({ port: Number(opt.port ?? 0), address: opt.host ?? '127.0.0.1' }, () => {
  // recvBufferSize is capped at net.core.rmem_max (the kernel doubles the value it stores)
  send({ event: 'ready', server: 'dgram-recv', pid: process.pid, port: s.address().port, rcvbuf: s.getRecvBufferSize() });
});

serveControl(() => ({ msgs, bytes, bad, markers, done, seconds: done ? Number(lastNs - firstNs) / 1e9 : null }));
