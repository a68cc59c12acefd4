/**
 * StreamClient and host names (as net.connect): 'localhost', IPv6 literals with and without brackets, `family`,
 * ENOTFOUND with the name for a name that does not resolve, and the real errno of a refused connect.
 */
import { expect } from 'chai';
import net from 'node:net';
import { StreamClient, lookupHost, type NetError } from '../src/index.js';

interface Outcome { connected: boolean; peer: string | null; errors: NetError[]; stateAfterOpen: string }

/** Open a client with reconnecting disabled and wait until it connected or gave up. */
function attempt(opts: { address: string; port: number; family?: 0 | 4 | 6 }): Promise<Outcome> {
  return new Promise((resolve) => {
    const errors: NetError[] = [];
    const cli = new StreamClient({
      ...opts, reconnectTimeout: -1,
      connectCb: (c) => { const p = c.peerAddress; c.destroy(); resolve({ connected: true, peer: p && 'address' in p ? p.address : null, errors, stateAfterOpen }); },
      disconnectCb: (c) => { c.destroy(); resolve({ connected: false, peer: null, errors, stateAfterOpen }); },
      errorCb: (_c, e) => errors.push(e),
    });
    let stateAfterOpen = 'not opened';
    cli.open(); // every failure is reported through errorCb + disconnectCb (reconnecting disabled)
    stateAfterOpen = cli.state;
  });
}

async function listen(host: string): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, host, resolve); });
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

async function closedPort(host = '127.0.0.1'): Promise<number> {
  const { srv, port } = await listen(host);
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function hasIpv6(): Promise<boolean> {
  try { const { srv } = await listen('::1'); srv.close(); return true; } catch { return false; }
}

describe(`StreamClient host names (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  const servers: net.Server[] = [];
  afterEach(() => { for (const s of servers.splice(0)) s.close(); });

  it("'localhost' is looked up and connects (CONNECTING while the name resolves)", async () => {
    const { srv, port } = await listen('127.0.0.1');
    servers.push(srv);
    const r = await attempt({ address: 'localhost', port });
    expect(r.stateAfterOpen).to.equal('CONNECTING');
    expect(r.connected, JSON.stringify(r.errors.map((e) => e.message))).to.equal(true);
    expect(r.peer).to.equal('127.0.0.1');
  });

  it('a name that does not resolve: errorCb with ENOTFOUND and the name, then disconnectCb', async () => {
    const r = await attempt({ address: 'nonexistent.invalid', port: 4249 });
    expect(r.connected).to.equal(false);
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]!.code).to.equal('ENOTFOUND');
    expect(r.errors[0]!.hostname).to.equal('nonexistent.invalid');
    expect(r.errors[0]!.message).to.contain('nonexistent.invalid');
  });

  it('lastError keeps the failure; a name that fails keeps retrying on the reconnect timer', async () => {
    const errors: NetError[] = [];
    const cli = new StreamClient({ address: 'nonexistent.invalid', port: 4249, reconnectTimeout: 20, errorCb: (_c, e) => errors.push(e) });
    try {
      cli.open();
      const t0 = Date.now();
      while (errors.length < 2 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 10));
      expect(errors.length).to.be.at.least(2);
      expect(cli.lastError?.code).to.equal('ENOTFOUND');
      expect(cli.state).to.be.oneOf(['WAIT_RECONNECT', 'CONNECTING']);
    } finally {
      cli.destroy();
    }
  });

  it('close() while the name is being looked up: no callback afterwards', async () => {
    let calls = 0;
    const cli = new StreamClient({ address: 'localhost', port: 1, reconnectTimeout: -1,
      connectCb: () => calls++, disconnectCb: () => calls++, errorCb: () => calls++ });
    cli.open();
    expect(cli.state).to.equal('CONNECTING');
    cli.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).to.equal(0);
    expect(cli.state).to.equal('CLOSED');
  });

  it('IPv6 literals with and without brackets; family 4 / 6 for names', async function () {
    if (!(await hasIpv6())) this.skip(); // no ::1 on this host's loopback
    const { srv, port } = await listen('::1');
    servers.push(srv);
    for (const address of ['::1', '[::1]']) {
      const r = await attempt({ address, port });
      expect(r.connected, address).to.equal(true);
      expect(r.peer).to.equal('::1');
    }
    // 'localhost' restricted to IPv4 cannot reach a server on ::1 only
    const v4 = await attempt({ address: 'localhost', port, family: 4 });
    expect(v4.connected).to.equal(false);
    expect(v4.errors.at(-1)?.address).to.equal('127.0.0.1');
  });

  it('a name with several addresses: tried in order until one connects (lookup option as net.connect)', async () => {
    const { srv, port } = await listen('127.0.0.1');
    servers.push(srv);
    const asked: string[] = [];
    const errors: NetError[] = [];
    // the first address refuses (nothing on 127.0.0.2:port), the second one listens
    const cli = new StreamClient({ address: 'bsc.example', port, reconnectTimeout: -1,
      lookup: (name, opts, cb) => { asked.push(`${name}/${opts.family}/${opts.all}`); cb(null, [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]); },
      errorCb: (_c, e) => errors.push(e) });
    try {
      await new Promise<void>((resolve, reject) => {
        cli.connectCb = () => resolve();
        cli.disconnectCb = () => reject(new Error(`gave up: ${errors.map((e) => e.message).join(', ')}`));
        cli.open();
      });
      expect(asked).to.deep.equal(['bsc.example/0/true']);
      const peer = cli.peerAddress;
      expect(peer && 'address' in peer ? peer.address : null).to.equal('127.0.0.1');
      expect(errors, 'a failed address that is not the last is no failed attempt').to.deep.equal([]);
    } finally {
      cli.destroy();
    }
  });

  it('lookupHost: literals as they are, names through dns.lookup, ENOTFOUND with hostname', async () => {
    expect(await lookupHost('[::1]')).to.deep.equal([{ address: '::1', family: 6 }]);
    expect(await lookupHost('10.1.2.3')).to.deep.equal([{ address: '10.1.2.3', family: 4 }]);
    expect((await lookupHost('localhost', 4))[0]).to.deep.equal({ address: '127.0.0.1', family: 4 });
    const e = await lookupHost('nonexistent.invalid').then(() => null, (x: NetError) => x);
    expect(e?.code).to.equal('ENOTFOUND');
    expect(e?.hostname).to.equal('nonexistent.invalid');
    expect(() => new StreamClient({ port: 1, family: 5 as 4 })).to.throw(/family must be 0, 4 or 6/);
  });

  // Needs the core to pass the real errno of a failed connect to the connect notification (issue 11 §3): until
  // that is merged the io_uring backend reports ENOTCONN here.
  it('a refused connect is reported as ECONNREFUSED (errno -111, address, port)', async () => {
    const port = await closedPort();
    const r = await attempt({ address: '127.0.0.1', port });
    expect(r.connected).to.equal(false);
    expect(r.errors).to.have.length(1);
    const e = r.errors[0]!;
    expect({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port })
      .to.deep.equal({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port });
    expect(e.message).to.equal(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
