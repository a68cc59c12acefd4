/** IpaClient and host names: 'localhost', IPv6 with brackets, ENOTFOUND / ECONNREFUSED as 'connectError' events. */
import { expect } from 'chai';
import net from 'node:net';
import { IpaClient } from '../src/client.js';
import { IpaServer } from '../src/server.js';
import { once } from './util.js';

type ConnErr = Error & { code: string; errno: number; hostname?: string; address?: string; port?: number };

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe(`IpaClient host names (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  const done: Array<{ close(): void }> = [];
  afterEach(() => { for (const x of done.splice(0)) x.close(); });

  it("address 'localhost': connects and completes the ID handshake", async () => {
    const srv = new IpaServer({ address: '127.0.0.1', port: 0 });
    srv.open();
    done.push(srv);
    const cli = new IpaClient({ address: 'localhost', port: srv.port, reconnectTimeout: 50, identity: { unitId: '1/0/0' } });
    done.push(cli);
    cli.open();
    expect(cli.lastError).to.equal(null); // no failure at once
    await once(cli, 'up', 5000);
    expect(cli.lastError).to.equal(null);
  });

  it("address '[::1]' (IPv6 in brackets) connects", async function () {
    const s = net.createServer((c) => c.on('error', () => undefined));
    try { await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, '::1', resolve); }); } catch { this.skip(); }
    done.push(s);
    const cli = new IpaClient({ address: '[::1]', port: (s.address() as net.AddressInfo).port, reconnectTimeout: 50 });
    done.push(cli);
    cli.open();
    await once(cli, 'connect', 5000);
  });

  it("a name that does not resolve: 'connectError' with ENOTFOUND and the name; it keeps retrying", async () => {
    const cli = new IpaClient({ address: 'nonexistent.invalid', port: 3002, reconnectTimeout: 20 });
    done.push(cli);
    const errs: ConnErr[] = [];
    cli.on('connectError', (e) => errs.push(e as ConnErr));
    cli.open();
    expect(cli.lastError).to.equal(null); // no failure at once
    const [e] = await once<[ConnErr]>(cli, 'connectError', 8000);
    expect(e.code).to.equal('ENOTFOUND');
    expect(e.hostname).to.equal('nonexistent.invalid');
    await once(cli, 'connectError', 8000);
    expect(errs.length).to.be.at.least(2);
    expect(cli.lastError?.code).to.equal('ENOTFOUND');
  });

  // needs the core's fix (real errno on the connect notification); io_uring reports ENOTCONN until it is merged
  it("a refused connect: 'connectError' with ECONNREFUSED (errno -111, address, port)", async () => {
    const port = await closedPort();
    const cli = new IpaClient({ address: '127.0.0.1', port, reconnectTimeout: 1000 });
    done.push(cli);
    cli.open();
    const [e] = await once<[ConnErr]>(cli, 'connectError', 5000);
    expect({ code: e.code, errno: e.errno, address: e.address, port: e.port })
      .to.deep.equal({ code: 'ECONNREFUSED', errno: -111, address: '127.0.0.1', port });
  });
});
