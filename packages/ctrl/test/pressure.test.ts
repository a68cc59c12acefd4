/**
 * Issue 10 regressions at the server level, with real TCP peers (node:net, not our code): a peer that pipelines and
 * reads late, a half-closing peer, idle peers flooded with traps, and the remote crash (a rejected frame followed
 * by thousands of 3-byte frames in one write).
 */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { getBackend } from '@osmo/io';
import { CtrlRegistry, CtrlServer, CtrlTree } from '../src/index.js';
import { ctrlFrame, RawPeer } from './raw-peer.js';
import { sleep, turns, until } from '../../io/test/loop.js';

function server(): CtrlServer {
  const tree = new CtrlTree();
  tree.root.command({ name: 'value', get: () => '42' });
  const srv = new CtrlServer({ tree, registry: new CtrlRegistry({ autoTick: false }), port: 0 });
  srv.open();
  return srv;
}

/** Count the complete IPA frames in what a socket received (and keep the last one). */
function frameCounter(s: Socket): { frames: () => number; bytes: () => number; last: () => Buffer | null } {
  let buf: Buffer = Buffer.alloc(0), n = 0, total = 0, last: Buffer | null = null;
  s.on('data', (d: Buffer) => {
    total += d.length;
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let off = 0;
    while (buf.length - off >= 3 && buf.length - off >= 3 + buf.readUInt16BE(off)) {
      last = buf.subarray(off, off + 3 + buf.readUInt16BE(off));
      off += 3 + buf.readUInt16BE(off);
      n++;
    }
    buf = buf.subarray(off);
  });
  return { frames: () => n, bytes: () => total, last: () => last };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

describe(`CTRL server under pressure (${getBackend()})`, function () {
  this.timeout(60000);

  it('a client pipelining 10,000 requests and reading only at the end gets all 10,000 replies', async () => {
    const srv = server();
    const s = await open(srv.port);
    s.pause();
    const reqs: Buffer[] = [];
    for (let i = 1; i <= 10000; i++) reqs.push(ctrlFrame(`GET ${i} value`));
    s.write(Buffer.concat(reqs));
    // load phase, not a quiet window: the server answers until its queue backs up, then must stop reading (not drop)
    await sleep(500);
    const c = frameCounter(s);
    s.resume();
    await until(() => c.frames() >= 10000, 30000, `10000 replies (got ${c.frames()})`);
    // one more request as a barrier: replies come in order, so anything extra would arrive before its reply
    s.write(ctrlFrame('GET 10001 value'));
    await until(() => c.frames() >= 10001, 5000, 'the barrier reply');
    expect(c.frames()).to.equal(10001);
    expect(c.last()!.subarray(4).toString('latin1')).to.equal('GET_REPLY 10001 value 42');
    s.destroy();
    srv.close();
  });

  for (const n of [1, 10, 200]) {
    it(`a client that sends ${n} request(s) and shuts down its sending side gets every reply`, async () => {
      const srv = server();
      const s = await open(srv.port);
      const c = frameCounter(s);
      const reqs: Buffer[] = [];
      for (let i = 1; i <= n; i++) reqs.push(ctrlFrame(`GET ${i} value`));
      s.end(Buffer.concat(reqs)); // write, then FIN (nc -N)
      await new Promise<void>((resolve) => s.on('close', () => resolve()));
      expect(c.frames()).to.equal(n);
      srv.close();
    });
  }

  it('idle clients flooded with traps are dropped as slow consumers (counted); memory stays bounded', async () => {
    const srv = server();
    const idle: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await open(srv.port);
      s.pause();
      s.on('error', () => {});
      idle.push(s);
    }
    await until(() => srv.connections.size === 5, 3000, '5 connections');
    const rss0 = process.memoryUsage().rss;
    let maxRss = rss0;
    // 12,000 traps of ~4 KB (48 MB): more than the kernel's socket buffers hold (tcp_rmem max is often 32 MB)
    const pad = 'x'.repeat(4000);
    for (let k = 0; k < 240 && srv.connections.size > 0; k++) {
      for (let i = 0; i < 50; i++) srv.sendTrap('trap-test', `${k}-${i}-${pad}`);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      await turns(1); // the server's writes and the drop decisions run
    }
    await until(() => srv.connections.size === 0, 10000, 'the idle clients dropped');
    expect(srv.slowConsumerDrops).to.equal(5);
    expect(srv.connections.size).to.equal(0);
    // 5 connections x 48 MB of traps: bounded by the per-connection budget, not by what was sent
    expect(maxRss - rss0).to.be.lessThan(200 * 1024 * 1024);
    srv.close();
  });

  it('a rejected frame followed by 9,000 3-byte frames in one write: the connection closes, the server lives on', async () => {
    const srv = server();
    for (let round = 0; round < 5; round++) {
      const bad = Buffer.from([0x00, 0x01, 0x42, 0x00]); // an unknown IPA protocol byte: rejected
      const tiny = Buffer.alloc(9000 * 3);
      for (let i = 0; i < 9000; i++) { tiny[i * 3] = 0; tiny[i * 3 + 1] = 0; tiny[i * 3 + 2] = 0xfe; }
      const s = await open(srv.port);
      s.on('error', () => {});
      s.write(Buffer.concat([bad, tiny]));
      await new Promise<void>((resolve) => s.on('close', () => resolve()));
    }
    const p = await RawPeer.open(srv.port);
    expect(await p.request('GET 7 value')).to.equal('GET_REPLY 7 value 42');
    p.close();
    srv.close();
  });
});
