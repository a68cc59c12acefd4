/**
 * Lifecycle: close / unregister from inside every kind of callback, close with operations in flight,
 * register cycles, many iofds, peer resets, a tiny ring, ref/unref, worker threads.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IoFd, errno, getBackend, lengthPrefixSegmentation, socketpair, sock, stats, type IoOps } from '@osmo/io';
import { frame, jsIpaSegmentation, openFds, turns, until } from './helpers.js';

const C = sock.constants;
const SO_LINGER = 13; // Linux; struct linger { int l_onoff; int l_linger; }
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

function runChild(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', path.join(here, 'fixtures', script), ...args],
                    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

async function tcpPair(): Promise<[number, number]> {
  const l = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 }, listen: true });
  const port = (sock.localAddress(l) as { port: number }).port;
  const c = sock.inet({ proto: 'tcp', remote: { address: '127.0.0.1', port } });
  let s = -errno.EAGAIN;
  await until(() => (s = sock.accept(l)) !== -errno.EAGAIN, 5000, 'accept');
  sock.close(l);
  expect(s).to.be.at.least(0);
  return [c, s];
}

/** Many datagrams queued before the receiver registers, so one drain carries several of them. */
function preload(fd: number, n: number): void {
  for (let i = 0; i < n; i++) fs.writeSync(fd, Buffer.from(`m${i}`));
}

type Action = 'close' | 'unregister';

describe(`lifecycle (${getBackend()})`, () => {
  describe('close / unregister from inside a callback: nothing is delivered after it', () => {
    for (const action of ['close', 'unregister'] as Action[]) {
      it(`${action} in readCb (datagrams, several reads armed)`, async () => {
        const [a, b] = socketpair('dgram');
        preload(a, 20);
        const got: string[] = [];
        const io = IoFd.setup(b, 'rd', 'read_write', {
          readCb: (i, _res, msg) => {
            got.push(msg.toString());
            if (got.length === 1) { i[action](); expect(i.registered).to.equal(false); }
          },
        });
        io.setSqes('read', 8); // -EINVAL on poll; on io_uring several reads complete in one batch
        io.register();
        await until(() => got.length >= 1);
        await turns();
        expect(got).to.deep.equal(['m0']);
        if (action === 'unregister') {
          // nothing was lost: registering again delivers the rest, in order
          io.register();
          await until(() => got.length === 20, 5000, 'rest after re-register');
          expect(got).to.deep.equal([...Array(20).keys()].map((i) => `m${i}`));
        }
        io.close(); sock.close(a);
      });

      it(`${action} in readCb with several segments from one read`, async () => {
        const frames = [...Array(30).keys()].map((i) => frame(i, Buffer.from(`f${i}`)));
        for (const seg of [lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3 }), jsIpaSegmentation]) {
          const got: number[] = [];
          const [c, d] = socketpair('stream');
          fs.writeSync(c, Buffer.concat(frames));
          const io = IoFd.setup(d, 'seg', 'read_write', {
            segmentationCb: seg,
            readCb: (i, _res, msg) => { got.push(msg[2]); if (got.length === 3) i[action](); },
          });
          io.register();
          await until(() => got.length >= 3);
          await turns();
          expect(got).to.deep.equal([0, 1, 2]);
          if (action === 'unregister') {
            io.register();
            await until(() => got.length === 30, 5000, 'the remaining segments');
            expect(got).to.deep.equal([...Array(30).keys()]);
          }
          io.close(); sock.close(c);
        }
      });

      it(`${action} in writeCb: ${action === 'close' ? 'no further write callbacks' : 'writing stops, resumes after register'}`, async () => {
        const [a, b] = socketpair('stream');
        const cbs: number[] = [];
        const io = IoFd.setup(a, 'wr', 'read_write', { writeCb: (i, res) => { cbs.push(res); if (i.registered) i[action](); } });
        io.register();
        for (let i = 0; i < 50; i++) io.write(Buffer.from(`w${i}`));
        await until(() => cbs.length >= 1);
        await turns();
        if (action === 'close') {
          expect(cbs.length).to.equal(1);
        } else {
          // write completions of the batch that contained the unregister may still be reported (see the
          // lifecycle report); after that nothing moves while unregistered, and nothing is lost
          const n = cbs.length;
          expect(io.txqueueLen).to.equal(50 - n);
          await turns();
          expect(cbs.length).to.equal(n);
          io.setIoOps({ writeCb: (_i, res) => cbs.push(res) });
          io.register();
          await until(() => cbs.length === 50, 5000, 'the rest after re-register');
          const bytes = Buffer.alloc(200);
          expect(fs.readSync(b, bytes)).to.equal(cbs.reduce((x, r) => x + r, 0));
        }
        io.close(); sock.close(b);
      });

      it(`${action} in the connect notification writeCb(0, null)`, async () => {
        const [c, s] = await tcpPair();
        const cbs: [number, boolean][] = [];
        const io = IoFd.setup(c, 'conn', 'read_write', {
          writeCb: (i, res, msg) => { cbs.push([res, msg === null]); i[action](); },
          readCb: () => cbs.push([999, false]),
        });
        fs.writeSync(s, 'server talks first');
        io.notifyConnected();
        io.register();
        for (let i = 0; i < 5; i++) io.write(Buffer.from('x'));
        await until(() => cbs.length >= 1);
        await turns();
        // whichever came first stopped everything else (for unregister: no read, and no write beyond those
        // already done in the same batch)
        if (action === 'close') expect(cbs.length).to.equal(1);
        expect(cbs.some(([res]) => res === 999), JSON.stringify(cbs)).to.equal(false);
        io.close(); sock.close(s);
      });

      it(`${action} in recvfromCb and in sendtoCb`, async () => {
        const [a, b] = socketpair('dgram');
        preload(a, 10);
        const got: string[] = [];
        const R = IoFd.setup(b, 'rf', 'recvfrom_sendto', { recvfromCb: (i, _r, m) => { got.push(m.toString()); i[action](); } });
        R.setSqes('read', 4);
        R.register();
        const sent: number[] = [];
        const S = IoFd.setup(a, 'st', 'recvfrom_sendto', { sendtoCb: (i, res) => { sent.push(res); i[action](); } });
        S.register();
        for (let i = 0; i < 10; i++) S.sendto(Buffer.from(`s${i}`), null);
        await until(() => got.length >= 1 && sent.length >= 1);
        await turns();
        expect(got).to.deep.equal(['m0']);
        if (action === 'close') expect(sent).to.deep.equal([2]);
        else {
          // completions already in the batch may follow; nothing queued behind them is sent while unregistered
          expect(sent.every((r) => r === 2)).to.equal(true);
          expect(S.txqueueLen).to.equal(10 - sent.length);
        }
        R.close(); S.close();
      });

      it(`${action} in recvmsgCb and in sendmsgCb`, async () => {
        const [a, b] = socketpair('dgram');
        preload(a, 10);
        const got: string[] = [];
        const R = IoFd.setup(b, 'rm', 'recvmsg_sendmsg', { recvmsgCb: (i, _r, m) => { got.push(m.toString()); i[action](); } });
        R.setSqes('read', 4);
        R.register();
        const sent: number[] = [];
        const S = IoFd.setup(a, 'sm', 'recvmsg_sendmsg', { sendmsgCb: (i, res) => { sent.push(res); i[action](); } });
        S.register();
        for (let i = 0; i < 10; i++) S.sendmsg(Buffer.from(`s${i}`), {});
        await until(() => got.length >= 1 && sent.length >= 1);
        await turns();
        expect(got).to.deep.equal(['m0']);
        if (action === 'close') expect(sent).to.deep.equal([2]);
        else {
          // completions already in the batch may follow; nothing queued behind them is sent while unregistered
          expect(sent.every((r) => r === 2)).to.equal(true);
          expect(S.txqueueLen).to.equal(10 - sent.length);
        }
        R.close(); S.close();
      });
    }

    it('close in readCb on EOF, and close of the peer from the other iofd\'s callback', async () => {
      const [a, b] = socketpair('stream');
      const log: string[] = [];
      const A = IoFd.setup(a, 'A', 'read_write', { readCb: (i, res) => { log.push(`A ${res}`); i.close(); } });
      const B = IoFd.setup(b, 'B', 'read_write', {
        readCb: (_i, res, m) => { log.push(`B ${res} ${m}`); A.write(Buffer.from('never')); B.close(); },
      });
      A.register(); B.register();
      A.write(Buffer.from('hi'));
      await until(() => log.length >= 2, 5000, 'EOF at A');
      await turns();
      expect(log.length).to.equal(2);
      expect(log[0]).to.equal('B 2 hi');
      // EOF, or a reset when 'never' reached B's socket before it was released with unread data
      expect(log[1]).to.be.oneOf(['A 0', `A ${-errno.ECONNRESET}`]);
    });

    it('close from inside a JS segmentationCb: no readCb afterwards, no crash', async () => {
      const [a, b] = socketpair('stream');
      let segCalls = 0;
      const got: number[] = [];
      const io = IoFd.setup(b, 'seg-close', 'read_write', {
        segmentationCb: (d) => {
          segCalls++;
          if (segCalls === 2) { io.close(); return -errno.EAGAIN; }
          return jsIpaSegmentation(d);
        },
        readCb: (_i, res) => got.push(res),
      });
      io.register();
      fs.writeSync(a, Buffer.concat([frame(1, Buffer.from('one')), frame(2, Buffer.from('two')), frame(3, Buffer.from('three'))]));
      await until(() => segCalls >= 2);
      await turns();
      // the three frames came in one read: frame 1's record was made before close() inside the second call and is
      // dropped with the closed fd's generation; nothing reaches readCb
      expect(got).to.deep.equal([]);
      expect(io.fd).to.equal(-1);
      sock.close(a);
    });
  });

  it('reading turned off in a readCb and on again (later, or from another iofd\'s callback): every segment, in order', async () => {
    const frames = [...Array(30).keys()].map((i) => frame(i, Buffer.from(`f${i}`)));
    for (const how of ['microtask', 'other iofd'] as const) {
      const got: number[] = [];
      const [c, d] = socketpair('stream');
      const [y1, y2] = socketpair('stream');
      fs.writeSync(c, Buffer.concat(frames)); // one read: 30 records of one batch
      const ops: IoOps = {
        segmentationCb: jsIpaSegmentation,
        readCb: (i, _res, msg) => {
          got.push(msg[2]);
          if (got.length === 3) {
            i.setIoOps({ segmentationCb: jsIpaSegmentation }); // off: the rest of the batch is parked
            if (how === 'microtask') queueMicrotask(() => i.setIoOps(ops));
            else fs.writeSync(y2, 'y'); // Y's callback turns X on again
          }
        },
      };
      const X = IoFd.setup(d, 'x', 'read_write', ops);
      const Y = IoFd.setup(y1, 'y', 'read_write', { readCb: () => X.setIoOps(ops) });
      X.register(); Y.register();
      await until(() => got.length === 30, 5000, `all segments (${how})`);
      await turns();
      expect(got, how).to.deep.equal([...Array(30).keys()]);
      X.close(); Y.close(); sock.close(c); sock.close(y2);
    }
  });

  describe('reading turned off and on again / unregistered and registered again from inside a batch: nothing lost or reordered', () => {
    type Toggle = 'off and on in one callback' | 'unregister and register in one callback' | 'off, on from a microtask' |
      'unregister, register from a microtask';
    const toggles: Toggle[] = ['off and on in one callback', 'unregister and register in one callback',
      'off, on from a microtask', 'unregister, register from a microtask'];
    // every k-th callback toggles; the records after it in the same batch are parked (microtask) or delivered at once
    function toggle(io: IoFd, how: Toggle, on: IoOps, off: IoOps): void {
      if (how === 'off and on in one callback') { io.setIoOps(off); io.setIoOps(on); }
      else if (how === 'unregister and register in one callback') { io.unregister(); io.register(); }
      else if (how === 'off, on from a microtask') { io.setIoOps(off); queueMicrotask(() => io.setIoOps(on)); }
      else { io.unregister(); queueMicrotask(() => io.register()); }
    }

    for (const how of toggles) {
      it(`stream (segmented, many records per batch), ${how}: the exact bytes`, async () => {
        const seg = lengthPrefixSegmentation({ headerLen: 1, lengthOffset: 0, lengthBytes: 1, lengthAdjust: 1 });
        const msgs = [...Array(600).keys()].map((i) => {
          const m = Buffer.alloc(2 + (i % 11), i & 0xff);
          m[0] = m.length - 1;
          return m;
        });
        const want = Buffer.concat(msgs);
        const upTo = (k: number): number => Buffer.concat(msgs.slice(0, k)).length;
        const [c, d] = socketpair('stream');
        const parts: Buffer[] = [];
        let bytes = 0, n = 0;
        const off: IoOps = { segmentationCb: seg };
        const on: IoOps = {
          segmentationCb: seg,
          readCb: (i, res, msg) => {
            expect(res, 'no EOF or error').to.be.greaterThan(0);
            parts.push(msg);
            bytes += msg.length;
            if (++n % 7 === 1) toggle(i, how, on, off);
          },
        };
        const X = IoFd.setup(d, 'x', 'read_write', on);
        X.register();
        // in three writes: each one read and one batch of records (the toggles land inside batches)
        for (const [a, b] of [[0, upTo(150)], [upTo(150), upTo(400)], [upTo(400), want.length]]) {
          fs.writeSync(c, want.subarray(a, b));
          await until(() => bytes >= b, 5000, `${b} bytes (${how})`);
        }
        await turns();
        expect(bytes).to.equal(want.length);
        expect(Buffer.concat(parts).equals(want), 'the same bytes in the same order').to.equal(true);
        X.close(); sock.close(c);
      });

      it(`datagrams (several per batch), ${how}: every datagram, in order`, async () => {
        const [a, b] = socketpair('dgram');
        preload(a, 60);
        const got: string[] = [];
        const off: IoOps = {};
        const on: IoOps = {
          recvfromCb: (i, res, msg) => {
            expect(res).to.be.greaterThan(0);
            got.push(msg.toString());
            if (got.length % 3 === 1) toggle(i, how, on, off);
          },
        };
        const io = IoFd.setup(b, 'rd', 'recvfrom_sendto', on);
        io.setSqes('read', 8); // -EINVAL on poll (it reads up to 32 per wakeup); on io_uring 8 complete per drain
        io.register();
        await until(() => got.length === 60, 5000, `60 datagrams (${how})`);
        await turns();
        expect(got).to.deep.equal([...Array(60).keys()].map((i) => `m${i}`));
        io.close(); sock.close(a);
      });
    }
  });

  it('close with reads and writes in flight: no callback after close(), no crash', async () => {
    stats(); // the backend (io_uring: its ring and eventfd) exists before counting
    const fds0 = openFds();
    for (const when of ['same tick', 'after flush'] as const) {
      const [a, b] = socketpair('stream');
      sock.setsockopt(a, C.SOL_SOCKET, C.SO_SNDBUF, 4096);
      let after = 0;
      let closed = false;
      const ops: IoOps = {
        readCb: () => { if (closed) after++; },
        writeCb: () => { if (closed) after++; },
      };
      const A = IoFd.setup(a, 'A', 'read_write', ops);
      const B = IoFd.setup(b, 'B', 'read_write', ops);
      A.register(); B.register();
      for (let i = 0; i < 500; i++) expect(A.write(Buffer.alloc(1000, i))).to.equal(0);
      B.write(Buffer.from('to A'));
      if (when === 'after flush') await turns(1);
      A.close(); B.close();
      closed = true;
      expect(A.txqueueLen).to.equal(0);
      await turns();
      expect(after, when).to.equal(0);
    }
    await until(() => openFds() <= fds0, 2000, 'fds released');
  });

  it('close() in the same tick as register() releases the fds', async function () {
    stats(); // the backend (io_uring: its ring and eventfd) exists before counting
    const fds0 = openFds();
    const [a, b] = socketpair('stream');
    const A = IoFd.setup(a, 'A', 'read_write', { readCb: () => {} });
    const B = IoFd.setup(b, 'B', 'read_write', { readCb: () => {} });
    A.register(); B.register();
    A.close(); B.close();
    await until(() => openFds() <= fds0, 2000, 'fds released');
  });

  it('register / unregister / register cycles keep the byte stream whole and in order', async () => {
    const [a, b] = socketpair('stream');
    let got = '';
    let wrote = '';
    const A = IoFd.setup(a, 'cyc-w', 'read_write', {});
    const B = IoFd.setup(b, 'cyc-r', 'read_write', { readCb: (_i, res, m) => { if (res > 0) got += m.toString(); } });
    A.register(); B.register();
    for (let i = 0; i < 60; i++) {
      const s = `<${i}>`;
      wrote += s;
      A.write(Buffer.from(s));
      if (i % 3 === 0) { B.unregister(); B.register(); }
      if (i % 5 === 0) { A.unregister(); await turns(1); A.register(); }
      if (i % 7 === 0) { B.unregister(); await turns(1); B.register(); expect(() => B.register(a)).to.throw().with.property('code', 'ENOTSUP'); }
      if (i % 10 === 0) await turns(1);
    }
    await until(() => got.length === wrote.length, 5000, 'all bytes');
    expect(got).to.equal(wrote);
    A.close(); B.close();
  });

  it('1000 iofds at once: echo through all of them, then every fd is released', async function () {
    this.timeout(15000);
    const fds0 = openFds();
    const N = 500; // pairs -> 1000 iofds
    const got = new Array<string>(N).fill('');
    const pairs: [IoFd, IoFd][] = [];
    for (let i = 0; i < N; i++) {
      const [a, b] = socketpair('stream');
      const echo = IoFd.setup(b, `e${i}`, 'read_write', {
        readCb: (io, res, m) => { if (res > 0) io.write(m); else io.close(); },
      });
      const cli = IoFd.setup(a, `c${i}`, 'read_write', {
        readCb: (_io, res, m) => { if (res > 0) got[i] += m.toString(); },
      });
      echo.register(); cli.register();
      pairs.push([cli, echo]);
    }
    expect(openFds()).to.be.at.least(fds0 + 2 * N);
    pairs.forEach(([cli], i) => cli.write(Buffer.from(`ping ${i};`)));
    pairs.forEach(([cli], i) => cli.write(Buffer.from(`pong ${i};`)));
    await until(() => got.every((s, i) => s.length === `ping ${i};pong ${i};`.length), 10000, 'echoes');
    got.forEach((s, i) => expect(s).to.equal(`ping ${i};pong ${i};`));
    for (const [cli] of pairs) cli.close(); // the echo side sees EOF and closes itself
    await until(() => pairs.every(([, e]) => e.fd === -1), 10000, 'echo sides closed');
    await until(() => openFds() <= fds0, 5000, 'fd count back to baseline');
    expect(openFds()).to.equal(fds0);
  });

  it('the peer resets mid-write (TCP, SO_LINGER 0): writeCb gets -ECONNRESET or -EPIPE, no SIGPIPE', async () => {
    const [c, s] = await tcpPair();
    const linger = Buffer.alloc(8);
    linger.writeInt32LE(1, 0); linger.writeInt32LE(0, 4);
    sock.setsockopt(s, C.SOL_SOCKET, SO_LINGER, linger);
    sock.setsockopt(c, C.SOL_SOCKET, C.SO_SNDBUF, 16384);
    const results: number[] = [];
    const reads: number[] = [];
    const W = IoFd.setup(c, 'rst-w', 'read_write', {
      writeCb: (_i, res) => results.push(res),
      readCb: (i, res) => { reads.push(res); if (res <= 0) i.unregister(); },
    });
    W.register();
    for (let i = 0; i < 200; i++) W.write(Buffer.alloc(20000, i));
    await turns();
    sock.close(s); // unread data + linger 0 -> RST
    await until(() => results.some((r) => r < 0), 5000, 'a write error');
    const errs = results.filter((r) => r < 0);
    for (const e of errs) expect(e).to.be.oneOf([-errno.ECONNRESET, -errno.EPIPE]);
    W.close();
    await turns();
  });

  it('Unix stream peer closed with unread data: writes fail with -EPIPE / -ECONNRESET, no SIGPIPE', async () => {
    const [a, b] = socketpair('stream');
    fs.writeSync(a, 'unread by b');
    const results: number[] = [];
    const W = IoFd.setup(b, 'pipe-w', 'read_write', { writeCb: (_i, res) => results.push(res) });
    W.register();
    sock.close(a);
    for (let i = 0; i < 10; i++) W.write(Buffer.from(`after close ${i}`));
    await until(() => results.length === 10, 5000, 'all write results');
    for (const r of results) expect(r).to.be.oneOf([-errno.EPIPE, -errno.ECONNRESET]);
    W.close();
  });

  // an io_uring ring (the child runs io_uring): defined once, in the io_uring run, rather than skipped in the poll one
  if (getBackend() === 'io_uring') it('a ring far smaller than the load (OSMO_IO_URING_SIZE=8): 200 connections x 50 messages arrive in order', async function () {
    this.timeout(20000);
    const r = await runChild('ring-load.ts', ['200', '50'], { OSMO_IO_BACKEND: 'io_uring', OSMO_IO_URING_SIZE: '8' });
    expect(r.code, r.err).to.equal(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res).to.include({ backend: 'io_uring', received: 10000, echoed: 10000, errors: 0, outOfOrder: 0, ringEntries: 8 });
  });

  it('ref/unref: a registered IoFd keeps the process alive, unref() lets it exit', async () => {
    const env = { OSMO_IO_BACKEND: getBackend() };
    const [ref, unref, reref] = await Promise.all([
      runChild('ref-child.ts', ['ref'], env), runChild('ref-child.ts', ['unref'], env), runChild('ref-child.ts', ['unref-ref'], env),
    ]);
    expect(ref.code, ref.err).to.equal(0);
    expect(ref.out).to.equal('registered\nread 4 late\nexit\n');
    expect(unref.code, unref.err).to.equal(0);
    expect(unref.out).to.equal('registered\nexit\n');
    expect(reref.code, reref.err).to.equal(0);
    expect(reref.out).to.equal('registered\nread 4 late\nexit\n');
  });

  it('worker_threads: an IoFd echo inside a Worker while the main thread runs its own', async () => {
    const [wa, wb] = socketpair('stream');
    const [ma, mb] = socketpair('stream');
    const w = new Worker(path.join(here, 'fixtures', 'worker-boot.mjs'), {
      workerData: { fd: wb, script: pathToFileURL(path.join(here, 'fixtures', 'worker-echo.ts')).href },
      execArgv: ['--conditions=source'],
    });
    const msgs: Record<string, unknown>[] = [];
    w.on('message', (m) => msgs.push(m));
    let werr: unknown = null;
    w.on('error', (e) => { werr = e; });
    await until(() => msgs.some((m) => m.ready) || werr !== null, 10000, 'worker ready');
    expect(werr).to.equal(null);
    let fromWorker = '', fromMain = '';
    const W = IoFd.setup(wa, 'to-worker', 'read_write', { readCb: (_i, res, m) => { if (res > 0) fromWorker += m; } });
    const E = IoFd.setup(mb, 'main-echo', 'read_write', { readCb: (i, res, m) => { if (res > 0) i.write(m); } });
    const M = IoFd.setup(ma, 'to-main', 'read_write', { readCb: (_i, res, m) => { if (res > 0) fromMain += m; } });
    W.register(); E.register(); M.register();
    let want = '';
    for (let i = 0; i < 100; i++) {
      const s = `[${i}]`;
      want += s;
      W.write(Buffer.from(s));
      M.write(Buffer.from(s));
      if (i % 20 === 0) await turns(1);
    }
    await until(() => fromWorker.length === want.length && fromMain.length === want.length, 5000, 'echoes');
    expect(fromWorker).to.equal(want);
    expect(fromMain).to.equal(want);
    W.close(); // the worker sees EOF, closes its side and reports
    await until(() => msgs.some((m) => m.done), 5000, 'worker done');
    expect(msgs.find((m) => m.done)).to.deep.equal({ done: true, n: want.length, backend: getBackend() });
    await w.terminate();
    E.close(); M.close();
  });
});
