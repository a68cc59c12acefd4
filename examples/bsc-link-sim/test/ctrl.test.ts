// The BSC side's CTRL interface, queried with @osmo/ctrl's CtrlClient: per-BTS / per-TRX link state, message
// counters, TRAPs on every link change; and the --listen mode of the CLI as its own process, loaded by a second
// CLI process running the BTS side (the arrangement bench/scenarios/paced-bsc.js measures).
import { expect } from 'chai';
import { CtrlClient, type CtrlTrapEvent } from '@osmo/ctrl';
import { BscSide } from '../src/bsc.js';
import { BtsSide } from '../src/bts.js';
import { startCtrl, type CtrlHandle } from '../src/ctrl-tree.js';
import { pickTransport } from '../src/sim.js';
import type { Transport } from '../src/transport.js';
import { spawnCli, type CliProc } from './spawn-cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    try { last = await fn(); if (ok(last)) return last; } catch { /* retry */ }
    if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms (last ${String(last)})`);
    await sleep(25);
  }
}

async function osmoTransport(): Promise<Transport> {
  const b = process.env['OSMO_IO_BACKEND']?.toLowerCase() as 'poll' | 'io_uring' | undefined;
  return (await pickTransport(b ?? 'auto')).transport;
}

describe('bsc-link-sim BSC side CTRL (CtrlClient)', function () {
  this.timeout(30000);
  let t: Transport;
  let bsc: BscSide | null = null;
  let bts: BtsSide | null = null;
  let ctrl: CtrlHandle | null = null;
  let cli: CtrlClient | null = null;
  const traps: CtrlTrapEvent[] = [];
  const sawTrap = (variable: string, value: string, from = 0): boolean =>
    traps.slice(from).some((x) => x.variable === variable && x.value === value);

  beforeEach(async () => {
    t = await osmoTransport();
    traps.length = 0;
    bsc = new BscSide({ transport: t, host: '127.0.0.1', omlPort: 0, rslPort: 0, siteBase: 1801 });
    await bsc.start();
    ctrl = startCtrl(bsc, 0);
    cli = new CtrlClient({ port: ctrl.port, timeout: 3000 });
    cli.on('trap', (x) => traps.push(x));
    await cli.connect();
  });
  afterEach(() => {
    bts?.close(); cli?.close(); ctrl?.close(); bsc?.close();
    bts = null; cli = null; ctrl = null; bsc = null;
  });

  it('reports link states and counters, with a TRAP for every link coming up', async () => {
    bts = new BtsSide({ transport: t, host: '127.0.0.1', omlPort: bsc!.omlPort, bts: 2, trx: 2, rate: 50, siteBase: 1801, reconnectMs: 100 });
    bts.start();
    for (const n of [0, 1]) {
      expect(await until(() => cli!.get(`bts.${n}.oml-connection-state`), (v) => v === 'connected', 10000, `bts.${n}`)).to.equal('connected');
    }
    expect(await cli!.get('number-of-bts')).to.equal('2');
    for (const n of [0, 1]) {
      expect(await cli!.get(`bts.${n}.oml-connects`)).to.equal('1');
      expect(Number(await cli!.get(`bts.${n}.oml-rx`))).to.be.greaterThan(10);   // the bring-up's reports and ACKs
      for (const m of [0, 1]) {
        expect(await cli!.get(`bts.${n}.trx.${m}.rsl-connection-state`)).to.equal('connected');
        expect(await cli!.get(`bts.${n}.trx.${m}.rsl-connects`)).to.equal('1');
      }
    }
    // the counters move with the traffic and add up
    const rx0 = Number(await cli!.get('bts.0.trx.1.rsl-rx'));
    await until(async () => Number(await cli!.get('bts.0.trx.1.rsl-rx')), (v) => v > rx0 + 5, 5000, 'rsl-rx grows');
    bts.stopTraffic();
    // what is still in flight arrives: wait for it instead of guessing how long it takes
    await until(() => bsc!.totals().received, (v) => v === bts!.sent, 5000, 'every message sent received');
    let sum = 0;
    for (const n of [0, 1]) for (const m of [0, 1]) {
      sum += Number(await cli!.get(`bts.${n}.trx.${m}.rsl-rx`));
      expect(await cli!.get(`bts.${n}.trx.${m}.rsl-lost`)).to.equal('0');
      expect(await cli!.get(`bts.${n}.trx.${m}.rsl-duplicates`)).to.equal('0');
      expect(await cli!.get(`bts.${n}.trx.${m}.rsl-decode-errors`)).to.equal('0');
    }
    expect(await cli!.get('rsl-rx-total')).to.equal(String(sum));
    expect(sum).to.equal(bts.sent);
    expect(await cli!.get('rsl-lost-total')).to.equal('0');
    // TRAPs: OML first (degraded: no RSL yet), every RSL link, then connected
    await until(() => traps.length, () => sawTrap('bts.1.oml-connection-state', 'connected'), 3000, 'TRAP connected');
    for (const n of [0, 1]) {
      const i = traps.findIndex((x) => x.variable === `bts.${n}.oml-connection-state` && x.value === 'degraded');
      const j = traps.findIndex((x) => x.variable === `bts.${n}.oml-connection-state` && x.value === 'connected');
      expect(i, JSON.stringify(traps)).to.be.greaterThanOrEqual(0);
      expect(j).to.be.greaterThan(i);
      for (const m of [0, 1]) expect(sawTrap(`bts.${n}.trx.${m}.rsl-connection-state`, 'connected'), `trx ${n}.${m}`).to.equal(true);
    }
  });

  it('TRAPs and state follow dropped RSL and OML links', async () => {
    bts = new BtsSide({ transport: t, host: '127.0.0.1', omlPort: bsc!.omlPort, bts: 2, trx: 2, rate: 20, siteBase: 1801, reconnectMs: 300 });
    bts.start();
    await until(() => cli!.get('bts.1.oml-connection-state'), (v) => v === 'connected', 10000, 'bts.1');
    await until(() => cli!.get('bts.0.oml-connection-state'), (v) => v === 'connected', 10000, 'bts.0');
    // RSL of BTS 1 TRX 0 drops: TRX disconnected, BTS degraded, then both back
    let from = traps.length;
    bts.dropRsl(1, 0);
    await until(() => traps.length, () => sawTrap('bts.1.trx.0.rsl-connection-state', 'disconnected', from), 3000, 'TRAP rsl down');
    expect(sawTrap('bts.1.oml-connection-state', 'degraded', from)).to.equal(true);
    await until(() => traps.length, () => sawTrap('bts.1.trx.0.rsl-connection-state', 'connected', from), 5000, 'TRAP rsl up');
    expect(await until(() => cli!.get('bts.1.oml-connection-state'), (v) => v === 'connected', 5000, 'bts.1 back')).to.equal('connected');
    expect(await cli!.get('bts.1.trx.0.rsl-connects')).to.equal('2');
    // OML of BTS 0 drops: disconnected (its RSL links go too), then the bring-up is redone
    from = traps.length;
    bts.dropOml(0);
    await until(() => traps.length, () => sawTrap('bts.0.oml-connection-state', 'disconnected', from), 3000, 'TRAP oml down');
    await until(() => traps.length, () => sawTrap('bts.0.trx.1.rsl-connection-state', 'disconnected', from), 3000, 'TRAP rsl down with oml');
    expect(await until(() => cli!.get('bts.0.oml-connection-state'), (v) => v === 'connected', 10000, 'bts.0 back')).to.equal('connected');
    expect(sawTrap('bts.0.oml-connection-state', 'connected', from)).to.equal(true);
    expect(await cli!.get('bts.0.oml-connects')).to.equal('2');
    expect(await cli!.get('bts.1.oml-connects')).to.equal('1');
  });

  it('answers unknown variables, unknown BTS and SET on read-only variables with ERROR', async () => {
    await expectError(cli!.get('bts.0.oml-connection-state'));   // no BTS 0 yet
    await expectError(cli!.get('no-such-variable'));
    await expectError(cli!.set('number-of-bts', 5));
    expect(await cli!.get('number-of-bts')).to.equal('0');
  });
});

async function expectError(p: Promise<string>): Promise<void> {
  let err: unknown = null;
  try { await p; } catch (e) { err = e; }
  expect(err, 'expected an ERROR reply').to.be.instanceOf(Error);
  expect((err as { code?: string }).code).to.equal('ERR_OSMO_CTRL_ERROR_REPLY');
}

describe('bsc-link-sim CLI: --listen (BSC side only) loaded by a --bsc process', function () {
  this.timeout(60000);
  const procs: CliProc[] = [];
  after(() => { for (const p of procs) p.kill(); });

  it('serves 3 BTS x 2 TRX from another process, CTRL and the control channel agree, summary on exit', async () => {
    const backend = process.env['OSMO_IO_BACKEND']?.toLowerCase() ?? 'io_uring';
    const bscP = spawnCli(['--listen', '127.0.0.1:0', '--bts', '3', '--trx', '2', '--backend', backend, '--control', '--sample', '0.2']);
    procs.push(bscP);
    const ready = await bscP.next((e) => e['event'] === 'ready', 15000);
    expect(ready['mode']).to.equal('bsc');
    expect(ready['backend']).to.equal(backend);
    const btsP = spawnCli(['--bsc', `127.0.0.1:${String(ready['omlPort'])}`, '--bts', '3', '--trx', '2', '--rate', '40',
      '--duration', '30', '--backend', 'node-net', '--control']);
    procs.push(btsP);
    await btsP.next((e) => e['event'] === 'ready', 15000);
    let st: Record<string, unknown> = {};
    await until(async () => { st = await bscP.request('stats', 'stats'); return st; },
      (s) => s['rslUp'] === 6 && (s['msgs'] as number) > 50, 15000, 'BSC side sees 6 RSL links and traffic');
    expect(st['omlUp']).to.equal(3);
    if (backend !== 'node-net') expect(st['syscalls']).to.be.a('number');
    const cli = new CtrlClient({ port: Number(ready['ctrlPort']), timeout: 3000 });
    await cli.connect();
    try {
      expect(await cli.get('bts.2.oml-connection-state')).to.equal('connected');
      expect(await cli.get('bts.2.trx.1.rsl-connection-state')).to.equal('connected');
      expect(Number(await cli.get('rsl-rx-total'))).to.be.greaterThan(50);
    } finally { cli.close(); }
    btsP.send('exit');
    const btsSum = await btsP.next((e) => e['event'] === 'summary', 10000);
    expect(btsSum['mode']).to.equal('bts');
    // the BSC process has received all the BTS process sent (asked on its control channel) before it is told to exit
    await until(async () => (await bscP.request('stats', 'stats', 5000))['received'], (v) => v === btsSum['sent'], 10000,
      'the BSC side received everything');
    bscP.send('exit');
    const sum = await bscP.next((e) => e['event'] === 'summary', 10000);
    expect(sum['mode']).to.equal('bsc');
    expect(sum['received']).to.equal(btsSum['sent']);   // every message the BTS process sent arrived
    expect(sum['lost']).to.equal(0);
    const res = sum['resources'] as { samples: unknown[]; start: { fds: number } | null };
    expect(res.samples.length).to.be.greaterThanOrEqual(2);   // every 0.2 s + one at the end
    expect(res.start!.fds).to.be.greaterThan(6);
    expect(await bscP.exited).to.equal(0);
  });
});
