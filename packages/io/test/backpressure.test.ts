/** Tx queue and backpressure: -ENOSPC at txqueueMaxLength, draining, write callbacks in order, partial writes. */
import { expect } from 'chai';
import { IoFd, errno, getBackend, socketpair, sock } from '@osmo/io';
import { turns, until } from './helpers.js';

const C = sock.constants;

/** A connected TCP pair on loopback: [client, server side]. */
export async function tcpPair(): Promise<[number, number]> {
  const l = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 }, listen: true });
  const port = (sock.localAddress(l) as { port: number }).port;
  const c = sock.inet({ proto: 'tcp', remote: { address: '127.0.0.1', port } });
  let s = -errno.EAGAIN;
  await until(() => (s = sock.accept(l)) >= 0 || s !== -errno.EAGAIN, 5000, 'accept');
  sock.close(l);
  expect(s).to.be.at.least(0);
  return [c, s];
}

function msgOf(i: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let k = 0; k < len; k += 4) b.writeUInt32BE((i * 0x10000 + k) >>> 0, Math.min(k, len - 4));
  b.writeUInt32BE(i, 0);
  return b;
}

describe(`tx queue and backpressure (${getBackend()})`, () => {
  it('a small SO_SNDBUF fills the queue: -ENOSPC at txqueueMaxLength, then it drains in FIFO order', async () => {
    const [a, b] = socketpair('stream');
    sock.setsockopt(a, C.SOL_SOCKET, C.SO_SNDBUF, 4096);
    sock.setsockopt(b, C.SOL_SOCKET, C.SO_RCVBUF, 4096);
    const cbs: [number, number][] = []; // [message index, res]
    const A = IoFd.setup(a, 'bp-w', 'read_write', {
      writeCb: (_io, res, msg) => { cbs.push([msg!.readUInt32BE(0), res]); },
    });
    A.txqueueMaxLength = 16;
    A.register();
    const msgs: Buffer[] = [];
    for (let i = 0; i < 16; i++) {
      msgs.push(msgOf(i, 2000));
      expect(A.write(msgs[i])).to.equal(0);
    }
    expect(A.txqueueLen).to.equal(16);
    expect(A.write(msgOf(99, 10))).to.equal(-errno.ENOSPC);
    // nobody reads: the socket buffer holds a few messages at most, the rest stays queued
    await turns();
    expect(A.txqueueLen).to.be.greaterThan(0);
    expect(A.write(msgOf(99, 10))).to.equal(A.txqueueLen >= 16 ? -errno.ENOSPC : 0);
    if (A.txqueueLen < 16 && msgs.length === 16) msgs.push(msgOf(99, 10));
    // now drain
    const chunks: Buffer[] = [];
    const B = IoFd.setup(b, 'bp-r', 'read_write', { readCb: (_io, res, m) => { if (res > 0) chunks.push(m); } });
    B.register();
    const total = msgs.reduce((s, m) => s + m.length, 0);
    await until(() => chunks.reduce((s, m) => s + m.length, 0) === total && A.txqueueLen === 0, 8000, 'drain');
    expect(Buffer.concat(chunks).equals(Buffer.concat(msgs))).to.equal(true);
    // write callbacks in order; per message the results add up to its length
    const perMsg = new Map<number, number>();
    let last = -1;
    for (const [i, res] of cbs) {
      expect(res).to.be.greaterThan(0);
      expect(i).to.be.at.least(last);
      last = i;
      perMsg.set(i, (perMsg.get(i) ?? 0) + res);
    }
    expect([...perMsg.keys()]).to.deep.equal(msgs.map((m) => m.readUInt32BE(0)));
    for (const m of msgs) expect(perMsg.get(m.readUInt32BE(0))).to.equal(m.length);
    // and the queue accepts again up to the limit
    for (let i = 0; i < 16; i++) expect(A.write(msgOf(200 + i, 8))).to.equal(0);
    expect(A.write(msgOf(300, 8))).to.equal(-errno.ENOSPC);
    A.txqueueClear();
    A.close(); B.close();
  });

  it('partial writes over TCP: writeCb(res < length) then the rest for the same message; the stream is FIFO', async () => {
    const [c, s] = await tcpPair();
    sock.setsockopt(c, C.SOL_SOCKET, C.SO_SNDBUF, 65536);
    const cbs: [number, number][] = [];
    const W = IoFd.setup(c, 'tcp-w', 'read_write', { writeCb: (_io, res, msg) => cbs.push([msg!.readUInt32BE(0), res]) });
    W.register();
    const msgs: Buffer[] = [];
    for (let i = 0; i < 12; i++) msgs.push(msgOf(i, i % 3 === 0 ? 600000 : 1000 + i * 37));
    for (const m of msgs) expect(W.write(m)).to.equal(0);
    expect(W.txqueueLen).to.equal(msgs.length);
    await turns();
    // the reader is not registered yet: the first message cannot have gone out whole
    const before = cbs.filter(([i]) => i === 0).reduce((x, [, r]) => x + r, 0);
    expect(before).to.be.lessThan(msgs[0].length);
    expect(W.txqueueLen).to.equal(msgs.length);
    const chunks: Buffer[] = [];
    let got = 0;
    const R = IoFd.setup(s, 'tcp-r', 'read_write', { readCb: (_io, res, m) => { if (res > 0) { chunks.push(m); got += m.length; } } });
    R.register();
    const total = msgs.reduce((x, m) => x + m.length, 0);
    await until(() => got === total && W.txqueueLen === 0, 8000, 'all bytes');
    expect(Buffer.concat(chunks).equals(Buffer.concat(msgs))).to.equal(true);
    const sums = new Map<number, number>();
    let last = -1;
    let partial = 0;
    for (const [i, res] of cbs) {
      expect(res).to.be.greaterThan(0);
      expect(i, 'callbacks in FIFO order').to.be.at.least(last);
      last = i;
      if (res < msgs[i].length) partial++;
      sums.set(i, (sums.get(i) ?? 0) + res);
    }
    expect(partial, 'partial writes reported').to.be.greaterThan(0);
    for (let i = 0; i < msgs.length; i++) expect(sums.get(i), `message ${i}`).to.equal(msgs[i].length);
    W.close(); R.close();
  });

  it('txqueueClear drops the queued messages without callbacks; txqueueLen is 0 and later writes still work', async () => {
    const [a, b] = socketpair('stream');
    sock.setsockopt(a, C.SOL_SOCKET, C.SO_SNDBUF, 4096);
    const cbs: number[] = [];
    const A = IoFd.setup(a, 'clr', 'read_write', { writeCb: (_io, res, msg) => cbs.push(msg ? msg.readUInt32BE(0) : -1) });
    A.register();
    // cleared in the same tick: nothing reaches the socket
    for (let i = 0; i < 5; i++) A.write(msgOf(i, 100));
    A.txqueueClear();
    expect(A.txqueueLen).to.equal(0);
    // cleared after the core has them and the socket is full
    for (let i = 10; i < 40; i++) A.write(msgOf(i, 3000));
    await turns();
    A.txqueueClear();
    expect(A.txqueueLen).to.equal(0);
    const afterClear = cbs.length;
    const chunks: Buffer[] = [];
    const B = IoFd.setup(b, 'clr-r', 'read_write', { readCb: (_io, res, m) => { if (res > 0) chunks.push(m); } });
    B.register();
    await turns();
    // an operation already in the kernel may still finish and be reported; nothing queued behind it
    const late = cbs.slice(afterClear);
    expect(late.every((i) => i === late[0]), `late callbacks ${late}`).to.equal(true);
    expect(late.length).to.be.at.most(2);
    for (const i of cbs) expect(i).to.be.at.least(10);
    expect(A.txqueueLen).to.equal(0);
    A.write(Buffer.from('after'));
    await until(() => Buffer.concat(chunks).toString('latin1').endsWith('after'), 5000, 'write after clear');
    const stream = Buffer.concat(chunks);
    // the bytes before 'after' are whole or partially sent messages 10.., in order; none of the first five
    expect(stream.length - 5).to.be.lessThan(40 * 3000);
    for (let off = 0; off + 4 <= stream.length - 5; off += 3000) {
      const idx = stream.readUInt32BE(off);
      expect(idx).to.equal(10 + off / 3000);
    }
    A.close(); B.close();
  });

  it('the core owns the queue: txqueueBytes counts unsent bytes; a limit lowered before the flush is the core\'s -ENOSPC', async () => {
    const [a, b] = socketpair('stream');
    const cbs: [number, number][] = [];
    const A = IoFd.setup(a, 'owner', 'read_write', { writeCb: (_io, res, m) => cbs.push([m!.readUInt32BE(0), res]) });
    A.register();
    expect(A.txqueueMaxLength).to.equal(1024);
    for (let i = 0; i < 4; i++) expect(A.write(msgOf(i, 100 + i))).to.equal(0);
    expect(A.txqueueLen).to.equal(4);
    expect(A.txqueueBytes).to.equal(100 + 101 + 102 + 103);
    // the four reach the core at the end of this tick: the core keeps two and refuses the rest itself
    A.txqueueMaxLength = 2;
    expect(A.txqueueMaxLength).to.equal(2);
    await until(() => cbs.length === 4, 5000, 'four write callbacks');
    expect(cbs).to.deep.equal([[2, -errno.ENOSPC], [3, -errno.ENOSPC], [0, 100], [1, 101]]);
    expect(A.txqueueLen).to.equal(0);
    expect(A.txqueueBytes).to.equal(0);
    A.close(); sock.close(b);
  });

  it('txqueueClear inside a writeCb: the batch\'s later completions are dropped, new messages get their own Buffers back', async () => {
    const [a, b] = socketpair('stream');
    const seen: number[] = [];
    const A = IoFd.setup(a, 'era', 'read_write', {
      writeCb: (io, _res, m) => {
        seen.push(m!.readUInt32BE(0));
        if (seen.length === 1) { io.txqueueClear(); io.write(msgOf(99, 64)); io.write(msgOf(98, 64)); }
      },
    });
    A.register();
    for (let i = 0; i < 5; i++) A.write(msgOf(i, 64));
    await until(() => seen.length >= 3, 5000, 'the new messages');
    await turns();
    expect(seen).to.deep.equal([0, 99, 98]);
    A.close(); sock.close(b);
  });

  it('a write callback can refill the queue (the classic pump) and every byte arrives in order', async () => {
    const [a, b] = socketpair('stream');
    sock.setsockopt(a, C.SOL_SOCKET, C.SO_SNDBUF, 4096);
    let next = 0;
    const N = 400;
    const A = IoFd.setup(a, 'pump', 'read_write', {
      writeCb: (io, res) => {
        expect(res).to.be.greaterThan(0);
        while (next < N && io.write(msgOf(next, 512)) === 0) next++;
      },
    });
    A.txqueueMaxLength = 4;
    A.register();
    while (next < N && A.write(msgOf(next, 512)) === 0) next++;
    expect(next).to.equal(4);
    let got = Buffer.alloc(0);
    const B = IoFd.setup(b, 'pump-r', 'read_write', { readCb: (_io, res, m) => { if (res > 0) got = Buffer.concat([got, m]); } });
    B.register();
    await until(() => got.length === N * 512, 8000, 'pumped');
    for (let i = 0; i < N; i++) expect(got.readUInt32BE(i * 512)).to.equal(i);
    A.close(); B.close();
  });
});
