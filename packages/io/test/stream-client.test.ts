import { expect } from 'chai';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { StreamClient, StreamServer } from '../src/stream.js';
import { jsIpaSegmentation, turns, until } from './helpers.js';

const ENOTCONN = os.constants.errno.ENOTCONN;
const EINVAL = os.constants.errno.EINVAL;
const ENOSPC = os.constants.errno.ENOSPC;

const waitFor = (cond: () => boolean, what: string, ms = 8000): Promise<void> => until(cond, ms, what);

const ipaSegm = jsIpaSegmentation;

let sockSeq = 0;
function tmpSock(): string {
  return path.join(os.tmpdir(), `osmo-io-scli-${process.pid}-${++sockSeq}.sock`);
}

/** A port nobody listens on right now (bound, read, released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Node net echo server (an independent peer for the client). */
async function netEcho(where: { port: number } | { path: string } = { port: 0 }): Promise<{
  server: net.Server; port: number; sockets: Set<net.Socket>; close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => {
    if ('path' in where) server.listen(where.path, r);
    else server.listen(where.port, '127.0.0.1', r);
  });
  const a = server.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  return {
    server, port, sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe('StreamClient', function () {
  const cleanups: Array<() => unknown> = [];
  afterEach(async function () {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  function track(cli: StreamClient): StreamClient {
    cleanups.push(() => cli.destroy());
    return cli;
  }

  it('connects over TCP, echoes, reports addresses', async function () {
    const echo = await netEcho();
    cleanups.push(() => echo.close());
    const events: string[] = [];
    const got: Buffer[] = [];
    const cli = track(new StreamClient({
      port: echo.port, name: 'tcp-echo', nodelay: true,
      connectCb: (c) => {
        events.push('connect');
        expect(c.isConnected).to.equal(true);
        expect(c.send(Buffer.from('hello'))).to.equal(0);
      },
      disconnectCb: () => events.push('disconnect'),
      readCb: (_c, res, msg) => {
        expect(res).to.be.greaterThan(0);
        got.push(msg);
      },
    }));
    expect(cli.state).to.equal('CLOSED');
    expect(cli.open()).to.equal(undefined);
    expect(cli.state).to.equal('CONNECTING');
    expect(cli.iofd).to.not.equal(null);
    await waitFor(() => Buffer.concat(got).toString() === 'hello', 'echo');
    expect(events).to.deep.equal(['connect']);
    expect(cli.state).to.equal('CONNECTED');
    const peer = cli.peerAddress;
    expect(peer).to.not.equal(null);
    expect(peer && 'port' in peer ? peer.port : -1).to.equal(echo.port);
    const local = cli.localAddress;
    expect(local && 'port' in local ? local.port : 0).to.be.greaterThan(0);
    cli.close();
    expect(cli.state).to.equal('CLOSED');
    expect(cli.isConnected).to.equal(false);
    expect(cli.iofd).to.equal(null);
    await turns();
    expect(events).to.deep.equal(['connect']); // close() requested by the app: no disconnectCb
  });

  it('connects over Unix and echoes', async function () {
    const p = tmpSock();
    const echo = await netEcho({ path: p });
    cleanups.push(() => echo.close());
    const got: Buffer[] = [];
    let connects = 0;
    const cli = track(new StreamClient({
      proto: 'unix', path: p,
      connectCb: (c) => { connects++; c.send(Buffer.from('unix-ping')); },
      readCb: (_c, res, msg) => { if (res > 0) got.push(msg); },
    }));
    cli.open();
    await waitFor(() => Buffer.concat(got).toString() === 'unix-ping', 'unix echo');
    expect(connects).to.equal(1);
  });

  it('passes on a read that arrives before the connect notification (peer talks first)', async function () {
    const server = net.createServer((s) => { s.on('error', () => undefined); s.write('greeting'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); }));
    const events: string[] = [];
    const cli = track(new StreamClient({
      port: (server.address() as net.AddressInfo).port,
      connectCb: () => events.push('connect'),
      readCb: (_c, res, msg) => events.push(`read:${res > 0 ? msg.toString() : res}`),
    }));
    cli.open();
    await waitFor(() => events.join('').includes('greeting'), 'greeting');
    expect(events[0]).to.equal('connect');
    expect(events.slice(1).map((e) => e.slice(5)).join('')).to.equal('greeting');
    cli.destroy();
    server.unref();
  });

  it('send() while not connected returns -ENOTCONN; empty message -EINVAL; full queue -ENOSPC', async function () {
    const echo = await netEcho();
    cleanups.push(() => echo.close());
    let connected = false;
    const cli = track(new StreamClient({
      port: echo.port, txqueueMaxLength: 2,
      connectCb: () => { connected = true; },
    }));
    expect(cli.send(Buffer.from('x'))).to.equal(-ENOTCONN); // CLOSED
    cli.open();
    expect(cli.state).to.equal('CONNECTING');
    expect(cli.send(Buffer.from('x'))).to.equal(-ENOTCONN); // CONNECTING
    await waitFor(() => connected, 'connect');
    expect(cli.send(Buffer.alloc(0))).to.equal(-EINVAL);
    const rcs: number[] = [];
    for (let i = 0; i < 10; i++) rcs.push(cli.send(Buffer.alloc(1000, i)));
    expect(rcs).to.include(-ENOSPC);
    expect(rcs[0]).to.equal(0);
    cli.txqueueClear();
    cli.close();
    expect(cli.send(Buffer.from('x'))).to.equal(-ENOTCONN); // CLOSED again
  });

  it('connect refused: waits on the reconnect timer and connects once the server appears', async function () {
    const port = await freePort();
    const events: string[] = [];
    const errors: string[] = [];
    const cli = track(new StreamClient({
      port, reconnectTimeout: 50,
      connectCb: () => events.push('connect'),
      disconnectCb: () => events.push('disconnect'),
      errorCb: (_c, err) => errors.push(String(err.code)),
    }));
    // a non-blocking TCP connect (loopback included) is in progress when open() returns; the core's connect
    // notification brings the refusal
    cli.open();
    expect(cli.state).to.equal('CONNECTING');
    await waitFor(() => errors.length >= 3, 'three refused attempts');
    expect(errors.slice(0, 3)).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(events).to.deep.equal([]); // failures with reconnect enabled are silent (as upstream)
    expect(cli.isConnected).to.equal(false);
    const srv = new StreamServer({ address: '127.0.0.1', port });
    srv.open();
    cleanups.push(() => srv.close({ destroyConnections: true }));
    await waitFor(() => events.length > 0, 'connect after server start');
    expect(events).to.deep.equal(['connect']);
    expect(cli.state).to.equal('CONNECTED');
    await waitFor(() => srv.connections.size === 1, 'server side conn');
  });

  it('Unix path missing: the failure at once is reported after open() returns, the timer retries until the server exists', async function () {
    const p = tmpSock();
    let connects = 0;
    const errors: Array<{ code: unknown; errno: unknown; syscall: unknown; address: unknown; state: string }> = [];
    const cli = track(new StreamClient({
      proto: 'unix', path: p, reconnectTimeout: 30,
      connectCb: () => { connects++; },
      errorCb: (c, err) => { errors.push({ code: err.code, errno: err.errno, syscall: err.syscall, address: err.address, state: c.state }); },
    }));
    cli.open();
    // connect() refused at once (ENOENT), reported like a later refusal: errorCb on a later tick, then the timer
    expect(errors).to.deep.equal([]);
    expect(cli.state).to.equal('CONNECTING');
    await new Promise((r) => process.nextTick(r)); // the report's tick was queued first
    expect(errors).to.deep.equal([
      { code: 'ENOENT', errno: -os.constants.errno.ENOENT, syscall: 'connect', address: p, state: 'CLOSED' },
    ]);
    expect(cli.lastError?.code).to.equal('ENOENT');
    expect(cli.state).to.equal('WAIT_RECONNECT');
    await waitFor(() => errors.length >= 3, 'retries');
    expect(connects).to.equal(0);
    const srv = new StreamServer({ proto: 'unix', path: p });
    srv.open();
    cleanups.push(() => srv.close({ destroyConnections: true }));
    await waitFor(() => connects === 1, 'connect over unix after retries');
    expect(cli.isConnected).to.equal(true);
  });

  it('Unix path missing with reconnect disabled: errorCb then disconnectCb, as for a later refusal', async function () {
    const p = tmpSock();
    const events: string[] = [];
    const cli = track(new StreamClient({
      proto: 'unix', path: p, reconnectTimeout: -1,
      connectCb: () => events.push('connect'),
      errorCb: (c, err) => events.push(`error:${String(err.code)}:${String(err.errno)}:${c.state}`),
      disconnectCb: (c) => events.push(`disconnect:${c.state}`),
    }));
    cli.open();
    expect(events).to.deep.equal([]);
    await new Promise((r) => process.nextTick(r));
    expect(events).to.deep.equal([`error:ENOENT:${-os.constants.errno.ENOENT}:CLOSED`, 'disconnect:CLOSED']);
    await turns();
    expect(events).to.have.length(2);
    expect(cli.state).to.equal('CLOSED');
  });

  describe('a failure at once: what the application does before it is reported wins', function () {
    function failing(events: string[]): StreamClient {
      return track(new StreamClient({
        proto: 'unix', path: tmpSock(), reconnectTimeout: 10,
        connectCb: () => events.push('connect'),
        errorCb: (c, err) => events.push(`error:${String(err.code)}:${c.state}`),
        disconnectCb: () => events.push('disconnect'),
      }));
    }

    it('close() right after open(): no callback, stays CLOSED, no timer', async function () {
      const events: string[] = [];
      const cli = failing(events);
      cli.open();
      cli.close();
      await turns();
      expect(events).to.deep.equal([]);
      expect(cli.state).to.equal('CLOSED');
      expect(cli.lastError).to.equal(null);
    });

    it('destroy() right after open(): no callback', async function () {
      const events: string[] = [];
      const cli = failing(events);
      cli.open();
      cli.destroy();
      await turns();
      expect(events).to.deep.equal([]);
      expect(cli.state).to.equal('CLOSED');
    });

    it('open() twice: the second is a no-op while the first attempt is pending, one report', async function () {
      const events: string[] = [];
      const cli = failing(events);
      cli.open();
      cli.open();
      await new Promise((r) => process.nextTick(r));
      expect(events).to.deep.equal(['error:ENOENT:CLOSED']);
      expect(cli.state).to.equal('WAIT_RECONNECT');
    });

    it('close() then open() again: only the new attempt is reported', async function () {
      const events: string[] = [];
      const cli = failing(events);
      cli.reconnectTimeout = -1;
      cli.open();
      cli.close();
      cli.open();
      await turns();
      expect(events).to.deep.equal(['error:ENOENT:CLOSED', 'disconnect']);
      expect(cli.state).to.equal('CLOSED');
    });

    it('close() inside errorCb of the failure at once: no timer, no disconnectCb', async function () {
      const events: string[] = [];
      const cli = failing(events);
      cli.errorCb = (c, err) => { events.push(`error:${String(err.code)}`); c.close(); };
      cli.open();
      await turns();
      expect(events).to.deep.equal(['error:ENOENT']);
      expect(cli.state).to.equal('CLOSED');
    });
  });

  it('connect refused with reconnect disabled: disconnectCb once, no retry', async function () {
    const port = await freePort();
    const events: string[] = [];
    const cli = track(new StreamClient({
      port, reconnectTimeout: -1,
      connectCb: () => events.push('connect'),
      disconnectCb: (c) => { events.push('disconnect'); expect(c.state).to.equal('CLOSED'); },
    }));
    // in progress when open() returns (loopback too); the refusal comes with the core's connect notification
    cli.open();
    await waitFor(() => events.length > 0, 'disconnectCb');
    // even if the server shows up now, nothing retries: no timer is armed
    const srv = new StreamServer({ address: '127.0.0.1', port });
    srv.open();
    cleanups.push(() => srv.close({ destroyConnections: true }));
    await turns();
    expect(events).to.deep.equal(['disconnect']);
    expect(cli.state).to.equal('CLOSED');
    expect(srv.connections.size).to.equal(0);
  });

  it('server closes the connection: disconnectCb, readCb(0), reconnect', async function () {
    const events: string[] = [];
    let accepted = 0;
    const srv = new StreamServer({
      address: '127.0.0.1',
      acceptCb: (conn) => {
        accepted++;
        if (accepted === 1) setTimeout(() => conn.destroy(), 20);
      },
    });
    srv.open();
    cleanups.push(() => srv.close({ destroyConnections: true }));
    const cli = track(new StreamClient({
      port: srv.port, reconnectTimeout: 50,
      connectCb: () => events.push('connect'),
      disconnectCb: (c) => { events.push('disconnect'); expect(c.isConnected).to.equal(false); },
      readCb: (c, res) => {
        events.push(`read:${res}`);
        if (res === 0) expect(c.state).to.equal('WAIT_RECONNECT');
      },
    }));
    cli.open();
    await waitFor(() => events.filter((e) => e === 'connect').length === 2, 'reconnect');
    expect(events).to.deep.equal(['connect', 'disconnect', 'read:0', 'connect']);
    expect(accepted).to.equal(2);
  });

  it('server gone for good with reconnect disabled: disconnectCb once, stays CLOSED', async function () {
    const events: string[] = [];
    const srv = new StreamServer({ address: '127.0.0.1', acceptCb: (conn) => setTimeout(() => conn.destroy(), 10) });
    srv.open();
    cleanups.push(() => srv.close({ destroyConnections: true }));
    const cli = track(new StreamClient({
      port: srv.port, reconnectTimeout: -1,
      connectCb: () => events.push('connect'),
      disconnectCb: () => events.push('disconnect'),
      readCb: (_c, res) => events.push(`read:${res}`),
    }));
    cli.open();
    await waitFor(() => events.includes('read:0'), 'EOF');
    await turns();
    expect(events).to.deep.equal(['connect', 'disconnect', 'read:0']);
    expect(cli.state).to.equal('CLOSED');
  });

  describe('close/destroy from inside callbacks', function () {
    it('destroy() inside connectCb: no further callbacks, peer sees EOF', async function () {
      const echo = await netEcho();
      cleanups.push(() => echo.close());
      const events: string[] = [];
      const cli = track(new StreamClient({
        port: echo.port, reconnectTimeout: 10,
        connectCb: (c) => { events.push('connect'); c.send(Buffer.from('x')); c.destroy(); },
        disconnectCb: () => events.push('disconnect'),
        readCb: () => events.push('read'),
      }));
      cli.open();
      await waitFor(() => events.length > 0, 'connect');
      await turns();
      expect(events).to.deep.equal(['connect']);
      expect(cli.state).to.equal('CLOSED');
      expect(cli.destroyed).to.equal(true);
      expect(() => cli.open()).to.throw(Error).with.property('code', 'ERR_OSMO_STREAM_DESTROYED');
      await waitFor(() => echo.sockets.size === 0, 'peer closed');
    });

    it('destroy() inside readCb: no further callbacks', async function () {
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.write('a');
        setTimeout(() => { s.write('b'); s.end(); }, 20);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); }));
      const events: string[] = [];
      const cli = track(new StreamClient({
        port: (server.address() as net.AddressInfo).port, reconnectTimeout: 10,
        connectCb: () => events.push('connect'),
        disconnectCb: () => events.push('disconnect'),
        readCb: (c, res) => { events.push(`read:${res}`); c.destroy(); },
      }));
      cli.open();
      await waitFor(() => events.length >= 2, 'read');
      await turns();
      expect(events).to.deep.equal(['connect', 'read:1']);
    });

    it('destroy() inside disconnectCb: no readCb(0), no reconnect', async function () {
      const srv = new StreamServer({ address: '127.0.0.1', acceptCb: (conn) => setTimeout(() => conn.destroy(), 10) });
      srv.open();
      cleanups.push(() => srv.close({ destroyConnections: true }));
      const events: string[] = [];
      const cli = track(new StreamClient({
        port: srv.port, reconnectTimeout: 10,
        connectCb: () => events.push('connect'),
        disconnectCb: (c) => { events.push('disconnect'); c.destroy(); },
        readCb: (_c, res) => events.push(`read:${res}`),
      }));
      cli.open();
      await waitFor(() => events.includes('disconnect'), 'disconnect');
      await turns();
      expect(events).to.deep.equal(['connect', 'disconnect']);
      expect(cli.state).to.equal('CLOSED');
    });

    it('close() then open() inside readCb starts a fresh connection', async function () {
      const echo = await netEcho();
      cleanups.push(() => echo.close());
      const events: string[] = [];
      let n = 0;
      const cli = track(new StreamClient({
        port: echo.port,
        connectCb: (c) => { events.push('connect'); c.send(Buffer.from(`m${++n}`)); },
        disconnectCb: () => events.push('disconnect'),
        readCb: (c, res, msg) => {
          events.push(`read:${msg.toString()}`);
          if (res > 0 && n === 1) { c.close(); c.open(); }
        },
      }));
      cli.open();
      await waitFor(() => events.includes('read:m2'), 'second echo');
      expect(events).to.deep.equal(['connect', 'read:m1', 'connect', 'read:m2']);
    });

    it('destroy() inside the readCb of a segmented bundle stops delivery of the rest', async function () {
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.write(Buffer.from('0001fe00' + '0001fe01' + '0001fe00', 'hex'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); }));
      const msgs: string[] = [];
      const cli = track(new StreamClient({
        port: (server.address() as net.AddressInfo).port, segmentationCb: ipaSegm,
        readCb: (c, _res, msg) => { msgs.push(msg.toString('hex')); c.destroy(); },
      }));
      cli.open();
      await waitFor(() => msgs.length > 0, 'first segment');
      await turns();
      expect(msgs).to.deep.equal(['0001fe00']);
    });
  });

  it('test_segm_ipa_stream_cli: an IPA bundle is split into messages, the rest arrives later', async function () {
    const PING = '0001fe00';
    const PONG = '0001fe01';
    const ID_RESP = '0007fe050101deadbeef';
    const ID_GET = '0003fe040101';
    const idGet = Buffer.from(ID_GET, 'hex');
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.write(Buffer.concat([Buffer.from(PING + PONG + PING + ID_RESP, 'hex'), idGet.subarray(0, 2)]));
      setTimeout(() => s.write(idGet.subarray(2, 4)), 30);
      setTimeout(() => s.write(idGet.subarray(4, 6)), 60);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); }));
    const msgs: string[] = [];
    const cli = track(new StreamClient({
      port: (server.address() as net.AddressInfo).port, segmentationCb: ipaSegm,
      readCb: (_c, res, msg) => {
        expect(res).to.be.greaterThan(0);
        msgs.push(msg.toString('hex'));
      },
    }));
    cli.open();
    await waitFor(() => msgs.length >= 5, 'five IPA messages');
    expect(msgs).to.deep.equal([PING, PONG, PING, ID_RESP, ID_GET]);
  });

  it('unref()/ref() are chainable and do not break connecting', async function () {
    const echo = await netEcho();
    cleanups.push(() => echo.close());
    let connected = false;
    const cli = track(new StreamClient({ port: echo.port, connectCb: () => { connected = true; } }));
    expect(cli.unref()).to.equal(cli);
    cli.open();
    expect(cli.ref()).to.equal(cli);
    await waitFor(() => connected, 'connect');
  });

  it('rejects bad options', function () {
    expect(() => new StreamClient({ port: 0 })).to.throw(RangeError);
    expect(() => new StreamClient({ proto: 'unix' })).to.throw(TypeError);
  });

  it('leaks no file descriptors', async function () {
    const count = (): number => fs.readdirSync('/proc/self/fd').length;
    // warm-up: the backend may open its ring/eventfd lazily once per process
    const echo = await netEcho();
    cleanups.push(() => echo.close());
    {
      let ok = false;
      const c = new StreamClient({ port: echo.port, connectCb: () => { ok = true; } });
      c.open();
      await waitFor(() => ok, 'warm-up');
      c.destroy();
      await waitFor(() => echo.sockets.size === 0, 'warm-up peer gone');
    }
    const before = count();
    const port = await freePort();
    const clis: StreamClient[] = [];
    let connects = 0;
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      clis.push(new StreamClient({
        port: i % 2 === 0 ? echo.port : port, reconnectTimeout: 20,
        connectCb: (c) => { connects++; c.send(Buffer.from('x')); },
        errorCb: () => { refused++; },
      }));
    }
    for (const c of clis) c.open();
    // the refused half retries: every client that cannot connect fails twice at least
    await waitFor(() => connects >= 10 && refused >= 20, 'connects and refused retries');
    for (const c of clis) c.destroy();
    await waitFor(() => echo.sockets.size === 0, 'peers gone');
    await waitFor(() => count() <= before, `fd count back to ${before} (now ${count()})`, 3000);
    expect(count()).to.equal(before);
  });
});
