/** IpaClient / IpaServer over loopback TCP: handshake, accept/reject, dispatch, PING/PONG, keepalive, reconnect. */
import { expect } from 'chai';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { IpaClient } from '../src/client.js';
import { IpaServer, type IpaServerConn } from '../src/server.js';
import { IpaProto } from '../src/header.js';
import { IpaOsmoExt } from '../src/ext.js';
import { decodeCcmFrame, encodeCcmFrame, ccmIdGet } from '../src/ccm.js';
import { idItemsToIdentity, IPA_DEFAULT_ID_GET_TAGS } from '../src/idtags.js';
import { ipaSegmentationJs } from '../src/segment.js';
import type { IpaMessage } from '../src/message.js';
import { loadFixtures, hex } from './fixtures.js';
import { drive } from './segdriver.js';
import { ioMissing, once, until, backendName } from './util.js';
import { FakeClock } from '../../io/test/fake-clock.js';

const E = osConstants.errno;
const seg = ipaSegmentationJs();

/** a raw TCP peer (Node's net) that records the IPA frames it receives */
class RawPeer {
  frames: string[] = [];
  #buf = Buffer.alloc(0);
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      const r = drive(seg, [Buffer.concat([this.#buf, d])]);
      this.frames.push(...r.frames.map(hex));
      const used = r.frames.reduce((n, f) => n + f.length, 0);
      this.#buf = Buffer.concat([this.#buf, d]).subarray(used);
    });
    sock.on('error', () => {});
  }
  send(h: string): void {
    this.sock.write(Buffer.from(h, 'hex'));
  }
  async waitFrames(n: number, ms = 3000): Promise<void> {
    await until(() => this.frames.length >= n, ms, `${n} frames (have ${this.frames.join(' ')})`);
  }
}

/** a raw TCP server; each accepted connection becomes a RawPeer */
async function rawServer(onConn: (p: RawPeer) => void): Promise<{ port: number; peers: RawPeer[]; close(): void }> {
  const peers: RawPeer[] = [];
  const srv = net.createServer((s) => {
    const p = new RawPeer(s);
    peers.push(p);
    onConn(p);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    peers,
    close: () => {
      for (const p of peers) p.sock.destroy();
      srv.close();
    },
  };
}

async function rawClient(port: number): Promise<RawPeer> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => {
    s.once('connect', r);
    s.once('error', j);
  });
  return new RawPeer(s);
}

const omldummyIdResp = loadFixtures<unknown>('ipa-ccm').find((f) => f.name === 'ccm-id-resp-omldummy')!.hex;

describe(`IpaClient / IpaServer over loopback TCP (backend ${backendName()})`, function () {
  const cleanup: (() => void)[] = [];
  before(function () {
    const why = ioMissing();
    if (why) throw new Error(why); // the core is part of this repo: not loading it is a failure
  });
  afterEach(() => {
    for (const c of cleanup.splice(0)) {
      try {
        c();
      } catch {
        // already closed
      }
    }
  });

  function server(opts: ConstructorParameters<typeof IpaServer>[0] = {}): IpaServer {
    const s = new IpaServer({ address: '127.0.0.1', port: 0, ...opts });
    s.open();
    cleanup.push(() => s.close());
    return s;
  }
  function client(port: number, opts: ConstructorParameters<typeof IpaClient>[0] = {}): IpaClient {
    const c = new IpaClient({ address: '127.0.0.1', port, reconnectTimeout: 50, ...opts });
    cleanup.push(() => c.destroy());
    return c;
  }

  it('ID handshake both ways, then OML/RSL/OSMO dispatch in both directions', async () => {
    const seen: string[] = [];
    const srv = server({
      accept: (conn, id) => {
        seen.push(`accept ${id.unitId} ${conn.unitId?.site}`);
        return id.unitId === '1801/0/0';
      },
    });
    const cli = client(srv.port, {
      identity: { unitId: { site: 1801, bts: 0, trx: 0 }, serialNumber: 'SN1801', unitName: 'bts-1801', swVersion: '1.0' },
    });
    const srvUp = once<[IpaServerConn]>(srv, 'up');
    const cliUp = once(cli, 'up');
    cli.open();
    expect(cli.lastError).to.equal(null); // no failure at once
    const [conn] = await srvUp;
    await cliUp;
    expect(seen).to.deep.equal(['accept 1801/0/0 1801']);
    expect(conn.isUp).to.equal(true);
    expect(cli.isUp).to.equal(true);
    expect(conn.unitId).to.deep.equal({ site: 1801, bts: 0, trx: 0 });
    expect(conn.identity).to.include({ unitId: '1801/0/0', serialNumber: 'SN1801', unitName: 'bts-1801', swVersion: '1.0', macAddress: '' });
    expect(conn.idItems!.map((i) => i.tag)).to.deep.equal([...IPA_DEFAULT_ID_GET_TAGS]);
    expect(srv.findByUnitId({ site: 1801, bts: 0, trx: 0 })).to.equal(conn);

    const atServer: IpaMessage[] = [];
    const atClient: IpaMessage[] = [];
    const order: string[] = [];
    srv.on('message', (c, m) => { atServer.push(m); expect(c).to.equal(conn); order.push('server'); });
    conn.on('message', (m) => { expect(m).to.equal(atServer[atServer.length - 1]); order.push('conn'); });
    cli.on('message', (m) => atClient.push(m));
    expect(cli.sendOml(Buffer.from('808000051000ffffff', 'hex'))).to.equal(0);
    expect(cli.sendRsl(Buffer.from('0821010a0101', 'hex'))).to.equal(0);
    expect(cli.sendOsmo(IpaOsmoExt.GSUP, Buffer.from('08010809710000000000f1', 'hex'))).to.equal(0);
    expect(cli.sendCtrl('GET 1 foo')).to.equal(0);
    expect(cli.send(0x42, Buffer.from('abcd', 'hex'))).to.equal(0); // unknown protocol
    expect(conn.sendOml(Buffer.from('808000057400ffffff', 'hex'))).to.equal(0);
    await until(() => atServer.length === 5 && atClient.length === 1, 3000, 'messages');
    // every message reaches the server's listeners first, then the connection's own
    expect(order).to.deep.equal(Array(5).fill(['server', 'conn']).flat());
    expect(atServer.map((m) => [m.kind, m.proto, m.ext, hex(m.payload)])).to.deep.equal([
      ['oml', 0xff, undefined, '808000051000ffffff'],
      ['rsl', 0x00, undefined, '0821010a0101'],
      ['osmo', 0xee, IpaOsmoExt.GSUP, '08010809710000000000f1'],
      ['osmo', 0xee, IpaOsmoExt.CTRL, Buffer.from('GET 1 foo').toString('hex')],
      ['unknown', 0x42, undefined, 'abcd'],
    ]);
    expect(atClient.map((m) => [m.kind, hex(m.payload)])).to.deep.equal([['oml', '808000057400ffffff']]);
  });

  it('server rejects a unit id it does not know: connection closed, client reconnects', async () => {
    let attempts = 0;
    const srv = server({ accept: (_c, id) => (attempts++, id.unitId === '1/0/0') });
    const rejected = once<[IpaServerConn]>(srv, 'reject');
    const cli = client(srv.port, { identity: { unitId: '2/0/0' } });
    const downs: string[] = [];
    cli.on('down', (reason) => downs.push(reason));
    cli.open();
    const [conn] = await rejected;
    expect(conn.unitId).to.deep.equal({ site: 2, bts: 0, trx: 0 });
    await until(() => attempts >= 2, 3000, 'a second attempt');
    expect(cli.isUp).to.equal(false);
    expect(downs[0]).to.equal('connection lost');
    expect(srv.upConnections()).to.deep.equal([]);
  });

  it('async accept callbacks work; messages before acceptance are dropped', async () => {
    let release: (ok: boolean) => void = () => {};
    const srv = server({ accept: () => new Promise<boolean>((r) => (release = r)) });
    const got: IpaMessage[] = [];
    const dropped: string[] = [];
    srv.on('message', (_c, m) => got.push(m));
    srv.on('dropped', (_c, m, reason) => dropped.push(`${m.kind} ${hex(m.payload)} ${reason}`));
    const peer = await rawClient(srv.port);
    cleanup.push(() => peer.sock.destroy());
    await peer.waitFrames(1);
    peer.send(omldummyIdResp);
    peer.send('0002ff0102'); // OML before the server said ID_ACK: dropped
    await until(() => dropped.length === 1, 3000, 'dropped event');
    expect(dropped).to.deep.equal(['oml 0102 before identification']);
    const up = once<[IpaServerConn]>(srv, 'up');
    release(true);
    const [conn] = await up;
    expect(conn.unitId).to.deep.equal({ site: 1801, bts: 0, trx: 0 });
    peer.send('0002ff0304');
    await until(() => got.length === 1, 3000, 'message');
    expect(hex(got[0]!.payload)).to.equal('0304');
  });

  it('server side bytes: ID_GET on accept, one ID_ACK for ID_RESP + ID_ACK, PONG for PING', async () => {
    const srv = server();
    const peer = await rawClient(srv.port);
    cleanup.push(() => peer.sock.destroy());
    await peer.waitFrames(1);
    expect(peer.frames[0]).to.equal('0011fe040108010701020103010401050101' + '0100'); // what osmo-bsc/hlr/stp send
    const up = once<[IpaServerConn]>(srv, 'up');
    peer.send(omldummyIdResp + '0001fe06'); // ID_RESP + ID_ACK, as osmo-bts-omldummy does
    const [conn] = await up;
    expect(conn.identity).to.include({ unitId: '1801/0/0', macAddress: '02:fc:00:00:00:01', unitName: 'OMLdummy-02-fc-00-00-00-01' });
    peer.send('0001fe00');
    // a second PING as a barrier: its PONG comes after anything the frames before it made the server send
    peer.send('0001fe00');
    await peer.waitFrames(4);
    expect(peer.frames.slice(1)).to.deep.equal(['0001fe06', '0001fe01', '0001fe01']);
  });

  it('server without handshake (CTRL style): up at once, echoes ID_ACK, answers PING', async () => {
    const srv = server({ handshake: false });
    const ups = once<[IpaServerConn]>(srv, 'up');
    const peer = await rawClient(srv.port);
    cleanup.push(() => peer.sock.destroy());
    await ups;
    peer.send('0001fe06' + '0001fe00');
    await peer.waitFrames(2);
    expect(peer.frames).to.deep.equal(['0001fe06', '0001fe01']);
  });

  it('client side bytes: ID_RESP with the requested tags + ID_ACK; up on the server ID_ACK; PONG for PING', async () => {
    const rs = await rawServer((p) => p.send(hex(encodeCcmFrame(ccmIdGet([8, 0, 1, 7])))));
    cleanup.push(() => rs.close());
    const cli = client(rs.port, { identity: { unitId: '1801/0/0', serialNumber: 'x1', macAddress: '00:11:22:33:44:55' } });
    cli.open();
    await until(() => rs.peers.length === 1);
    const p = rs.peers[0]!;
    await p.waitFrames(2);
    const resp = decodeCcmFrame(Buffer.from(p.frames[0]!, 'hex'));
    if (resp.type !== 'ID_RESP') throw new Error(`expected ID_RESP, got ${resp.type}`);
    expect(resp.items.map((i) => i.tag)).to.deep.equal([8, 0, 1, 7]);
    expect(idItemsToIdentity(resp.items)).to.deep.equal({ unitId: '1801/0/0', serialNumber: 'x1', unitName: '00-11-22-33-44-55', macAddress: '00:11:22:33:44:55' });
    expect(p.frames[1]).to.equal('0001fe06');
    expect(cli.isUp).to.equal(false);
    const up = once(cli, 'up');
    p.send('0001fe06');
    await up;
    p.send('0001fe00');
    p.send('0001fe00'); // barrier: its PONG follows whatever the ID_ACK and the first PING caused
    await p.waitFrames(4);
    expect(p.frames.slice(2)).to.deep.equal(['0001fe01', '0001fe01']); // PONGs, and no echo of the ID_ACK
  });

  it('client keepalive: no PONG -> down "keepalive timeout" exactly at the timeout, reconnect, PING again', async () => {
    const rs = await rawServer(() => {}); // never answers PING
    cleanup.push(() => rs.close());
    const timers = new FakeClock();
    const cli = client(rs.port, { keepalive: { interval: 50, timeout: 100, timers }, handshake: false });
    const downs: string[] = [];
    let connects = 0;
    cli.on('down', (r) => downs.push(r));
    cli.on('connect', () => connects++);
    cli.open();
    await once(cli, 'up');
    await until(() => rs.peers.length === 1);
    await rs.peers[0]!.waitFrames(1);
    timers.tick(99);
    expect([downs, cli.isUp]).to.deep.equal([[], true]);
    const reconnected = once(cli, 'connect');
    timers.tick(1);
    expect(downs).to.deep.equal(['keepalive timeout']);
    await reconnected;
    await until(() => rs.peers.length === 2);
    await rs.peers[1]!.waitFrames(1);
    expect(connects).to.equal(2);
    expect(rs.peers[0]!.frames).to.deep.equal(['0001fe00']); // one PING, then the link was dropped
    expect(rs.peers[1]!.frames).to.deep.equal(['0001fe00']); // the new connection is supervised again
  });

  it('client keepalive: PONGs keep the link up, one PING per interval', async () => {
    let answered = 0;
    const rs = await rawServer((p) => {
      p.sock.on('data', () => {
        // answer every PING (frames are collected by RawPeer)
        while (p.frames.length > 0 && p.frames[0] === '0001fe00') {
          p.frames.shift();
          answered++;
          p.send('0001fe01');
        }
      });
    });
    cleanup.push(() => rs.close());
    const timers = new FakeClock();
    const cli = client(rs.port, { keepalive: { interval: 20, timeout: 100, timers }, handshake: false });
    const downs: string[] = [];
    cli.on('down', (r) => downs.push(r));
    cli.open();
    await once(cli, 'up');
    for (let i = 1; i <= 5; i++) {
      if (cli.keepaliveState !== 'IDLE') await once(cli, 'ccm'); // the PONG
      expect([cli.keepaliveState, answered]).to.deep.equal(['IDLE', i]);
      timers.tick(20); // the next PING
      expect(cli.keepaliveState).to.equal('WAIT_RESP');
    }
    expect(downs).to.deep.equal([]);
    expect(cli.isUp).to.equal(true);
  });

  it('server keepalive: a client that never answers PING is disconnected exactly at the timeout', async () => {
    const timers = new FakeClock();
    const srv = server({ handshake: false, keepalive: { interval: 50, timeout: 100, timers } });
    const up = once<[IpaServerConn]>(srv, 'up');
    const peer = await rawClient(srv.port);
    cleanup.push(() => peer.sock.destroy());
    const [conn] = await up;
    await peer.waitFrames(1);
    expect(peer.frames).to.deep.equal(['0001fe00']);
    const downs: string[] = [];
    srv.on('down', (_c, reason) => downs.push(reason));
    timers.tick(99);
    expect([downs, conn.isOpen]).to.deep.equal([[], true]);
    timers.tick(1);
    expect([downs, conn.isOpen]).to.deep.equal([['keepalive timeout'], false]);
    await new Promise<void>((r) => (peer.sock.readableEnded ? r() : peer.sock.once('end', () => r())));
  });

  it('client: a frame above maxFrameLength drops the link (-EMSGSIZE) and reconnects', async () => {
    const rs = await rawServer((p) => {
      if (rs.peers.length === 1) p.send('ffffff' + '00'.repeat(100));
    });
    cleanup.push(() => rs.close());
    const cli = client(rs.port, { maxFrameLength: 1200, handshake: false });
    const downs: [string, number][] = [];
    cli.on('down', (r, res) => downs.push([r, res]));
    cli.open();
    await until(() => rs.peers.length >= 2, 3000, 'reconnect');
    expect(downs[0]).to.deep.equal(['read error', -E.EMSGSIZE]);
  });

  it('server: a frame above maxFrameLength closes that connection (down with -EMSGSIZE), others stay up', async () => {
    const srv = server({ handshake: false, maxFrameLength: 1200 });
    const good = await rawClient(srv.port);
    const bad = await rawClient(srv.port);
    cleanup.push(() => good.sock.destroy(), () => bad.sock.destroy());
    await until(() => srv.upConnections().length === 2, 3000, 'two connections');
    const down = once<[IpaServerConn, string, number]>(srv, 'down');
    bad.send('04aeff' + '00'.repeat(50)); // 1198 + 3 > 1200
    const [, reason, res] = await down;
    expect([reason, res]).to.deep.equal(['read error', -E.EMSGSIZE]);
    good.send('0001fe00');
    await good.waitFrames(1);
    expect(good.frames).to.deep.equal(['0001fe01']);
    expect(srv.connections.size).to.equal(1);
  });

  it('server closes a connection: down on both sides, the client reconnects and identifies again', async () => {
    const srv = server();
    const cli = client(srv.port, { identity: { unitId: '5/0/0' } });
    cli.open();
    const [conn] = await once<[IpaServerConn]>(srv, 'up');
    const srvDown = once<[IpaServerConn, string]>(srv, 'down');
    const cliDown = once<[string]>(cli, 'down');
    conn.close();
    const [, reason] = await srvDown;
    expect(reason).to.equal('closed');
    const [creason] = await cliDown;
    expect(creason).to.equal('connection lost');
    const [conn2] = await once<[IpaServerConn]>(srv, 'up');
    expect(conn2).to.not.equal(conn);
    expect(conn2.unitId).to.deep.equal({ site: 5, bts: 0, trx: 0 });
  });

  it('100 clients identify concurrently; each connection is found by its unit id and gets its own OML', async () => {
    const srv = server({ accept: (c) => c.unitId !== null && c.unitId.trx === 0 });
    const echoed = new Map<string, string>();
    srv.on('message', (c, m) => c.sendOml(m.payload));
    const clients = Array.from({ length: 100 }, (_, i) => {
      const c = client(srv.port, { identity: { unitId: { site: 1000 + i, bts: 0, trx: 0 } } });
      c.on('up', () => c.sendOml(Buffer.from(`bts ${1000 + i}`)));
      c.on('message', (m) => echoed.set(String(1000 + i), m.payload.toString()));
      return c;
    });
    for (const c of clients) c.open();
    await until(() => echoed.size === 100, 10000, '100 echoes');
    for (const [site, text] of echoed) expect(text).to.equal(`bts ${site}`);
    expect(srv.upConnections()).to.have.length(100);
    expect(srv.findByUnitId({ site: 1042, bts: 0, trx: 0 })!.identity!.unitId).to.equal('1042/0/0');
  });

  it('client close(): no reconnect, down once', async () => {
    const srv = server();
    const cli = client(srv.port, { identity: { unitId: '6/0/0' } });
    cli.open();
    await once(cli, 'up');
    const downs: string[] = [];
    cli.on('down', (r) => downs.push(r));
    const srvDown = once(srv, 'down');
    cli.close();
    expect(downs).to.deep.equal(['closed']);
    expect(cli.stream.state).to.equal('CLOSED'); // no reconnect timer armed
    await srvDown;
    expect(srv.connections.size).to.equal(0);
    expect(downs).to.deep.equal(['closed']);
    expect(cli.sendOml(Buffer.of(1))).to.equal(-E.ENOTCONN);
  });

  it('unknown IPA protocol and OML arrive as messages in order with CCM handled in between', async () => {
    const srv = server({ handshake: false });
    const got: string[] = [];
    srv.on('message', (_c, m) => got.push(`${m.kind}:${m.proto.toString(16)}`));
    srv.on('ccm', (_c, m) => got.push(`ccm:${m.type}`));
    const peer = await rawClient(srv.port);
    cleanup.push(() => peer.sock.destroy());
    peer.send('000242abcd' + '0001fe00' + '0000ff' + '0003fd040000');
    await until(() => got.length === 4, 3000, 'messages');
    expect(got).to.deep.equal(['unknown:42', 'ccm:PING', 'oml:ff', 'sccp:fd']);
    expect(IpaProto.SCCP).to.equal(0xfd);
  });
});
