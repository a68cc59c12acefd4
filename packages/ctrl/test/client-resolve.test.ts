/** CtrlClient and host names: 'localhost', '[::1]', ENOTFOUND with the name, ECONNREFUSED as the error's cause. */
import { expect } from 'chai';
import net from 'node:net';
import { CtrlClient, CtrlClientError, CtrlRegistry, CtrlServer, CtrlTree } from '../src/index.js';

type Cause = Error & { code?: string; errno?: number; hostname?: string; address?: string; port?: number };

async function connectError(host: string, port: number): Promise<CtrlClientError> {
  const c = new CtrlClient({ host, port, connectTimeout: 5000 });
  try {
    await c.connect();
  } catch (e) {
    return e as CtrlClientError;
  } finally {
    c.close();
  }
  throw new Error(`connected to ${host}:${port}`);
}

describe(`CtrlClient host names (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  let srv: CtrlServer;
  beforeEach(() => {
    const tree = new CtrlTree();
    tree.root.command({ name: 'x', get: () => 'y' });
    srv = new CtrlServer({ tree, registry: new CtrlRegistry() });
    srv.open();
  });
  afterEach(() => srv.close());

  it("host 'localhost': GET works", async () => {
    const c = new CtrlClient({ host: 'localhost', port: srv.port });
    try {
      await c.connect();
      expect(await c.get('x')).to.equal('y');
    } finally {
      c.close();
    }
  });

  it("host '[::1]' and '::1' reach a server on ::1", async function () {
    const tree = new CtrlTree();
    tree.root.command({ name: 'x', get: () => 'v6' });
    let s6: CtrlServer;
    try { s6 = new CtrlServer({ tree, registry: new CtrlRegistry(), address: '::1' }); s6.open(); } catch { this.skip(); }
    try {
      for (const host of ['[::1]', '::1']) {
        const c = new CtrlClient({ host, port: s6.port });
        await c.connect();
        expect(await c.get('x')).to.equal('v6');
        expect(c.host).to.equal('::1');
        c.close();
      }
    } finally {
      s6.close();
    }
  });

  it('a name that does not resolve: ERR_OSMO_CTRL_NOT_CONNECTED naming it, cause ENOTFOUND with hostname', async () => {
    const e = await connectError('nonexistent.invalid', 4249);
    expect(e.code).to.equal('ERR_OSMO_CTRL_NOT_CONNECTED');
    expect(e.message).to.equal('cannot connect to nonexistent.invalid:4249: host name not found (ENOTFOUND nonexistent.invalid)');
    const cause = e.cause as Cause;
    expect(cause.code).to.equal('ENOTFOUND');
    expect(cause.hostname).to.equal('nonexistent.invalid');
  });

  // needs the core's fix (real errno on the connect notification); io_uring reports ENOTCONN until it is merged
  it('a refused connect: "connection refused (ECONNREFUSED)", cause errno -111', async () => {
    const port = srv.port;
    srv.close();
    const e = await connectError('127.0.0.1', port);
    expect(e.message).to.equal(`cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    const cause = e.cause as Cause;
    expect({ code: cause.code, errno: cause.errno, address: cause.address, port: cause.port })
      .to.deep.equal({ code: 'ECONNREFUSED', errno: -111, address: '127.0.0.1', port });
  });
});
