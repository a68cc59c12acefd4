import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CtrlClient, CtrlClientError, type CtrlTrapEvent } from '@osmo/ctrl';
import { FakeClock } from '../../../packages/io/test/fake-clock.js';
import { createExampleServer, DEFERRED_DELAY_MS, GREETING_MAX, PROGRAM_NAME, type ExampleServer } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe(`examples/ctrl-server (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  let srv: ExampleServer;
  const clients: CtrlClient[] = [];
  const client = async (): Promise<CtrlClient> => {
    const c = new CtrlClient({ port: srv.ctrl.port });
    clients.push(c);
    await c.connect();
    return c;
  };
  const errorOf = async (p: Promise<unknown>): Promise<string | undefined> => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e, 'expected an ERROR reply').to.be.instanceOf(CtrlClientError);
    return (e as CtrlClientError).reply;
  };
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
    srv = createExampleServer({ port: 0, timers: clock });
  });
  afterEach(() => { for (const c of clients.splice(0)) c.close(); srv.close(); });

  it('name, uptime (read only)', async () => {
    const c = await client();
    expect(await c.get('name')).to.equal(PROGRAM_NAME);
    expect(await c.get('uptime')).to.match(/^\d+$/);
    expect(await errorOf(c.set('name', 'x'))).to.equal('Read Only attribute');
    expect(await errorOf(c.set('uptime', '1'))).to.equal('Read Only attribute');
  });

  it('greeting: GET/SET, SET verifies printable ASCII of at most 64 characters', async () => {
    const c = await client();
    expect(await c.get('greeting')).to.be.a('string').and.not.equal('');
    expect(await c.set('greeting', 'Hi there, CTRL!')).to.equal('Hi there, CTRL!');
    expect(await c.get('greeting')).to.equal('Hi there, CTRL!');
    const max = 'x'.repeat(GREETING_MAX);
    expect(await c.set('greeting', max)).to.equal(max);
    expect(await errorOf(c.set('greeting', `${max}y`))).to.equal('Value failed verification.');
    expect(await errorOf(c.set('greeting', 'tab\there'))).to.equal('Value failed verification.');
    expect(await errorOf(c.set('greeting', 'caf\u00e9'))).to.equal('Value failed verification.');
    expect(await c.get('greeting')).to.equal(max);
  });

  it('deferred: answered later through the deferred path (a later GET overtakes it)', async () => {
    const c = await client();
    const order: string[] = [];
    const d = c.get('deferred').then((v) => { order.push('deferred'); return v; });
    const n = c.get('name').then((v) => { order.push('name'); return v; });
    expect(await n).to.equal(PROGRAM_NAME);
    await clock.whenArmed(1);
    clock.tick(DEFERRED_DELAY_MS - 1);
    expect(order).to.deep.equal(['name']);
    clock.tick(1);
    expect(await d).to.equal('deferred reply #0');
    expect(order).to.deep.equal(['name', 'deferred']);
  });

  it('deferred: a client that disconnects before the answer does not disturb the server', async () => {
    const a = await client();
    const b = await client();
    const pa = a.get('deferred').catch((e: unknown) => e);
    await clock.whenArmed(1);
    const gone = new Promise((resolve) => srv.ctrl.once('close', resolve));
    a.close();
    expect(((await pa) as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_CLOSED');
    await gone;
    clock.tick(DEFERRED_DELAY_MS); // the answer to the gone connection: dropped
    const pb = b.get('deferred');
    await clock.whenArmed(2);
    clock.tick(DEFERRED_DELAY_MS);
    expect(await pb).to.equal('deferred reply #1');
  });

  it('trap-test: SET replies, then TRAP 0 trap-test v reaches every connection (the sender too)', async () => {
    const cs = await Promise.all([client(), client(), client()]);
    // a completed TCP connect does not mean the server has accepted yet: one round trip each
    await Promise.all(cs.map((c) => c.get('name')));
    const got: CtrlTrapEvent[][] = cs.map(() => []);
    cs.forEach((c, i) => c.on('trap', (t) => got[i]!.push(t)));
    // byte order on the sender's connection: SET_REPLY first, then the TRAP (raw socket, no client library)
    const raw = connect({ port: srv.ctrl.port, host: '127.0.0.1' });
    let bytes = Buffer.alloc(0);
    raw.on('data', (d: Buffer) => { bytes = Buffer.concat([bytes, d]); });
    await new Promise((r) => raw.once('connect', r));
    const text = Buffer.from('SET 5 trap-test hello all', 'latin1');
    const frame = Buffer.concat([Buffer.from([0, text.length + 1, 0xee, 0]), text]);
    raw.write(frame);
    const want = ['SET_REPLY 5 trap-test hello all', 'TRAP 0 trap-test hello all'];
    const wantBytes = Buffer.concat(want.map((t) => Buffer.concat([Buffer.from([0, t.length + 1, 0xee, 0]), Buffer.from(t)])));
    while (bytes.length < wantBytes.length) await sleep(5);
    raw.destroy();
    expect(bytes.toString('hex')).to.equal(wantBytes.toString('hex'));
    while (got.some((g) => g.length < 1)) await sleep(5);
    for (const g of got) expect(g).to.deep.equal([{ variable: 'trap-test', value: 'hello all' }]);
    expect(await cs[1]!.get('counter.ctrl_server.traps')).to.equal('4');
    expect(await cs[1]!.get('rate_ctr.abs.ctrl_server.0.traps:sent')).to.equal('4');
  });

  it('built-ins over the server\'s own counters and each connection\'s FSM', async () => {
    const c = await client();
    const other = await client();
    await c.get('name');
    await other.get('name');
    const nrs = [...srv.ctrl.connections].map((x) => x.nr);
    expect(await c.get('stat_item.last.ctrl_server.0.conn:open')).to.equal('2');
    expect(await c.get('stat_item.last.ctrl_server.by_name.main.conn:open')).to.equal('2');
    expect(await c.get('rate_ctr.abs.ctrl_server.0.conn:accepted')).to.equal('2');
    for (const n of nrs) {
      expect(await c.get(`fsm.CTRL_CONN.id.conn-${n}.state`)).to.be.oneOf(['CONNECTED']);
      expect(await c.get(`rate_ctr.abs.ctrl_conn.${n}.msgs:in`)).to.match(/^\d+$/);
    }
    // c's connection is the one that has received the most messages
    const msgsIn = (x: { counters: { get(n: string): { current: number } | undefined } | null }): number => x.counters?.get('msgs:in')?.current ?? 0;
    const mine = [...srv.ctrl.connections].reduce((a, b) => (msgsIn(b) > msgsIn(a) ? b : a));
    // 4 + 2 per connection GETs so far on this connection, and this one
    expect(await c.get(`rate_ctr.abs.ctrl_conn.${mine.nr}.msgs:in`)).to.equal(String(5 + nrs.length * 2));
    expect(await c.get(`rate_ctr.abs.ctrl_conn.${mine.nr}`)).to.match(/^msgs:in \d+;msgs:out \d+;bytes:in \d+;bytes:out \d+;errors:parse 0;$/);
    expect(await c.get(`fsm.CTRL_CONN.id.conn-${mine.nr}.dump`)).to.equal(`'CTRL_CONN(conn-${mine.nr})','conn-${mine.nr}','DEBUG','CONNECTED',0`);
    const gone = new Promise((resolve) => srv.ctrl.once('close', resolve));
    other.close();
    await gone;
    expect(await c.get('rate_ctr.abs.ctrl_server.0.conn:closed')).to.equal('1');
    expect(await c.get('stat_item.last.ctrl_server.0.conn:open')).to.equal('1');
  });

  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'osmo-ctrl-server.js');
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli.js');
  it('bin osmo-ctrl-server: listens, serves, prints a summary on SIGINT', async function () {
    if (!existsSync(dist)) {
      if (process.env.CI) throw new Error('examples/ctrl-server/dist missing in CI (npm test builds it)');
      console.warn('    (skipped: examples/ctrl-server/dist not built; run `npx tsc -b` at the root)');
      this.skip();
    }
    const ch = spawn(process.execPath, [bin, '--port', '0', '--json', '--progress', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    ch.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    while (!out.includes('\n')) await sleep(10);
    const listening = JSON.parse(out.split('\n')[0]!) as { event: string; port: number; address: string };
    expect(listening).to.include({ event: 'listening', address: '127.0.0.1' });
    const c = new CtrlClient({ port: listening.port });
    await c.connect();
    expect(await c.get('name')).to.equal(PROGRAM_NAME);
    c.close();
    const code = await new Promise<number | null>((r) => { ch.on('close', r); ch.kill('SIGINT'); });
    expect(code).to.equal(0);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).to.include({ event: 'summary', accepted: 1 });
  });

  it('bin osmo-ctrl-server: usage error without --port', async function () {
    if (!existsSync(dist)) {
      if (process.env.CI) throw new Error('examples/ctrl-server/dist missing in CI (npm test builds it)');
      this.skip();
    }
    const code = await new Promise<number | null>((r) => spawn(process.execPath, [bin], { stdio: 'ignore' }).on('close', r));
    expect(code).to.equal(2);
  });
});
