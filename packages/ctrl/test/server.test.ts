import { expect } from 'chai';
import fc from 'fast-check';
import { constants as osConstants } from 'node:os';
import { getBackend, OsmoIoSystemError } from '@osmo/io';
import { ctrlHandled, CtrlRegistry, CtrlServer, CtrlTree, type CtrlConnection, type CtrlDeferred } from '../src/index.js';
import { ctrlFrame, RawPeer } from './raw-peer.js';
import { turns } from '../../io/test/loop.js';

interface HeldState {
  /** handles of the 'hold' commands, in arrival order */
  defers: CtrlDeferred[];
  /** resolves once `n` 'hold' commands arrived */
  held(n: number): Promise<void>;
}

function makeServer(): { srv: CtrlServer; tree: CtrlTree; reg: CtrlRegistry; state: HeldState } {
  const reg = new CtrlRegistry({ autoTick: false });
  const tree = new CtrlTree();
  const waiting: Array<[number, () => void]> = [];
  const state: HeldState = {
    defers: [],
    held: (n) => new Promise((resolve) => { if (state.defers.length >= n) resolve(); else waiting.push([n, resolve]); }),
  };
  let counter = 0;
  tree.root.command({ name: 'echo', get: (r) => r.variable, set: (r) => r.value! });
  tree.root.command({ name: 'count', get: () => String(counter++) });
  tree.root.command({ name: 'silent', get: () => ctrlHandled() });
  tree.root.command({
    name: 'hold',
    get: (r) => {
      state.defers.push(r.defer());
      for (const [i, w] of [...waiting.entries()].reverse()) {
        if (state.defers.length >= w[0]) {
          waiting.splice(i, 1);
          w[1]();
        }
      }
    },
  });
  const srv = new CtrlServer({ tree, registry: reg, port: 0 });
  srv.open();
  return { srv, tree, reg, state };
}

/** true when `b` is a sequence of complete IPA frames (the test's own walk, independent of the code under test) */
function endsOnFrameBoundary(b: Buffer): boolean {
  let o = 0;
  while (b.length - o >= 3) o += 3 + b.readUInt16BE(o);
  return o === b.length;
}

describe(`CtrlServer over IPA (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  let ctx: ReturnType<typeof makeServer>;
  const peers: RawPeer[] = [];
  const open = async (): Promise<RawPeer> => { const p = await RawPeer.open(ctx.srv.port); peers.push(p); return p; };
  beforeEach(() => { ctx = makeServer(); });
  afterEach(() => { for (const p of peers.splice(0)) p.close(); ctx.srv.close(); });

  it('open() on a busy port throws OsmoIoSystemError EADDRINUSE at once (as IpaServer and StreamServer)', () => {
    const other = new CtrlServer({ tree: ctx.tree, registry: new CtrlRegistry({ autoTick: false }), port: ctx.srv.port });
    let err: unknown;
    try { other.open(); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(OsmoIoSystemError);
    const e = err as OsmoIoSystemError;
    expect([e.code, e.errno, e.syscall, e.address, e.port])
      .to.deep.equal(['EADDRINUSE', -osConstants.errno.EADDRINUSE, 'bind', '127.0.0.1', ctx.srv.port]);
  });

  it('runs on the selected backend and binds to 127.0.0.1 by default', () => {
    if (process.env.OSMO_IO_BACKEND) expect(getBackend()).to.equal(process.env.OSMO_IO_BACKEND.toLowerCase());
    expect(ctx.srv.port).to.be.greaterThan(0);
  });

  it('answers like upstream ctrl_test.c (handle without lookup: built-ins only at the root)', async () => {
    const p = await open();
    const rows: Array<[string, string]> = [
      ['GET 1 variable', 'ERROR 1 Command not found'],
      ['GET 1 variable\n', 'ERROR 1 Command not found'],
      ['GET 1 var\ni\nable', 'ERROR 1 GET with trailing characters'],
      ['GET 1 var\ti\table', 'ERROR 1 GET variable contains invalid characters'],
      ['GET 1 variable value', 'ERROR 1 GET with trailing characters'],
      ['SET 1 variable value', 'ERROR 1 Command not found'],
      ['SET 1 variable multiple value tokens', 'ERROR 1 Command not found'],
      ['SET 1 variable value_with_trailing_spaces  ', 'ERROR 1 Command not found'],
      ['SET weird_id variable value', 'ERROR err Invalid message ID number'],
      ['GET abc foo', 'ERROR err Invalid message ID number'],
      ['GARBAGE', 'ERROR err Request type unknown'],
      ['TRAP 17 foo', 'ERROR err OOM'],
      ['SET 2 echo a value with  spaces ', 'SET_REPLY 2 echo a value with  spaces '],
      ['get 3 echo', 'GET_REPLY 3 echo echo'],
    ];
    for (const [req, want] of rows) expect(await p.request(req), JSON.stringify(req)).to.equal(want);
    // replies and errors from the client are not answered: the next frame answers the GET after them
    p.write('GET_REPLY 1 variable OK');
    p.write('ERROR 1 some error message');
    p.write('SET_REPLY 9 x OK');
    expect(await p.request('GET 4 echo')).to.equal('GET_REPLY 4 echo echo');
  });

  it('several commands in one write and one command split across many reads', async () => {
    const p = await open();
    p.write(Buffer.concat([ctrlFrame('GET 1 echo'), ctrlFrame('GET 2 nope'), ctrlFrame('SET 3 echo x y')]));
    expect(await p.nextText()).to.equal('GET_REPLY 1 echo echo');
    expect(await p.nextText()).to.equal('ERROR 2 Command not found');
    expect(await p.nextText()).to.equal('SET_REPLY 3 echo x y');
    const f = Buffer.concat([ctrlFrame('GET 4 echo'), ctrlFrame('GET 5 echo')]);
    for (const b of f) {
      p.sock.write(Buffer.from([b]));
      await turns(1); // the server (this process) reads between the bytes
    }
    expect(await p.nextText()).to.equal('GET_REPLY 4 echo echo');
    expect(await p.nextText()).to.equal('GET_REPLY 5 echo echo');
  });

  it('1000 commands pipelined on one connection are answered in order', async () => {
    const p = await open();
    const frames: Buffer[] = [];
    for (let i = 1; i <= 1000; i++) frames.push(ctrlFrame(`GET ${i} count`));
    p.sock.write(Buffer.concat(frames));
    const got = await p.waitFrames(1000, 20000);
    expect(got).to.have.length(1000);
    got.forEach((f, i) => expect(f.subarray(4).toString('latin1')).to.equal(`GET_REPLY ${i + 1} count ${i}`));
  });

  it('100 clients at once, each served', async () => {
    const ps = await Promise.all(Array.from({ length: 100 }, () => open()));
    const replies = await Promise.all(ps.map((p, i) => p.request(`SET ${i + 1} echo client ${i}`)));
    replies.forEach((r, i) => expect(r).to.equal(`SET_REPLY ${i + 1} echo client ${i}`));
    expect(ctx.srv.connections.size).to.equal(100);
  });

  it('sendTrap reaches every connection with id 0', async () => {
    const ps = await Promise.all(Array.from({ length: 5 }, () => open()));
    await Promise.all(ps.map((p) => p.request('GET 1 echo')));
    expect(ctx.srv.sendTrap('bts_connection_status', 'disconnected')).to.equal(5);
    for (const p of ps) expect(await p.nextText()).to.equal('TRAP 0 bts_connection_status disconnected');
  });

  it('a client that disconnects while its deferred command is pending: dropped safely, others unaffected', async () => {
    const a = await open();
    const b = await open();
    a.write('GET 7 hold');
    b.write('GET 8 hold');
    await ctx.state.held(2);
    const conns = [...ctx.srv.connections];
    const closed = new Promise<CtrlConnection>((r) => ctx.srv.once('close', r));
    a.close();
    const gone = await closed;
    const ofA = ctx.state.defers.find((d) => d.req.sink === gone)!;
    const ofB = ctx.state.defers.find((d) => d.req.sink !== gone)!;
    expect(ofA.req.id).to.equal('7');
    expect(ofA.isZombie).to.equal(true);
    expect(ofA.reply('late')).to.equal(false);
    expect(ofB.isZombie).to.equal(false);
    expect(ofB.reply('in time')).to.equal(true);
    expect(await b.nextText()).to.equal('GET_REPLY 8 hold in time');
    expect(await b.request('GET 9 echo')).to.equal('GET_REPLY 9 echo echo');
    expect(conns.filter((c) => c.isClosed)).to.have.length(1);
  });

  it('CCM on the CTRL port: PING -> PONG, ID_ACK -> ID_ACK, ID_GET and PONG ignored, empty frames ignored', async () => {
    const p = await open();
    p.write(Buffer.from('0001fe00', 'hex'));
    expect((await p.nextFrame()).toString('hex')).to.equal('0001fe01');
    p.write(Buffer.from('0001fe06', 'hex'));
    expect((await p.nextFrame()).toString('hex')).to.equal('0001fe06');
    p.write(Buffer.from('0001fe04', 'hex'));
    p.write(Buffer.from('0001fe01', 'hex'));
    p.write(Buffer.from('0000ee', 'hex'));
    expect(await p.request('GET 1 echo')).to.equal('GET_REPLY 1 echo echo');
  });

  it('binary garbage inside a CTRL frame gets upstream\'s ERROR; a NUL ends the text', async () => {
    const p = await open();
    p.write(ctrlFrame(Buffer.from([0x01, 0xff, 0x20, 0x80, 0x00, 0x41])));
    expect(await p.nextText()).to.equal('ERROR err Request type unknown');
    p.write(ctrlFrame(Buffer.from('GET 5 echo\0trailing junk', 'latin1')));
    expect(await p.nextText()).to.equal('GET_REPLY 5 echo echo');
    p.write(ctrlFrame(Buffer.from('GET 6 ec\xffho', 'latin1')));
    expect(await p.nextText()).to.equal('ERROR 6 GET variable contains invalid characters');
    p.write(ctrlFrame(''));
    expect(await p.nextText()).to.equal('ERROR err Request malformed');
  });

  const closing: Array<[string, Buffer]> = [
    ['another IPA protocol (RSL 0x00)', Buffer.from('000300474554', 'hex')],
    ['OSMO proto without the CTRL extension byte', Buffer.from('0003ee474554', 'hex')],
    ['OSMO extension MGCP (0x01)', Buffer.from('0003ee01aabb', 'hex')],
    ['an oversized frame (len+3 > 1200)', Buffer.concat([Buffer.from([0x04, 0xb0, 0xee, 0x00]), Buffer.alloc(1199, 0x41)])],
    ['a huge announced length (binary garbage header)', Buffer.from('ffffff000102', 'hex')],
  ];
  for (const [what, bytes] of closing) {
    it(`closes the connection cleanly on ${what}; other clients keep being served`, async () => {
      const bad = await open();
      const good = await open();
      expect(await good.request('GET 1 echo')).to.equal('GET_REPLY 1 echo echo');
      bad.write(bytes);
      await bad.closedPromise;
      expect(bad.frames).to.have.length(0);
      expect(await good.request('GET 2 echo')).to.equal('GET_REPLY 2 echo echo');
      const third = await open();
      expect(await third.request('GET 3 echo')).to.equal('GET_REPLY 3 echo echo');
    });
  }

  it('a frame of exactly 1200 bytes is still accepted', async () => {
    const p = await open();
    const value = 'v'.repeat(1196 - 'SET 1 echo '.length);
    expect(await p.request(`SET 1 echo ${value}`)).to.equal(`SET_REPLY 1 echo ${value}`);
  });

  it('per-connection counters and FSM are readable over CTRL while the connection lives', async () => {
    const p = await open();
    expect(await p.request('GET 1 echo')).to.equal('GET_REPLY 1 echo echo');
    const [conn] = [...ctx.srv.connections];
    const n = conn!.nr;
    expect(await p.request(`GET 2 rate_ctr.abs.ctrl_conn.${n}.msgs:in`)).to.equal(`GET_REPLY 2 rate_ctr.abs.ctrl_conn.${n}.msgs:in 2`);
    expect(await p.request(`GET 3 rate_ctr.abs.ctrl_conn.${n}.msgs:out`)).to.equal(`GET_REPLY 3 rate_ctr.abs.ctrl_conn.${n}.msgs:out 2`);
    expect(await p.request(`GET 4 fsm.CTRL_CONN.id.conn-${n}.state`)).to.equal(`GET_REPLY 4 fsm.CTRL_CONN.id.conn-${n}.state CONNECTED`);
    p.write('GET 5 hold');
    await ctx.state.held(1);
    expect(await p.request(`GET 6 fsm.CTRL_CONN.id.conn-${n}.state`)).to.equal(`GET_REPLY 6 fsm.CTRL_CONN.id.conn-${n}.state DEFERRED_PENDING`);
    ctx.state.defers[0]!.reply('x');
    expect(await p.nextText()).to.equal('GET_REPLY 5 hold x');
    const closed = new Promise<void>((r) => ctx.srv.once('close', () => r()));
    p.close();
    await closed;
    expect(ctx.reg.findRateCounterGroup('ctrl_conn', n)).to.equal(undefined);
    expect(ctx.reg.findFsm('CTRL_CONN')!.findById(`conn-${n}`)).to.equal(undefined);
  });

  it('silent (HANDLED) commands send nothing', async () => {
    const p = await open();
    p.write('GET 1 silent');
    expect(await p.request('GET 2 echo')).to.equal('GET_REPLY 2 echo echo');
  });

  it('random CTRL payloads and random byte streams: every connection gets replies or a clean close, a bystander is always served (fast-check)', async function () {
    this.timeout(120000);
    const bystander = await open();
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => ctrlFrame(Buffer.from(b))),
        fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
      ),
      async (bytes) => {
        const p = await RawPeer.open(ctx.srv.port);
        try {
          p.write(bytes);
          // a PING after the input: answered (PONG) unless the connection was closed, in which case the close shows
          const ping = Buffer.from('0001fe00', 'hex');
          p.write(ping);
          // an incomplete frame swallows the PING: then neither arrives (the server waits for more), nothing to wait for
          if (endsOnFrameBoundary(Buffer.concat([bytes, ping]))) {
            await p.waitUntil(() => p.frames.some((f) => f.toString('hex') === '0001fe01'), 'PONG or close');
          }
          for (const f of p.frames) expect([0xee, 0xfe]).to.include(f[2]);
        } finally {
          p.close();
        }
        n++;
        expect(await bystander.request(`GET ${n} echo`)).to.equal(`GET_REPLY ${n} echo echo`);
      },
    ), { numRuns: 60 });
  });
});
