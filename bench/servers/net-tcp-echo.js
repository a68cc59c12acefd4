// Baseline TCP echo server: Node `net`, IPA-like framing in JS (3-byte header: BE16 length + proto),
// one socket.write() per echoed message. The reference point for osmo-tcp-echo.js.
//
//   node bench/servers/net-tcp-echo.js [--port 0] [--host 127.0.0.1]

import net from 'node:net';
import { serveControl, send, args } from './control.js';

const opt = args();
const HEADER = 3;
let msgs = 0;
let bytes = 0;
let conns = 0;
let accepted = 0;
let errors = 0;

const server = net.createServer({ noDelay: true }, (socket) => {
  conns++;
  accepted++;
  socket.setNoDelay(true);
  /** @type {Buffer | null} */
  let pending = null;
  socket.on('data', (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    let off = 0;
    while (buf.length - off >= HEADER) {
      const total = HEADER + buf.readUInt16BE(off);
      if (buf.length - off < total) break;
      // The chunk is ours (Node allocates a new one per read), so a view of it can be written back.
      socket.write(buf.subarray(off, off + total));
      msgs++;
      bytes += total;
      off += total;
    }
    if (off < buf.length) pending = buf.subarray(off);
  });
  socket.on('error', () => { errors++; });
  socket.on('close', () => { conns--; });
});

server.listen({ port: Number(opt.port ?? 0), host: opt.host ?? '127.0.0.1', backlog: 4096 }, () => {
  const addr = /** @type {net.AddressInfo} */ (server.address());
  send({ event: 'ready', server: 'net-tcp-echo', pid: process.pid, port: addr.port });
});

serveControl(() => ({ msgs, bytes, conns, accepted, errors }));
