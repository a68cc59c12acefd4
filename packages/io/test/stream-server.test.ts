import { expect } from 'chai';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { StreamClient, StreamServer } from '../src/stream.js';
import { jsIpaSegmentation, turns, until } from './helpers.js';
import type { StreamServerConn } from '../src/stream.js';
import { sock } from '../src/sock.js';
import { OsmoIoSystemError } from '../src/errors.js';
import { lengthPrefixSegmentation } from '../src/segmentation.js';

const ENOTCONN = os.constants.errno.ENOTCONN;
const ESHUTDOWN = 108; // Linux

const waitFor = (cond: () => boolean, what: string, ms = 10000): Promise<void> => until(cond, ms, what);

const ipaSegm = jsIpaSegmentation;

let sockSeq = 0;
function tmpSock(): string {
  return path.join(os.tmpdir(), `osmo-io-ssrv-${process.pid}-${++sockSeq}.sock`);
}

/** Node net client collecting everything it receives. */
function netClient(where: { port: number } | { path: string }): {
  sock: net.Socket; data: () => Buffer; ended: () => boolean; closed: () => boolean;
} {
  const chunks: Buffer[] = [];
  let ended = false;
  let closed = false;
  const s = 'path' in where ? net.connect(where.path) : net.connect(where.port, '127.0.0.1');
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => { ended = true; });
  s.on('close', () => { closed = true; });
  s.on('error', () => undefined);
  return { sock: s, data: () => Buffer.concat(chunks), ended: () => ended, closed: () => closed };
}

function echoServer(opts: ConstructorParameters<typeof StreamServer>[0] = {}): StreamServer {
  return new StreamServer({
    address: '127.0.0.1',
    readCb: (conn, res, msg) => { if (res > 0) conn.send(msg); },
    ...opts,
  });
}

describe('StreamServer', function () {
  const cleanups: Array<() => unknown> = [];
  afterEach(async function () {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  function track<T extends StreamServer | StreamClient>(x: T): T {
    if (x instanceof StreamServer) cleanups.push(() => x.close({ destroyConnections: true }));
    else cleanups.push(() => x.destroy());
    return x;
  }
  function trackSock(s: net.Socket): void {
    cleanups.push(() => { s.destroy(); });
  }

  it('listens on port 0 over TCP, accepts, echoes, reports peer', async function () {
    const accepted: StreamServerConn[] = [];
    const srv = track(echoServer({ name: 'echo', acceptCb: (c) => { accepted.push(c); c.data = 'mine'; } }));
    expect(srv.port).to.equal(0);
    srv.open();
    expect(srv.listening).to.equal(true);
    expect(srv.port).to.be.greaterThan(0);
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.write('hello server');
    await waitFor(() => c.data().toString() === 'hello server', 'echo');
    expect(accepted).to.have.length(1);
    const conn = accepted[0]!;
    expect(srv.connections.has(conn)).to.equal(true);
    expect(conn.server).to.equal(srv);
    expect(conn.data).to.equal('mine');
    expect(conn.iofd).to.not.equal(null);
    const peer = conn.peer;
    expect(peer !== null && 'port' in peer ? peer.port : -1).to.equal(c.sock.localPort);
    const local = conn.localAddress;
    expect(local !== null && 'port' in local ? local.port : -1).to.equal(srv.port);
  });

  it('listens on a Unix socket and echoes; close() removes the socket file', async function () {
    const p = tmpSock();
    const srv = track(echoServer({ proto: 'unix', path: p }));
    srv.open();
    expect(fs.lstatSync(p).isSocket()).to.equal(true);
    const c = netClient({ path: p });
    trackSock(c.sock);
    c.sock.write('over unix');
    await waitFor(() => c.data().toString() === 'over unix', 'unix echo');
    srv.close({ destroyConnections: true });
    expect(fs.existsSync(p)).to.equal(false);
    await waitFor(() => c.closed(), 'client closed');
  });

  it('replaces a stale Unix socket file', async function () {
    const p = tmpSock();
    // a crashed process leaves its socket file behind: bind and close without unlinking
    sock.close(sock.unix({ type: 'stream', local: p }));
    expect(fs.lstatSync(p).isSocket()).to.equal(true);
    const b = track(echoServer({ proto: 'unix', path: p }));
    b.open();
    const c = netClient({ path: p });
    trackSock(c.sock);
    c.sock.write('x');
    await waitFor(() => c.data().toString() === 'x', 'echo via the new server');
  });

  it('EOF from the peer: readCb(0), then the connection is destroyed (closeOnEof default)', async function () {
    const events: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      readCb: (_c, res) => events.push(`read:${res}`),
      closedCb: (conn) => { events.push('closed'); expect(conn.destroyed).to.equal(true); },
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.end('bye');
    await waitFor(() => events.includes('closed'), 'closed');
    expect(events).to.deep.equal(['read:3', 'read:0', 'closed']);
    expect(srv.connections.size).to.equal(0);
    await waitFor(() => c.closed(), 'client sees close');
  });

  it('closeOnEof: false leaves the decision to readCb (upstream behaviour)', async function () {
    const events: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1', closeOnEof: false,
      readCb: (conn, res) => {
        events.push(`read:${res}`);
        if (res === 0) setTimeout(() => { events.push('late-destroy'); conn.destroy(); }, 30);
      },
      closedCb: () => events.push('closed'),
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.end();
    await waitFor(() => events.includes('closed'), 'closed');
    expect(events[0]).to.equal('read:0');
    expect(events.slice(-2)).to.deep.equal(['late-destroy', 'closed']);
  });

  it('acceptCb may reject by destroying the connection', async function () {
    const events: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      acceptCb: (conn) => { events.push('accept'); conn.destroy(); },
      readCb: () => events.push('read'),
      closedCb: () => events.push('closed'),
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.write('ignored?');
    await waitFor(() => c.closed(), 'client closed');
    expect(events).to.deep.equal(['accept', 'closed']);
    expect(srv.connections.size).to.equal(0);
  });

  it('flush-and-destroy delivers everything queued, then closes; later sends are dropped', async function () {
    const chunk = 64 * 1024;
    const n = 64; // 4 MiB: more than the socket buffers hold
    const payload = Buffer.alloc(chunk * n);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE((i * 2654435761) >>> 0, i);
    const events: string[] = [];
    let lateRc = 0;
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      txqueueMaxBytes: 8 << 20, // a bulk sender raises the slow-consumer bound
      acceptCb: (conn) => {
        for (let i = 0; i < n; i++) expect(conn.send(payload.subarray(i * chunk, (i + 1) * chunk))).to.equal(0);
        conn.setFlushAndDestroy();
        expect(conn.flushing).to.equal(true);
        expect(conn.destroyed).to.equal(false);
        lateRc = conn.send(Buffer.from('late'));
      },
      readCb: (_c, res) => events.push(`read:${res}`),
      closedCb: () => events.push('closed'),
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.pause(); // let the server's queue back up first
    c.sock.write('data the flushing server ignores');
    await turns();
    expect(events).to.deep.equal([]);
    c.sock.resume();
    await waitFor(() => c.ended(), 'EOF at the client');
    expect(lateRc).to.equal(-ESHUTDOWN);
    const got = c.data();
    expect(got.length).to.equal(payload.length);
    expect(createHash('sha1').update(got).digest('hex')).to.equal(createHash('sha1').update(payload).digest('hex'));
    await waitFor(() => events.includes('closed'), 'closedCb');
    expect(events).to.deep.equal(['closed']);
    expect(srv.connections.size).to.equal(0);
  });

  it('flush-and-destroy with nothing queued destroys at once', async function () {
    const events: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      acceptCb: (conn) => {
        conn.setFlushAndDestroy();
        events.push(conn.destroyed ? 'destroyed' : 'alive');
        expect(conn.send(Buffer.from('x'))).to.equal(-ENOTCONN);
      },
      closedCb: () => events.push('closed'),
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    await waitFor(() => c.closed(), 'client closed');
    expect(events).to.deep.equal(['closed', 'destroyed']);
  });

  it('flush-and-destroy started in readCb on EOF still delivers the reply (half-close)', async function () {
    const reply = Buffer.alloc(256 * 1024, 0x5a);
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      readCb: (conn, res) => {
        if (res === 0) {
          conn.send(reply);
          conn.setFlushAndDestroy();
        }
      },
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.end('request'); // half-close: we still read
    await waitFor(() => c.ended(), 'reply + EOF');
    expect(c.data().equals(reply)).to.equal(true);
    await waitFor(() => srv.connections.size === 0, 'conn gone');
  });

  describe('destroy from inside callbacks', function () {
    it('destroy() inside readCb: no readCb afterwards, closedCb once', async function () {
      const events: string[] = [];
      const srv = track(new StreamServer({
        address: '127.0.0.1', segmentationCb: ipaSegm,
        readCb: (conn, _res, msg) => { events.push(`read:${msg.toString('hex')}`); conn.destroy(); conn.destroy(); },
        closedCb: () => events.push('closed'),
      }));
      srv.open();
      const c = netClient({ port: srv.port });
      trackSock(c.sock);
      c.sock.write(Buffer.from('0001fe00' + '0001fe01' + '0001fe00', 'hex'));
      await waitFor(() => c.closed(), 'client closed');
      await turns();
      expect(events).to.deep.equal(['read:0001fe00', 'closed']);
    });

    it('destroy() inside closedCb and server.close() inside closedCb are harmless', async function () {
      const events: string[] = [];
      const srv = track(new StreamServer({
        address: '127.0.0.1',
        readCb: (conn, res) => { events.push(`read:${res}`); if (res > 0) conn.destroy(); },
        closedCb: (conn) => { events.push('closed'); conn.destroy(); conn.server.close({ destroyConnections: true }); },
      }));
      srv.open();
      const c = netClient({ port: srv.port });
      trackSock(c.sock);
      c.sock.write('x');
      await waitFor(() => c.closed(), 'client closed');
      expect(events).to.deep.equal(['read:1', 'closed']);
      expect(srv.listening).to.equal(false);
    });

    it('client and server destroying from inside their callbacks', async function () {
      const events: string[] = [];
      const srv = track(new StreamServer({
        address: '127.0.0.1',
        readCb: (conn, res) => {
          events.push(`srv-read:${res}`);
          conn.send(Buffer.from('hi'));
          conn.setFlushAndDestroy();
        },
        closedCb: () => events.push('srv-closed'),
      }));
      srv.open();
      const cli = track(new StreamClient({
        port: srv.port, reconnectTimeout: 10,
        connectCb: (c) => { c.send(Buffer.from('yo')); },
        readCb: (c, res) => { events.push(`cli-read:${res}`); c.destroy(); },
        disconnectCb: () => events.push('cli-disconnect'),
      }));
      cli.open();
      await waitFor(() => events.includes('srv-closed') && events.includes('cli-read:2'), 'both sides');
      await turns();
      expect(events.filter((e) => e.startsWith('srv'))).to.deep.equal(['srv-read:2', 'srv-closed']);
      expect(events.filter((e) => e.startsWith('cli'))).to.deep.equal(['cli-read:2']);
    });
  });

  it('test_segm_ipa_stream_srv: an IPA bundle is split into messages, the rest arrives later', async function () {
    const PING = '0001fe00';
    const PONG = '0001fe01';
    const ID_RESP = '0007fe050101deadbeef';
    const ID_GET = '0003fe040101';
    const idGet = Buffer.from(ID_GET, 'hex');
    const msgs: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1', segmentationCb: ipaSegm,
      readCb: (_conn, res, msg) => { if (res > 0) msgs.push(msg.toString('hex')); },
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.setNoDelay(true);
    c.sock.write(Buffer.concat([Buffer.from(PING + PONG + PING + ID_RESP, 'hex'), idGet.subarray(0, 2)]));
    await waitFor(() => msgs.length >= 4, 'the four complete messages');
    c.sock.write(idGet.subarray(2, 4));
    await turns(); // the server reads the middle part on its own (still incomplete)
    c.sock.write(idGet.subarray(4, 6));
    await waitFor(() => msgs.length >= 5, 'five IPA messages');
    await turns();
    expect(msgs).to.deep.equal([PING, PONG, PING, ID_RESP, ID_GET]);
  });

  it('passes a native segmentation descriptor (lengthPrefixSegmentation) through unchanged', async function () {
    const msgs: string[] = [];
    const srv = track(new StreamServer({
      address: '127.0.0.1',
      segmentationCb: lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3 }),
      readCb: (_conn, res, msg) => { if (res > 0) msgs.push(msg.toString('hex')); },
    }));
    srv.open();
    const c = netClient({ port: srv.port });
    trackSock(c.sock);
    c.sock.write(Buffer.from('0001fe00' + '0001fe01' + '0007fe050101deadbeef' + '0003fe', 'hex'));
    await waitFor(() => msgs.length >= 3, 'the three complete messages');
    c.sock.write(Buffer.from('040101', 'hex'));
    await waitFor(() => msgs.length >= 4, 'four IPA messages');
    expect(msgs).to.deep.equal(['0001fe00', '0001fe01', '0007fe050101deadbeef', '0003fe040101']);
  });

  it('serves 200 StreamClients at once', async function () {
    const N = 200;
    const srv = track(echoServer({ segmentationCb: ipaSegm }));
    srv.open();
    const replies = new Map<number, string>();
    const clis: StreamClient[] = [];
    for (let i = 0; i < N; i++) {
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(i);
      const msg = Buffer.concat([Buffer.from([0, 5, 0xee, 0x42]), payload]);
      clis.push(track(new StreamClient({
        port: srv.port, name: `cli${i}`, segmentationCb: ipaSegm, reconnectTimeout: 100,
        connectCb: (c) => { expect(c.send(msg)).to.equal(0); },
        readCb: (_c, res, m) => { if (res > 0) replies.set(i, m.toString('hex')); },
      })));
    }
    for (const c of clis) c.open();
    await waitFor(() => replies.size === N, `${N} echoes (got ${replies.size})`, 15000);
    for (let i = 0; i < N; i++) {
      expect(replies.get(i)).to.equal('0005ee42' + i.toString(16).padStart(8, '0'));
    }
    expect(srv.connections.size).to.equal(N);
    for (const c of clis) c.destroy();
    await waitFor(() => srv.connections.size === 0, 'all server conns closed on EOF');
  });

  it('close({ destroyConnections: true }) stops listening and destroys every connection', async function () {
    let closed = 0;
    const srv = track(echoServer({ closedCb: () => { closed++; } }));
    srv.open();
    const port = srv.port;
    const cs = [netClient({ port }), netClient({ port }), netClient({ port })];
    for (const c of cs) trackSock(c.sock);
    await waitFor(() => srv.connections.size === 3, 'three conns');
    srv.close({ destroyConnections: true });
    expect(srv.listening).to.equal(false);
    expect(srv.port).to.equal(0);
    expect(closed).to.equal(3);
    expect(srv.connections.size).to.equal(0);
    for (const c of cs) await waitFor(() => c.closed(), 'client closed');
    const late = netClient({ port });
    trackSock(late.sock);
    await waitFor(() => late.closed(), 'refused');
    expect(late.data().length).to.equal(0);
  });

  it('open() on a busy port throws EADDRINUSE at once (OsmoIoSystemError with where)', function () {
    const a = track(echoServer());
    a.open();
    const b = new StreamServer({ address: '127.0.0.1', port: a.port });
    // SO_REUSEADDR does not allow two listeners on one port
    let err: unknown;
    try { b.open(); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(OsmoIoSystemError);
    const e = err as OsmoIoSystemError;
    expect({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, message: e.message })
      .to.deep.equal({ code: 'EADDRINUSE', errno: -os.constants.errno.EADDRINUSE, syscall: 'bind', address: '127.0.0.1',
        port: a.port, message: `bind EADDRINUSE 127.0.0.1:${a.port}` });
    expect(b.listening).to.equal(false);
    expect(b.port).to.equal(0);
  });

  it('open() on a Unix path in a missing directory throws at once, naming the path', function () {
    const p = path.join(os.tmpdir(), `osmo-io-missing-${process.pid}`, 'srv.sock');
    const b = new StreamServer({ proto: 'unix', path: p });
    let err: unknown;
    try { b.open(); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(OsmoIoSystemError);
    const e = err as OsmoIoSystemError;
    expect({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port })
      .to.deep.equal({ code: 'ENOENT', errno: -os.constants.errno.ENOENT, syscall: 'bind', address: p, port: 0 });
    expect(b.listening).to.equal(false);
  });

  it('bad options throw in the constructor, before open()', function () {
    expect(() => new StreamServer({ port: 70000 })).to.throw(RangeError).with.property('code', 'ERR_SOCKET_BAD_PORT');
    expect(() => new StreamServer({ proto: 'unix' })).to.throw(TypeError).with.property('code', 'ERR_INVALID_ARG_VALUE');
  });

  it('leaks no file descriptors (server, conns, clients, flush-and-destroy)', async function () {
    const count = (): number => fs.readdirSync('/proc/self/fd').length;
    // warm-up: the backend may open its ring/eventfd lazily once per process
    {
      const s = echoServer();
      s.open();
      let ok = false;
      const c = new StreamClient({ port: s.port, connectCb: () => { ok = true; } });
      c.open();
      await waitFor(() => ok, 'warm-up');
      c.destroy();
      s.close({ destroyConnections: true });
    }
    await turns();
    const before = count();
    const p = tmpSock();
    const tcp = echoServer();
    const unix = echoServer({ proto: 'unix', path: p, acceptCb: (conn) => { conn.send(Buffer.alloc(100000)); conn.setFlushAndDestroy(); } });
    tcp.open();
    unix.open();
    let echoes = 0;
    const clis: StreamClient[] = [];
    for (let i = 0; i < 10; i++) {
      clis.push(new StreamClient({
        port: tcp.port, reconnectTimeout: -1,
        connectCb: (c) => c.send(Buffer.from('ping')),
        readCb: (_c, res) => { if (res > 0) echoes++; },
      }));
    }
    for (const c of clis) c.open();
    const uc = netClient({ path: p });
    await waitFor(() => echoes >= 10 && uc.ended(), 'echoes + unix flush');
    uc.sock.destroy();
    for (const c of clis) c.destroy();
    await waitFor(() => tcp.connections.size === 0 && unix.connections.size === 0, 'server conns closed');
    tcp.close();
    unix.close();
    await waitFor(() => count() <= before, `fd count back to ${before} (now ${count()})`, 3000);
    expect(count()).to.equal(before);
  });
});
