/** Volume: 1,000 associations on one server; 100 MB over 16 streams, none lost or reordered within a stream. */
import { expect } from 'chai';
import { once } from 'node:events';
import { getBackend } from '@osmo/io';
import { SctpClient, SctpServer, type RcvInfo, type SctpServerConn } from '../../src/index.js';
import { pair, requireSctp, withTimeout } from './helpers.js';

describe(`@osmo/sctp volume (${getBackend()})`, function () {
  before(function () { requireSctp(this); });
  this.timeout(120000);

  it('1,000 associations to one server, each exchanging a message', async () => {
    const N = 1000;
    const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }], backlog: 1024, readSize: 2048 });
    let echoed = 0;
    srv.on('connection', (c: SctpServerConn) => c.on('message', (d: Buffer, r: RcvInfo) => { c.send(d, { ppid: r.ppid, stream: r.stream }); echoed++; }));
    const clis: SctpClient[] = [];
    let replies = 0;
    const allReplied = new Promise<void>((resolve, reject) => {
      for (let i = 0; i < N; i++) {
        const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port: srv.port }], readSize: 2048 });
        cli.on('connect', () => cli.send(Buffer.from(`assoc ${i}`), { ppid: 3, stream: 0 }));
        cli.on('message', (d: Buffer, r: RcvInfo) => {
          expect(d.toString()).to.equal(`assoc ${i}`);
          expect(r.ppid).to.equal(3);
          if (++replies === N) resolve();
        });
        // open() reports a refused attempt (at once or later) as 'disconnect' (-errno)
        cli.on('disconnect', (res: number) => reject(new Error(`assoc ${i} ended: ${res}`)));
        cli.open();
        clis.push(cli);
      }
    });
    try {
      await withTimeout(allReplied, 90000, () => `${N} replies (got ${replies})`);
      expect(srv.conns.size).to.equal(N);
      expect(echoed).to.equal(N);
    } finally { for (const c of clis) c.close(); srv.close(true); }
  });

  it('100 MB over 16 streams: every message arrives, in order within its stream, intact (partial deliveries reassembled)', async () => {
    // 64 KiB messages want buffers larger than the 16 KiB default send buffer: with it, every message waits
    // for the peer's delayed SACK (200 ms), about 0.3 MB/s
    const { srv, cli, conn } = await pair({ sndbuf: 4 << 20, rcvbuf: 4 << 20, rto: { initialMs: 50, minMs: 20, maxMs: 200 } });
    const SIZE = 64 * 1024, STREAMS = 16, TOTAL = 100 * 1024 * 1024, COUNT = Math.ceil(TOTAL / SIZE);
    const body = Buffer.alloc(SIZE + 256);
    for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
    const nextSeq = new Array<number>(STREAMS).fill(0);
    let received = 0, bytes = 0, bad = 0;
    const done = new Promise<void>((resolve) => conn.on('message', (d: Buffer, r: RcvInfo) => {
      const s = d.readUInt16BE(0), seq = d.readUInt32BE(2);
      if (s !== r.stream || seq !== nextSeq[s] || d.length !== SIZE || r.ppid !== 1000 + s ||
          !d.subarray(8).equals(body.subarray((seq + s) & 0xff, ((seq + s) & 0xff) + SIZE - 8))) bad++;
      nextSeq[s] = seq + 1;
      bytes += d.length;
      if (++received === COUNT) resolve();
    }));
    let sent = 0, inflight = 0, failed = 0;
    const sendMore = (): void => {
      while (inflight < 64 && sent < COUNT) {
        const s = sent % STREAMS, seq = Math.floor(sent / STREAMS);
        const m = Buffer.allocUnsafe(SIZE);
        m.writeUInt16BE(s, 0); m.writeUInt32BE(seq, 2); m.writeUInt16BE(0, 6);
        body.copy(m, 8, (seq + s) & 0xff, ((seq + s) & 0xff) + SIZE - 8);
        const rc = cli.send(m, { ppid: 1000 + s, stream: s }, (res) => { inflight--; if (res !== SIZE) failed++; sendMore(); });
        expect(rc).to.equal(0);
        inflight++; sent++;
      }
    };
    try {
      sendMore();
      await withTimeout(done, 110000, () => `100 MB (got ${received} of ${COUNT})`);
      expect(failed).to.equal(0);
      expect(bad).to.equal(0);
      expect(bytes).to.equal(COUNT * SIZE);
      expect(nextSeq.reduce((a, b) => a + b, 0)).to.equal(COUNT);
    } finally { cli.close(); srv.close(true); }
  });
});
