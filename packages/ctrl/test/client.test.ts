import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { NetError } from '@osmo/io';
import { CtrlClient, CtrlClientError, CtrlEncodeError, CtrlUsageError, ctrlHandled, CtrlRegistry, CtrlServer, CtrlTree, type CtrlTrapEvent } from '../src/index.js';
import { FakeClock } from '../../io/test/fake-clock.js';
import { ctrlFrame } from './raw-peer.js';
import { gate, turns, until, type Gate } from '../../io/test/loop.js';

describe(`CtrlClient (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  let srv: CtrlServer;
  let value = 'initial';
  const clients: CtrlClient[] = [];
  /** the 'slow' command's answers wait for this; 'silent' and 'slow' report each call */
  let slowGate: Gate<void>;
  let called: string[];
  let onCall: () => void;
  const calledTimes = (name: string, n: number): Promise<void> => new Promise((resolve) => {
    const check = (): void => { if (called.filter((c) => c === name).length >= n) resolve(); else onCall = check; };
    check();
  });
  const client = async (opts: { timeout?: number; timers?: FakeClock } = {}): Promise<CtrlClient> => {
    const c = new CtrlClient({ port: srv.port, ...opts });
    clients.push(c);
    await c.connect();
    return c;
  };
  beforeEach(() => {
    slowGate = gate();
    called = [];
    onCall = () => {};
    const note = (name: string): void => { called.push(name); onCall(); };
    const tree = new CtrlTree();
    tree.root.command({ name: 'value', get: () => value, set: (r) => { value = r.value!; return 'OK'; } });
    tree.root.command({ name: 'silent', get: () => { note('silent'); return ctrlHandled(); } });
    tree.root.command({ name: 'slow', get: async () => { note('slow'); await slowGate.promise; return 'slow reply'; } });
    srv = new CtrlServer({ tree, registry: new CtrlRegistry() });
    srv.open();
  });
  afterEach(() => { for (const c of clients.splice(0)) c.close(); srv.close(); });

  it('get and set resolve with the reply text', async () => {
    const c = await client();
    expect(await c.get('value')).to.equal('initial');
    expect(await c.set('value', 'a b  c')).to.equal('OK');
    expect(await c.get('value')).to.equal('a b  c');
  });

  it('matches replies by id with many requests in flight (deferred ones answered later)', async () => {
    const c = await client();
    const ps = [c.get('slow'), ...Array.from({ length: 50 }, () => c.get('value')), c.get('slow')];
    // the 50 in between are answered while both deferred ones still wait
    const between = await Promise.all(ps.slice(1, -1));
    expect(between.every((v) => v === value)).to.equal(true);
    expect(called.filter((n) => n === 'slow')).to.have.length(2);
    slowGate.resolve();
    expect(await ps[0]).to.equal('slow reply');
    expect(await ps.at(-1)).to.equal('slow reply');
  });

  it('an ERROR reply rejects with ERR_OSMO_CTRL_ERROR_REPLY and the reply text', async () => {
    const c = await client();
    try {
      await c.get('nope');
      expect.fail('resolved');
    } catch (e) {
      expect(e).to.be.instanceOf(CtrlClientError);
      expect((e as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_ERROR_REPLY');
      expect((e as CtrlClientError).reply).to.equal('Command not found');
    }
  });

  it('a request without reply times out (ERR_OSMO_CTRL_TIMEOUT); the connection stays usable', async () => {
    const clock = new FakeClock();
    const c = await client({ timeout: 100, timers: clock });
    let err: unknown;
    const p = c.get('silent').then(() => { err = 'resolved'; }, (e: unknown) => { err = e; });
    await calledTimes('silent', 1);
    clock.tick(99);
    await turns(1);
    expect(err).to.equal(undefined);
    clock.tick(1);
    await p;
    expect((err as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_TIMEOUT');
    expect(await c.get('value')).to.equal(value);
    expect(clock.pending).to.equal(0);
  });

  it('timeouts are checked where they are given (constructor, request): CtrlUsageError ERR_OSMO_CTRL_INVALID_ARG', async () => {
    for (const opts of [{ timeout: 0 }, { timeout: 1.5 }, { connectTimeout: -1 }, { timeout: 2 ** 31 }]) {
      expect(() => new CtrlClient({ port: srv.port, ...opts }), JSON.stringify(opts)).to.throw(CtrlUsageError)
        .with.property('code', 'ERR_OSMO_CTRL_INVALID_ARG');
    }
    const c = await client();
    const err = await c.get('value', { timeout: Number.NaN }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CtrlUsageError).with.property('code', 'ERR_OSMO_CTRL_INVALID_ARG');
  });

  it('an invalid variable is refused locally', async () => {
    const c = await client();
    const err = await c.get('bad variable').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CtrlEncodeError).and.instanceOf(RangeError).with.property('code', 'ERR_OSMO_CTRL_ENCODE');
  });

  it('emits TRAP events', async () => {
    const c = await client();
    const traps: CtrlTrapEvent[] = [];
    const two = new Promise<void>((resolve) => c.on('trap', (t) => { if (traps.push(t) === 2) resolve(); }));
    await c.get('value');
    srv.sendTrap('bts_connection_status', 'connected');
    srv.sendTrap('trap-test', 'with spaces in it');
    await two;
    expect(traps).to.deep.equal([
      { variable: 'bts_connection_status', value: 'connected' },
      { variable: 'trap-test', value: 'with spaces in it' },
    ]);
  });

  it('pending requests are rejected with ERR_OSMO_CTRL_CLOSED when the server goes away', async () => {
    const tree = new CtrlTree();
    const deferred = gate();
    tree.root.command({ name: 'never', get: (r) => { r.defer(); deferred.resolve(); } });
    const s2 = new CtrlServer({ tree, registry: new CtrlRegistry() });
    s2.open();
    const c = new CtrlClient({ port: s2.port });
    clients.push(c);
    await c.connect();
    const p = c.get('never').catch((e: unknown) => e);
    const closed = new Promise<void>((r) => c.once('close', r));
    await deferred.promise;
    s2.close();
    expect(((await p) as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_CLOSED');
    await closed;
  });

  it('connect to a closed port rejects with ERR_OSMO_CTRL_NOT_CONNECTED, the refusal as cause', async () => {
    const port = srv.port;
    srv.close();
    const c = new CtrlClient({ port });
    clients.push(c);
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CtrlClientError);
    expect((err as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_NOT_CONNECTED');
    const cause = (err as CtrlClientError).cause as NetError;
    expect([cause.code, cause.errno, cause.syscall, cause.address, cause.port])
      .to.deep.equal(['ECONNREFUSED', -osConstants.errno.ECONNREFUSED, 'connect', '127.0.0.1', port]);
  });

  it('connect() twice while connecting: one attempt, both settle with it', async () => {
    const c = new CtrlClient({ port: srv.port });
    clients.push(c);
    const a = c.connect();
    const b = c.connect();
    expect(b).to.equal(a);
    await a;
    expect(c.isConnected).to.equal(true);
    await until(() => srv.connections.size > 0, 5000, 'the server accepted'); // its accept may come after our connect
    await turns();
    expect(srv.connections.size).to.equal(1);
  });

  it('connect() after close() rejects with ERR_OSMO_CTRL_CLOSED; close() while connecting rejects the attempt', async () => {
    const c = new CtrlClient({ port: srv.port });
    clients.push(c);
    const pending = c.connect();
    c.close();
    const e1 = await pending.catch((e: unknown) => e);
    expect((e1 as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_CLOSED');
    const e2 = await c.connect().catch((e: unknown) => e);
    expect(e2).to.be.instanceOf(CtrlClientError);
    expect((e2 as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_CLOSED');
  });

  it("answers the server's PING with PONG (the IPA link layer) and ignores other non-CTRL frames", async () => {
    let got = Buffer.alloc(0);
    const pong = gate();
    const script: Server = createServer((s: Socket) => {
      s.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); if (got.includes(Buffer.from('0001fe01', 'hex'))) pong.resolve(); });
      s.write(Buffer.concat([Buffer.from('0001fe00', 'hex'), Buffer.from('000300474554', 'hex')])); // PING, an RSL frame
    });
    await new Promise<void>((r) => script.listen(0, '127.0.0.1', r));
    const c = new CtrlClient({ port: (script.address() as { port: number }).port });
    clients.push(c);
    await c.connect();
    await pong.promise;
    expect(got.toString('hex')).to.equal('0001fe01');
    expect(c.isConnected).to.equal(true);
    c.close();
    await new Promise((r) => script.close(r));
  });

  it('accepts an empty reply ("GET_REPLY 1 var " as osmo-sgsn sends) and "ERROR err" for the oldest request', async () => {
    // a scripted server (node:net) playing osmo-sgsn
    const script: Server = createServer((s: Socket) => {
      let n = 0;
      s.on('data', () => {
        n++;
        s.write(n === 1 ? ctrlFrame('GET_REPLY 1 subscriber-list-active-v1 ') : ctrlFrame('ERROR err Request type unknown'));
      });
    });
    await new Promise<void>((r) => script.listen(0, '127.0.0.1', r));
    const port = (script.address() as { port: number }).port;
    const c = new CtrlClient({ port });
    clients.push(c);
    await c.connect();
    expect(await c.get('subscriber-list-active-v1')).to.equal('');
    const err = await c.get('x').catch((e: unknown) => e);
    expect((err as CtrlClientError).reply).to.equal('Request type unknown');
    c.close();
    await new Promise((r) => script.close(r));
  });
});
