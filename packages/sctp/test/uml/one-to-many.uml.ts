/** One-to-many (seqpacket): per-association routing by assocId, replies per association, peeloff. */
import { expect } from 'chai';
import { once } from 'node:events';
import { getBackend } from '@osmo/io';
import { sctp, SctpClient, SctpSocket, type SctpAssociation, type RcvInfo } from '../../src/index.js';
import { collect, requireSctp, withTimeout } from './helpers.js';

describe(`@osmo/sctp one-to-many (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('routes messages per association, answers each on its own, and peels one off to a one-to-one socket', async () => {
    const ep = sctp.createSocket({ type: 'seqpacket', local: [{ address: '127.0.0.1', port: 0 }], listen: true, streams: { out: 8, in: 8 } });
    const port = ep.localAddress()!.port;
    const assocs: SctpAssociation[] = [];
    ep.on('association', (a: SctpAssociation) => {
      assocs.push(a);
      a.on('message', (d: Buffer, r: RcvInfo) => a.send(Buffer.from(`${d}@${a.assocId}`), { ppid: r.ppid + 1, stream: r.stream }));
    });
    const clis: SctpClient[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = new SctpClient({ remote: [{ address: '127.0.0.1', port }], streams: { out: 8, in: 8 } });
        c.open();
        await withTimeout(once(c, 'connect'), 5000, 'connect');
        clis.push(c);
      }
      await withTimeout((async () => { while (assocs.length < 3) await new Promise((r) => setTimeout(r, 10)); })(), 5000, 'COMM_UP x3');
      expect(new Set(assocs.map((a) => a.assocId)).size).to.equal(3);
      expect(assocs.every((a) => a.outStreams === 8)).to.equal(true);
      const replies = clis.map((c) => collect(c, 1));
      clis.forEach((c, i) => c.send(Buffer.from(`hi${i}`), { ppid: 10 * i, stream: i }));
      const got = await Promise.all(replies);
      const ids = got.map(([[d, r]], i) => {
        const [text, id] = d.toString().split('@');
        expect(text).to.equal(`hi${i}`);
        expect(r.ppid).to.equal(10 * i + 1);
        expect(r.stream).to.equal(i);
        return Number(id);
      });
      expect(new Set(ids).size).to.equal(3);
      // peel the second association off
      const fd = ep.peeloff(ids[1]);
      expect(ep.associations.has(ids[1])).to.equal(false);
      const peeled = new SctpSocket(fd, 'stream', { name: 'peeled' });
      expect(peeled.outStreams).to.equal(8);
      const atPeeled = collect(peeled, 1);
      const atEp = new Promise<never>((_, rej) => ep.once('message', (d: Buffer) => { if (d.toString() === 'after') rej(new Error('went to the one-to-many socket')); }));
      clis[1].send(Buffer.from('after'), { ppid: 77, stream: 2 });
      const [[d, r]] = await Promise.race([atPeeled, atEp]);
      expect(d.toString()).to.equal('after');
      expect(r.ppid).to.equal(77);
      const back = collect(clis[1], 1);
      peeled.send(Buffer.from('from peeled'), { ppid: 78, stream: 3 });
      const [[b, br]] = await back;
      expect(b.toString()).to.equal('from peeled');
      expect([br.ppid, br.stream]).to.deep.equal([78, 3]);
      // the others still go through the one-to-many socket
      const r0 = collect(clis[0], 1);
      clis[0].send(Buffer.from('again'), { ppid: 1 });
      expect((await r0)[0][0].toString()).to.equal(`again@${ids[0]}`);
      // end() on the peeled socket: a graceful shutdown of that association only
      const gone = once(clis[1], 'disconnect');
      const closed = once(peeled, 'close');
      peeled.end();
      expect((await withTimeout(gone, 10000, 'peeled association shut down'))[0]).to.equal(0);
      expect((await closed)[0]).to.equal(0);
    } finally { for (const c of clis) c.close(); ep.close(); }
  });

  it('SCTP_EOF per association: that peer sees the shutdown after the data, the other association stays', async () => {
    const ep = sctp.createSocket({ type: 'seqpacket', local: [{ address: '127.0.0.1', port: 0 }], listen: true });
    const port = ep.localAddress()!.port;
    const a = new SctpClient({ remote: [{ address: '127.0.0.1', port }] });
    const b = new SctpClient({ remote: [{ address: '127.0.0.1', port }] });
    try {
      a.open(); b.open();
      await withTimeout(Promise.all([once(a, 'connect'), once(b, 'connect')]), 5000, 'connect');
      const who = collect(ep, 1);
      a.send(Buffer.from('this is a'));
      const [[, ra]] = await who;
      const assoc = ep.associations.get(ra.assocId)!;
      expect(assoc).to.not.equal(undefined);
      const got = collect(a, 1);
      const gone = once(a, 'disconnect');
      expect(assoc.send(Buffer.from('last words'), { eof: true, ppid: 3 })).to.equal(0);
      expect((await got)[0][0].toString()).to.equal('last words');
      expect((await withTimeout(gone, 10000, 'disconnect'))[0]).to.equal(0);
      const r = collect(ep, 1);
      b.send(Buffer.from('alive'));
      const [[d, rb]] = await r;
      expect(d.toString()).to.equal('alive');
      expect(rb.assocId).to.not.equal(ra.assocId);
    } finally { a.close(); b.close(); ep.close(); }
  });
});
