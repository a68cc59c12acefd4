/** One-to-one basics inside UML: association up, PPID/stream both ways, per-stream order, unordered. */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { collect, pair, requireSctp, waitNotification } from './helpers.js';
import type { RcvInfo } from '../../src/index.js';

describe(`@osmo/sctp one-to-one (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('brings an association up with the negotiated streams and carries PPID and stream both ways', async () => {
    const { srv, cli, conn } = await pair();
    try {
      expect(cli.outStreams).to.equal(16);
      expect(conn.outStreams).to.equal(16);
      const atSrv = collect(conn, 1);
      const cbs: number[] = [];
      expect(cli.send(Buffer.from('hello'), { ppid: 3, stream: 5 }, (res) => cbs.push(res))).to.equal(0);
      const [[d, r]] = await atSrv;
      expect(d.toString()).to.equal('hello');
      expect(r.ppid).to.equal(3);
      expect(r.stream).to.equal(5);
      expect(r.unordered).to.equal(false);
      expect(cbs).to.deep.equal([5]);
      const atCli = collect(cli, 1);
      conn.send(Buffer.from('world'), { ppid: 0xdeadbeef, stream: 15 });
      const [[d2, r2]] = await atCli;
      expect(d2.toString()).to.equal('world');
      expect(r2.ppid).to.equal(0xdeadbeef);
      expect(r2.stream).to.equal(15);
    } finally { cli.close(); srv.close(true); }
  });

  it('keeps per-stream order when streams interleave, and delivers unordered messages', async () => {
    const { srv, cli, conn } = await pair();
    try {
      const N = 400;
      const all = collect(conn, N + 20);
      for (let i = 0; i < N; i++) {
        const stream = i % 8;
        expect(cli.send(Buffer.from(`${stream}:${i}`), { ppid: 100 + stream, stream })).to.equal(0);
      }
      for (let i = 0; i < 20; i++) cli.send(Buffer.from(`u:${i}`), { ppid: 7, stream: 9, unordered: true });
      const got = await all;
      const last = new Map<number, number>();
      const unordered = new Set<string>();
      for (const [d, r] of got as [Buffer, RcvInfo][]) {
        const [s, i] = d.toString().split(':');
        if (s === 'u') { expect(r.unordered).to.equal(true); expect(r.stream).to.equal(9); unordered.add(i); continue; }
        expect(r.stream).to.equal(Number(s));
        expect(r.ppid).to.equal(100 + Number(s));
        expect(Number(i)).to.be.greaterThan(last.get(r.stream) ?? -1);
        last.set(r.stream, Number(i));
      }
      expect(unordered.size).to.equal(20);
      expect([...last.keys()].sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally { cli.close(); srv.close(true); }
  });

  it('reports COMM_UP, then SHUTDOWN_EVENT / SHUTDOWN_COMP and a close on graceful peer shutdown', async () => {
    const { SctpServer, SctpClient } = await import('../../src/index.js');
    const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }] });
    const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port: srv.port }] });
    const commUp = waitNotification(cli, (n) => n.type === 'ASSOC_CHANGE');
    const connP = new Promise<any>((res) => srv.once('connection', res));
    cli.open();
    const n = await commUp;
    expect(n.state).to.equal('COMM_UP');
    expect(n.outStreams).to.be.greaterThan(0);
    const conn = await connP;
    const seen: string[] = [];
    conn.on('notification', (x: any) => seen.push(x.type === 'ASSOC_CHANGE' ? x.state : x.type));
    const closed = new Promise<number>((res) => conn.once('close', res));
    cli.end();
    expect(await closed).to.equal(0);
    expect(seen).to.include.members(['SHUTDOWN_EVENT', 'SHUTDOWN_COMP']);
    expect(seen.indexOf('SHUTDOWN_EVENT')).to.be.lessThan(seen.indexOf('SHUTDOWN_COMP'));
    cli.close(); srv.close(true);
  });

  it('closeOnEof: false: a peer shutdown emits \'end\' once, and the connection stays until close()', async () => {
    const { SctpServer, SctpClient } = await import('../../src/index.js');
    const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }], closeOnEof: false });
    const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port: srv.port }] });
    const connP = new Promise<any>((res) => srv.once('connection', res));
    cli.open();
    const conn = await connP;
    let ends = 0, closes = 0;
    conn.on('end', () => ends++);
    conn.on('close', () => closes++);
    cli.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(ends).to.equal(1); // once: no EOF spin
    expect(closes).to.equal(0);
    expect(conn.closed).to.equal(false);
    conn.close();
    expect(conn.closed).to.equal(true);
    cli.close(); srv.close(true);
  });
});
