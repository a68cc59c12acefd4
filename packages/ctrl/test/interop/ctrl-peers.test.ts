/**
 * Interop against real Osmocom daemons (Debian packages), started by scripts/peers.sh / `npm run test:interop`.
 * Addresses come from the env that peers.sh prints: OSMO_HLR_CTRL, OSMO_BSC_CTRL, OSMO_BSC_OML, OSMO_SGSN_CTRL
 * (host:port). A suite skips only when its variable is not set (peer not running).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CtrlClient, CtrlClientError, type CtrlTrapEvent } from '../../src/index.js';
import { runCli } from '../../src/cli.js';
import { RawPeer, sleep } from '../raw-peer.js';

function endpoint(name: string): { host: string; port: number } | null {
  const v = process.env[name];
  if (!v) return null;
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
}

async function cli(argv: string[], signal?: AbortSignal): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), ...(signal ? { signal } : {}) });
  return { code, out, err };
}

function skipUnless(ctx: Mocha.Context, env: string): { host: string; port: number } {
  const ep = endpoint(env);
  if (!ep) {
    console.warn(`    (skipped: ${env} not set; the peer is not running — use npm run test:interop)`);
    ctx.skip();
  }
  return ep!;
}

describe('interop: osmo-hlr CTRL (OSMO_HLR_CTRL)', function () {
  let ep: { host: string; port: number };
  let c: CtrlClient;
  // unique per run: the HLR database persists between runs
  const imsi = `90170${String(Date.now()).slice(-10)}`;
  // MSISDNs are unique in the HLR too
  const msisdn = imsi.slice(-8);
  before(async function () {
    ep = skipUnless(this, 'OSMO_HLR_CTRL');
    c = new CtrlClient({ host: ep.host, port: ep.port });
    await c.connect();
  });
  after(() => c?.close());

  it('SET subscriber.create <imsi>, then the subscriber\'s .info lists that IMSI', async () => {
    const id = await c.set('subscriber.create', imsi);
    expect(id).to.match(/^\d+$/);
    expect(await c.set(`subscriber.by-imsi-${imsi}.msisdn`, msisdn)).to.equal('OK');
    const info = await c.get(`subscriber.by-imsi-${imsi}.info`);
    expect(info).to.contain(`\nimsi\t${imsi}`);
    expect(info).to.contain(`\nmsisdn\t${msisdn}`);
    expect(info).to.contain(`\nid\t${id}`);
  });

  it('unknown variable -> ERROR "Command not found"; unknown counter group -> upstream\'s text', async () => {
    const e1 = await c.get('subscriber-list-active-v1').catch((e: unknown) => e);
    expect((e1 as CtrlClientError).reply).to.equal('Command not found');
    const e2 = await c.get('rate_ctr.abs.gsup_server.0').catch((e: unknown) => e);
    expect((e2 as CtrlClientError).reply).to.equal('Counter group with given name and index not found');
  });

  it('the real server answers raw bad input as our server does (id err, OOM quirk, PING/PONG)', async () => {
    const p = await RawPeer.open(ep.port, ep.host);
    try {
      expect(await p.request('GET abc foo')).to.equal('ERROR err Invalid message ID number');
      expect(await p.request('GARBAGE')).to.equal('ERROR err Request type unknown');
      expect(await p.request('TRAP 17 foo')).to.equal('ERROR err OOM');
      expect(await p.request('GET 1 var value')).to.equal('ERROR 1 GET with trailing characters');
      p.write(Buffer.from('0001fe00', 'hex'));
      expect((await p.nextFrame()).toString('hex')).to.equal('0001fe01');
    } finally {
      p.close();
    }
  });

  it('osmo-ctrl CLI get/set against osmo-hlr', async () => {
    const port = String(ep.port);
    const s = await cli(['--host', ep.host, '--port', port, 'set', `subscriber.by-imsi-${imsi}.ps-enabled`, '0']);
    expect(s.code).to.equal(0);
    expect(s.out).to.deep.equal(['OK']);
    const g = await cli(['--host', ep.host, '--port', port, 'get', `subscriber.by-imsi-${imsi}.ps-enabled`]);
    expect(g).to.deep.equal({ code: 0, out: ['0'], err: [] });
    const bad = await cli(['--host', ep.host, '--port', port, 'get', 'subscriber.by-imsi-999999999999999.info']);
    expect(bad.code).to.equal(1);
    expect(bad.err.join('\n')).to.contain('No such subscriber');
  });
});

describe('interop: osmo-bsc CTRL and TRAP (OSMO_BSC_CTRL, OSMO_BSC_OML)', function () {
  let ep: { host: string; port: number };
  before(function () { ep = skipUnless(this, 'OSMO_BSC_CTRL'); });

  it('GETs from the BSC tree, built-in rate counters, node-walk errors', async () => {
    const c = new CtrlClient({ host: ep.host, port: ep.port });
    await c.connect();
    try {
      expect(await c.get('number-of-bts')).to.equal('1');
      expect(await c.get('mcc')).to.equal('901');
      expect(await c.get('bts.0.trx.0.arfcn')).to.equal('868');
      expect(await c.get('rate_ctr.abs.bts.0.chreq:total')).to.match(/^\d+$/);
      const e = await c.get('bts.0.trx.0.ts.0.phys_chan_config').catch((x: unknown) => x);
      expect((e as CtrlClientError).reply).to.equal('Command not present.');
      const e2 = await c.get('rate_ctr.abs.bsc.0.chreq.total').catch((x: unknown) => x);
      expect((e2 as CtrlClientError).reply).to.equal('Counter name not found.');
    } finally {
      c.close();
    }
  });

  it('osmo-ctrl monitor prints the BSC\'s TRAP bts_connection_status when a BTS comes and goes', async function () {
    const oml = endpoint('OSMO_BSC_OML');
    if (!oml) {
      console.warn('    (skipped: OSMO_BSC_OML not set)');
      this.skip();
    }
    const ac = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    const done = runCli(['--host', ep.host, '--port', String(ep.port), 'monitor'],
      { stdout: (l) => out.push(l), stderr: (l) => err.push(l), signal: ac.signal });
    while (!err.some((l) => l.includes('monitoring TRAPs'))) await sleep(10);
    // a minimal BTS on OML: answer ID_GET with ID_RESP unit-id 1801/0/0 and ID_ACK, then go away
    const bts: Socket = connect({ host: oml!.host, port: oml!.port });
    bts.on('error', () => {});
    bts.on('data', (d: Buffer) => {
      if (d.includes(Buffer.from('fe04', 'hex'))) {
        bts.write(Buffer.from('000dfe05000a08313830312f302f3000', 'hex'));
        bts.write(Buffer.from('0001fe06', 'hex'));
      }
    });
    const deadline = Date.now() + 15000;
    await sleep(1500);
    bts.destroy();
    while (!out.some((l) => l.startsWith('TRAP bts_connection_status')) && Date.now() < deadline) await sleep(100);
    ac.abort();
    expect(await done).to.equal(0);
    expect(out.filter((l) => l.startsWith('TRAP bts_connection_status'))).to.not.be.empty;
  });

  it('CtrlClient emits the real TRAP as an event', async function () {
    const oml = endpoint('OSMO_BSC_OML');
    if (!oml) this.skip();
    const c = new CtrlClient({ host: ep.host, port: ep.port });
    await c.connect();
    const traps: CtrlTrapEvent[] = [];
    c.on('trap', (t) => traps.push(t));
    const bts: Socket = connect({ host: oml!.host, port: oml!.port });
    bts.on('error', () => {});
    bts.on('data', (d: Buffer) => {
      if (d.includes(Buffer.from('fe04', 'hex'))) {
        bts.write(Buffer.from('000dfe05000a08313830312f302f3000', 'hex'));
        bts.write(Buffer.from('0001fe06', 'hex'));
      }
    });
    await sleep(1500);
    bts.destroy();
    const deadline = Date.now() + 15000;
    while (!traps.some((t) => t.variable === 'bts_connection_status') && Date.now() < deadline) await sleep(100);
    c.close();
    expect(traps.find((t) => t.variable === 'bts_connection_status')?.value).to.be.oneOf(['connected', 'disconnected']);
  });
});

describe('interop: osmo-sgsn CTRL (OSMO_SGSN_CTRL)', function () {
  let ep: { host: string; port: number };
  before(function () { ep = skipUnless(this, 'OSMO_SGSN_CTRL'); });
  it('GET subscriber-list-active-v1 -> empty list (reply with trailing space)', async () => {
    const c = new CtrlClient({ host: ep.host, port: ep.port });
    await c.connect();
    try {
      expect(await c.get('subscriber-list-active-v1')).to.equal('');
      const e = await c.get('no-such-variable').catch((x: unknown) => x);
      expect((e as CtrlClientError).code).to.equal('ERR_OSMO_CTRL_ERROR_REPLY');
    } finally {
      c.close();
    }
  });
  it('osmo-ctrl get against osmo-sgsn prints the empty value', async () => {
    const r = await cli(['--host', ep.host, '--port', String(ep.port), 'get', 'subscriber-list-active-v1']);
    expect(r).to.deep.equal({ code: 0, out: [''], err: [] });
  });
  it('the osmo-ctrl bin (compiled dist, separate process) against osmo-sgsn', async function () {
    const bin = fileURLToPath(new URL('../../bin/osmo-ctrl.js', import.meta.url));
    if (!existsSync(fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url)))) {
      console.warn('    (skipped: packages/ctrl/dist not built)');
      this.skip();
    }
    const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> => new Promise((resolve) => {
      const ch = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      ch.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      ch.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      ch.on('close', (code) => resolve({ code, out, err }));
    });
    expect(await run(['--host', ep.host, '--port', String(ep.port), 'get', 'subscriber-list-active-v1'])).to.deep.equal({ code: 0, out: '\n', err: '' });
    const bad = await run(['--host', ep.host, '--port', String(ep.port), 'get', 'no-such-variable']);
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/^osmo-ctrl: ERROR: /);
  });
});
