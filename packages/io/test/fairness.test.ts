/**
 * While the ring keeps waking the loop, the rest of Node still gets its turn. On io_uring, as long as only the ring
 * has work, the loop hands each wake-up to JS from its prepare phase and sleeps in the ring again, without a round
 * through libuv (see OnPrepare() in src/addon/uv_loop.cc). Timers, immediates and libuv's own sockets must
 * not wait for that to end: each is checked against a steady datagram stream from another process.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { IoFd, getBackend, sock, stats } from '@osmo/io';

// ~2,000 datagrams/s until killed: most wake-ups carry one or two
const SENDER = `
const s = require('node:dgram').createSocket('udp4');
const b = Buffer.alloc(16);
setInterval(() => { s.send(b, Number(process.argv[1]), '127.0.0.1'); s.send(b, Number(process.argv[1]), '127.0.0.1'); }, 1);
`;
const LATE_LIMIT_MS = 4;
// OSMO_IO_URING_COALESCE_US holds a sleep out for its window whatever woke it, libuv's own fds too
const RTT_LIMIT_MS = LATE_LIMIT_MS + (2 * Number(process.env.OSMO_IO_URING_COALESCE_US ?? 0)) / 1000;

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe(`the loop stays fair while the ring keeps waking it (${getBackend()})`, function () {
  this.timeout(20000);
  let iofd: IoFd;
  let sender: ChildProcess;
  let reads = 0;
  let onRead: (() => void) | undefined;
  let handedOver0 = 0; // stats().sleepDispatches before the stream (the counter is the process's)

  beforeEach(async () => {
    const fd = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
    const port = (sock.localAddress(fd) as { port: number }).port;
    reads = 0;
    onRead = undefined;
    iofd = IoFd.setup(fd, 'fairness', 'recvfrom_sendto', {
      recvfromCb(_f, res) { if (res > 0) { reads++; onRead?.(); } },
    });
    iofd.register();
    handedOver0 = stats().sleepDispatches!;
    sender = spawn(process.execPath, ['-e', SENDER, String(port)], { stdio: 'inherit' });
    for (let t = 0; reads < 200 && t < 500; t++) await sleep(10); // the stream is on
    expect(reads, 'the stream did not start').to.be.at.least(200);
  });

  afterEach(() => {
    sender.kill();
    iofd.close();
  });

  it('the stream is handed to JS between ring sleeps where the loop sleeps in the ring, and only there', () => {
    const s = stats();
    const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    if (getBackend() === 'io_uring' && s.uringFlags! & IORING_SETUP_DEFER_TASKRUN) {
      expect(s.uringSleeps, 'ring sleeps').to.be.above(0);
      expect(s.sleepDispatches! - handedOver0, 'batches handed over between ring sleeps').to.be.at.least(20);
    } else {
      expect(s.sleepDispatches! - handedOver0).to.equal(0); // poll, or a ring that sleeps in libuv's epoll_wait
    }
  });

  it(`timers fire on time (median lateness of 30 timers < ${LATE_LIMIT_MS} ms)`, async () => {
    const late: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await sleep(3);
      late.push(performance.now() - t0 - 3);
    }
    expect(median(late), `lateness (ms): ${late.map((d) => d.toFixed(2)).join(' ')}`).to.be.below(LATE_LIMIT_MS);
  });

  it('an immediate set by a read callback runs before the next wake-ups are handed over', async () => {
    const after: number[] = [];
    await new Promise<void>((resolve) => {
      let pending = false;
      onRead = () => {
        if (pending) return;
        pending = true;
        const at = stats().dispatches!; // counts the batch this callback is part of
        setImmediate(() => {
          pending = false;
          after.push(stats().dispatches! - at); // batches handed over since
          if (after.length === 50) { onRead = undefined; resolve(); }
        });
      };
    });
    // 0, or 1 where libuv had a batch of its own ready; rounds of wake-ups in between (up to 64) would show here
    expect(Math.max(...after), `batches before the immediate: ${after.join(' ')}`).to.be.below(3);
  });

  it(`a net socket on libuv keeps its pace (median round trip of 40 < ${RTT_LIMIT_MS} ms)`, async () => {
    const srv = net.createServer((c) => c.on('data', (d) => c.write(d)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    c.setNoDelay(true);
    await new Promise<void>((r) => c.once('connect', r));
    const rtt: number[] = [];
    const sleeps0 = stats().uringSleeps, reads0 = reads;
    try {
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        await new Promise<void>((r) => { c.once('data', () => r()); c.write('x'); });
        rtt.push(performance.now() - t0);
      }
    } finally {
      c.destroy();
      srv.close();
    }
    expect(median(rtt), `round trips (ms): ${rtt.map((d) => d.toFixed(2)).join(' ')}`).to.be.below(RTT_LIMIT_MS);
    // ... and the ring's sleeps end when libuv has work: about one per datagram and a few per round trip, not a
    // burst of sleeps that return at once for a poll that keeps firing
    const extra = stats().uringSleeps - sleeps0 - (reads - reads0);
    expect(extra, 'ring sleeps beyond one per datagram').to.be.below(40 * 8);
  });
});
