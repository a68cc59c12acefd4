/**
 * One measurement: 64 SCTP associations on loopback echoing 100-byte messages with PPID and stream, client and
 * server in this process, on the backend OSMO_IO_BACKEND picks. Prints one JSON line: messages/s (echo round
 * trips completed), CPU µs and core system calls per message (both ends together: one message = one send and
 * one receive on each side).
 *   node --import tsx --conditions=source bench/sctp/echo.ts [--assocs 64] [--window 8] [--seconds 4] [--warmup 1]
 */
import { getBackend, stats } from '@osmo/io';
import { SctpClient, SctpServer, type RcvInfo, type SctpServerConn } from '@osmo/sctp';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ASSOCS = arg('assocs', 64), WINDOW = arg('window', 8), SECONDS = arg('seconds', 4), WARMUP = arg('warmup', 1);

const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }], streams: { out: 4, in: 4 }, nodelay: true, readSize: 2048 });
srv.on('connection', (c: SctpServerConn) => c.on('message', (d: Buffer, r: RcvInfo) => { c.send(d, { ppid: r.ppid, stream: r.stream }); }));
let echoes = 0, errors = 0;
const msg = Buffer.alloc(100, 0x42);
const clis: SctpClient[] = [];
await Promise.all(Array.from({ length: ASSOCS }, (_, i) => new Promise<void>((resolve) => {
  const c = new SctpClient({ remote: [{ address: '127.0.0.1', port: srv.port }], streams: { out: 4, in: 4 }, nodelay: true, readSize: 2048 });
  c.on('connect', () => { for (let k = 0; k < WINDOW; k++) c.send(msg, { ppid: 3, stream: (i + k) % 4 }); resolve(); });
  c.on('message', (d: Buffer, r: RcvInfo) => {
    if (r.ppid !== 3 || d.length !== 100) errors++;
    echoes++;
    c.send(msg, { ppid: 3, stream: r.stream });
  });
  c.open();
  clis.push(c);
})));
await new Promise((r) => setTimeout(r, WARMUP * 1000));
const e0 = echoes, c0 = process.cpuUsage(), s0 = stats(), t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const n = echoes - e0, cpu = process.cpuUsage(c0), s1 = stats(), dt = Number(process.hrtime.bigint() - t0) / 1e9;
const msgs = n * 2; // each round trip is two messages (client -> server -> client)
console.log(JSON.stringify({
  backend: getBackend(), assocs: ASSOCS, window: WINDOW, seconds: dt, roundTrips: n, msgsPerSec: msgs / dt,
  cpuUsPerMsg: (cpu.user + cpu.system) / msgs, syscallsPerMsg: (s1.syscalls - s0.syscalls) / msgs,
  uringSqesPerMsg: ((s1.uringSqes ?? 0) - (s0.uringSqes ?? 0)) / msgs, errors,
}));
for (const c of clis) c.close();
srv.close(true);
process.exit(0);
