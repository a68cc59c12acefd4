/** Notifications from a real kernel: ABORT -> COMM_LOST, SEND_FAILED for an expired PR-SCTP lifetime, connect refused. */
import { expect } from 'chai';
import { once } from 'node:events';
import { getBackend, sock } from '@osmo/io';
import { sctp, SctpClient } from '../../src/index.js';
import { pair, requireSctp, waitNotification, withTimeout } from './helpers.js';

describe(`@osmo/sctp notifications (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('peer ABORT: COMM_LOST at the other side, then the socket closes with ECONNRESET', async () => {
    const { srv, cli, conn } = await pair();
    try {
      const lost = waitNotification(conn, (n) => n.type === 'ASSOC_CHANGE' && n.state === 'COMM_LOST');
      const closed = once(conn, 'close');
      cli.socket!.abort();
      const n = await lost;
      expect(n.assocId).to.be.a('number');
      const [res] = await withTimeout(closed, 5000, 'close');
      expect(res).to.equal(-104);
    } finally { cli.close(); srv.close(true); }
  });

  it('send(data, { abort: true }) aborts the association', async () => {
    const { srv, cli, conn } = await pair();
    try {
      const lost = waitNotification(cli, (n) => n.type === 'ASSOC_CHANGE' && n.state === 'COMM_LOST');
      conn.send(Buffer.from('going away'), { abort: true });
      await lost;
    } finally { cli.close(); srv.close(true); }
  });

  it('a message whose PR-SCTP lifetime ran out comes back as SEND_FAILED_EVENT with its data', async () => {
    // a peer that never reads: its receive window fills and later messages wait in our queue until they expire
    const lfd = sctp.socket({ type: 'stream', local: [{ address: '127.0.0.1', port: 0 }], listen: true });
    sock.setsockopt(lfd, 1, 8 /* SO_RCVBUF */, 4096);
    const port = (sock.localAddress(lfd) as { port: number }).port;
    const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port }], rto: { initialMs: 100, minMs: 50, maxMs: 200 } });
    cli.open();
    await withTimeout(once(cli, 'connect'), 5000, 'connect');
    let pfd = -1;
    for (let i = 0; i < 50 && pfd < 0; i++) { pfd = sock.accept(lfd); if (pfd < 0) await new Promise((r) => setTimeout(r, 20)); }
    try {
      const failed = waitNotification(cli, (n) => n.type === 'SEND_FAILED_EVENT', 20000);
      const payload = Buffer.alloc(1000, 0x5a);
      let sent = 0;
      const pump = setInterval(() => { for (let i = 0; i < 20; i++) if (cli.send(payload, { ppid: 9, stream: 0, ttlMs: 30, context: 4242 }) === 0) sent++; }, 20);
      const n = await failed;
      clearInterval(pump);
      expect(sent).to.be.greaterThan(0);
      expect(n.context).to.equal(4242);
      expect(n.ppid).to.equal(9);
      expect(n.data.length).to.be.greaterThan(0);
    } finally { cli.close(); if (pfd >= 0) sock.close(pfd); sock.close(lfd); }
  });

  it('a refused connect is reported as a close with ECONNREFUSED (connect notification on both backends)', async () => {
    const lfd = sctp.socket({ type: 'stream', local: [{ address: '127.0.0.1', port: 0 }] });
    const port = (sock.localAddress(lfd) as { port: number }).port;
    sock.close(lfd);
    const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port }], rto: { initialMs: 100, minMs: 50, maxMs: 200 } });
    const d = once(cli, 'disconnect');
    cli.open();
    const [res] = await withTimeout(d, 20000, 'disconnect');
    expect(res).to.be.oneOf([-111, -104]);
    expect(cli.state).to.equal('CLOSED');
  });
});
