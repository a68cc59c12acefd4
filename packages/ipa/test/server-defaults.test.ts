/**
 * IpaServer's defaults against unauthenticated peers (issue 10 item 8) and a half-closing peer (item 5), with raw
 * node:net peers: a connection that never identifies is closed after the handshake timeout; until identified a frame
 * may not exceed 1024 bytes (no 64 KiB parked per connection); once identified the full limit applies; a peer that
 * sends PINGs and shuts down its sending side gets every PONG.
 */
import { expect } from 'chai';
import net from 'node:net';
import { IpaServer } from '../src/server.js';
import { ccmIdResp, ccmPingFrame, ccmPongFrame, encodeCcmFrame } from '../src/ccm.js';
import { ioMissing, until, backendName } from './util.js';

function connect(port: number): Promise<{ s: net.Socket; got: () => Buffer; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0), closed = false;
    s.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); });
    s.on('close', () => { closed = true; });
    s.on('error', () => {});
    s.once('connect', () => resolve({ s, got: () => buf, closed: () => closed }));
    s.once('error', reject);
  });
}

/** an IPA frame of n bytes in all (header included), protocol OML */
function omlFrame(n: number): Buffer {
  const b = Buffer.alloc(n, 0x55);
  b.writeUInt16BE(n - 3, 0);
  b[2] = 0xff;
  return b;
}

describe(`IpaServer defaults (backend ${backendName()})`, function () {
  before(function () { if (ioMissing()) this.skip(); });
  const servers: IpaServer[] = [];
  afterEach(() => { for (const s of servers.splice(0)) s.close(); });
  const open = (opts: ConstructorParameters<typeof IpaServer>[0]): IpaServer => {
    const srv = new IpaServer({ address: '127.0.0.1', port: 0, ...opts });
    srv.open();
    servers.push(srv);
    return srv;
  };

  it('a connection that never answers ID_GET is closed after the handshake timeout', async () => {
    const srv = open({ handshakeTimeoutMs: 200 });
    const downs: string[] = [];
    srv.on('down', (_c, reason) => downs.push(reason));
    const c = await connect(srv.port);
    await until(() => c.closed(), 3000, 'closed by the server');
    expect(downs).to.deep.equal(['handshake timeout']);
  });

  it('before identification a frame over 1024 bytes closes the connection; after it, 4000-byte frames pass', async () => {
    const srv = open({ handshakeTimeoutMs: 0 });
    const got: number[] = [];
    srv.on('message', (_c, m) => got.push(m.payload.length + 3));
    const a = await connect(srv.port);
    a.s.write(omlFrame(2000));
    await until(() => a.closed(), 3000, 'unidentified peer with a 2000-byte frame closed');

    const b = await connect(srv.port);
    b.s.write(encodeCcmFrame(ccmIdResp({ unitId: { site: 7, bts: 0, trx: 0 } })));
    await until(() => srv.upConnections().length === 1, 3000, 'identified');
    b.s.write(omlFrame(4000));
    await until(() => got.length === 1, 3000, 'the 4000-byte frame');
    expect(got).to.deep.equal([4000]);
    expect(b.closed()).to.equal(false);
    b.s.destroy();
  });

  it('a peer that sends 200 PINGs and shuts down its sending side gets 200 PONGs', async () => {
    const srv = open({ handshake: false });
    const c = await connect(srv.port);
    const pings = Buffer.concat(Array.from({ length: 200 }, () => ccmPingFrame()));
    c.s.end(pings);
    await until(() => c.closed(), 5000, 'closed after the flush');
    const pong = ccmPongFrame();
    expect(c.got().length).to.equal(200 * pong.length);
  });
});
