/** Bad input against a real kernel: invalid streams, truncated control data, closing with sends in flight. */
import { expect } from 'chai';
import { once } from 'node:events';
import { getBackend } from '@osmo/io';
import { SctpDecodeError, type RcvInfo } from '../../src/index.js';
import { collect, pair, requireSctp, withTimeout } from './helpers.js';

describe(`@osmo/sctp bad input (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('a stream >= the negotiated out-streams: -EINVAL at once, and -EINVAL from the kernel when not known here', async () => {
    const { srv, cli, conn } = await pair({ streams: { out: 4, in: 4 } });
    try {
      expect(cli.outStreams).to.equal(4);
      expect(cli.send(Buffer.from('x'), { stream: 4 })).to.equal(-22);
      // without our own check the kernel answers the same, through the send callback
      const s = cli.socket!;
      s.outStreams = 0;
      const res = await new Promise<number>((resolve) => expect(s.send(Buffer.from('x'), { stream: 9 }, resolve)).to.equal(0));
      expect(res).to.equal(-22);
      // the association is fine afterwards
      const got = collect(conn, 1);
      s.send(Buffer.from('still here'), { stream: 3, ppid: 5 });
      expect((await got)[0][0].toString()).to.equal('still here');
      expect(cli.send(Buffer.alloc(0))).to.equal(-22);
      expect(() => cli.send(Buffer.from('x'), { stream: 70000 })).to.throw(RangeError);
    } finally { cli.close(); srv.close(true); }
  });

  it('control data cut short by the kernel (MSG_CTRUNC) is a typed error, the next message is fine', async () => {
    const { srv, cli, conn } = await pair();
    try {
      conn.iofd!.setCmsgSize(8); // too small for SCTP_RCVINFO: the kernel truncates and sets MSG_CTRUNC
      const err = once(conn, 'decodeError');
      cli.send(Buffer.from('one'), { ppid: 1 });
      const [e] = await withTimeout(err, 5000, 'decodeError');
      expect(e).to.be.instanceOf(SctpDecodeError);
      expect(e.code).to.equal('ERR_SCTP_TRUNCATED');
      conn.iofd!.setCmsgSize(256);
      // io_uring keeps a receive armed: the one armed before the size went back up may still be short
      const good = new Promise<[Buffer, RcvInfo]>((resolve) => conn.on('message', (d: Buffer, r: RcvInfo) => resolve([d, r])));
      cli.send(Buffer.from('two'), { ppid: 2, stream: 1 });
      cli.send(Buffer.from('three'), { ppid: 3, stream: 1 });
      const [d, r] = await withTimeout(good, 5000, 'an intact message');
      expect(d.toString()).to.be.oneOf(['two', 'three']);
      expect(r.ppid).to.equal(d.toString() === 'two' ? 2 : 3);
    } finally { cli.close(); srv.close(true); }
  });

  it('close() with sends in flight: every send callback fires exactly once', async () => {
    const { srv, cli } = await pair();
    try {
      const N = 300;
      const calls = new Array<number>(N).fill(0);
      const results: number[] = [];
      const all = new Promise<void>((resolve) => {
        let n = 0;
        for (let i = 0; i < N; i++)
          expect(cli.send(Buffer.alloc(4000, i), { stream: i % 4 }, (res) => { calls[i]++; results.push(res); if (++n === N) resolve(); })).to.equal(0);
      });
      cli.socket!.close();
      await withTimeout(all, 5000, 'callbacks');
      await new Promise((r) => setTimeout(r, 100));
      expect(calls.every((c) => c === 1)).to.equal(true);
      expect(results.every((r) => r === 4000 || r === -125)).to.equal(true);
    } finally { cli.close(); srv.close(true); }
  });

  it('end() with sends in flight: the peer gets every message, then the association shuts down', async () => {
    const { srv, cli, conn } = await pair();
    try {
      const N = 200;
      const got = collect(conn, N);
      let ok = 0;
      for (let i = 0; i < N; i++) cli.send(Buffer.from(`m${i}`), { stream: 1 }, (res) => { if (res > 0) ok++; });
      const closed = once(conn, 'close');
      cli.end();
      expect((await got).map(([d]) => d.toString())).to.deep.equal(Array.from({ length: N }, (_, i) => `m${i}`));
      expect((await withTimeout(closed, 10000, 'close'))[0]).to.equal(0);
      expect(ok).to.equal(N);
    } finally { cli.close(); srv.close(true); }
  });
});
