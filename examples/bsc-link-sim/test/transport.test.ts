/**
 * The transport pair's one shape, for both implementations: open() returns nothing; a server link reports
 * 'listening' or 'error' after open() returned, a client link 'connected' or 'connectError' (and retries).
 */
import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import { once } from 'node:events';
import { turns } from '../../../packages/io/test/loop.js';
import { loadTransport, listening, type ClientLink, type ServerLink, type TransportKind } from '../src/transport.js';

for (const kind of ['osmo-io', 'node-net'] as TransportKind[]) {
  describe(`bsc-link-sim transport ${kind}: open()`, function () {
    const links: Array<ServerLink | ClientLink> = [];
    afterEach(() => { for (const l of links.splice(0)) l.close(); });
    const T = loadTransport(kind);
    const server = (port: number): ServerLink => {
      const s = T.server({ host: '127.0.0.1', port, name: `${kind}-srv` });
      links.push(s);
      return s;
    };

    it("a server link: open() returns nothing, then 'listening' with the port", async () => {
      const s = server(0);
      const events: string[] = [];
      s.on('listening', () => events.push('listening'));
      expect(s.open()).to.equal(undefined);
      expect(events).to.deep.equal([]);
      await once(s, 'listening');
      expect(events).to.deep.equal(['listening']);
      expect(s.port).to.be.greaterThan(0);
    });

    it("a busy port: 'error' EADDRINUSE after open() returned; listening() rejects with it", async () => {
      const a = server(0);
      await listening(a);
      const b = server(a.port);
      let reported = false;
      const failed = new Promise<Error & { code?: string; errno?: number }>((r) => b.on('error', (e) => { reported = true; r(e); }));
      expect(b.open()).to.equal(undefined);
      expect(reported).to.equal(false); // node:net reports it on a later tick, and so does the osmo-io link
      const got = await failed;
      expect([got.code, got.errno]).to.deep.equal(['EADDRINUSE', -osConstants.errno.EADDRINUSE]);
      const c = server(a.port);
      const err = await listening(c).then(() => null, (e: unknown) => e as { code?: string });
      expect(err?.code).to.equal('EADDRINUSE');
    });

    it('a client link: open() twice makes one connection', async () => {
      const a = server(0);
      await listening(a);
      const ups: string[] = [];
      a.on('up', (c) => ups.push(String(c.unitId)));
      const c = T.client({ host: '127.0.0.1', port: a.port, unitId: '7/0/0', name: `${kind}-cli`, reconnectMs: -1 });
      links.push(c);
      c.open();
      c.open();
      await once(c, 'up');
      await turns();
      expect(ups).to.deep.equal(['7/0/0']);
    });

    it("a client link: open() returns nothing, a refused attempt is 'connectError' (ECONNREFUSED) after it", async () => {
      const a = server(0);
      await listening(a);
      const port = a.port;
      a.close();
      const c = T.client({ host: '127.0.0.1', port, unitId: '1/0/0', name: `${kind}-cli`, reconnectMs: -1 });
      links.push(c);
      const errors: string[] = [];
      c.on('connectError', (e) => errors.push(String(e.code)));
      expect(c.open()).to.equal(undefined);
      expect(errors).to.deep.equal([]);
      await once(c, 'connectError');
      expect(errors).to.deep.equal(['ECONNREFUSED']);
    });
  });
}
