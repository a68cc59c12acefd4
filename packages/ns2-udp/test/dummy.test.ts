/** osmo-ns-dummy: the bin as a process (JSON lines, CTRL, SIGINT), and its argument parser. */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CtrlClient } from '@osmo/ctrl';
import { parseArgs as parseDummyArgs } from '../src/dummy-cli.js';
import { until } from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/osmo-ns-dummy.js', import.meta.url));

class Proc {
  readonly p: ChildProcess;
  readonly events: Record<string, unknown>[] = [];
  stderr = '';
  code: number | null = null;
  constructor(args: string[]) {
    this.p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    let buf = '';
    this.p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { this.events.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>); buf = buf.slice(i + 1); }
    });
    this.p.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.p.on('exit', (c) => { this.code = c; });
  }
  find(ev: string, match: Record<string, unknown> = {}): Record<string, unknown> | undefined {
    return this.events.find((e) => e.event === ev && Object.entries(match).every(([k, v]) => e[k] === v));
  }
  async wait(ev: string, match: Record<string, unknown> = {}, ms = 5000): Promise<Record<string, unknown>> {
    await until(() => this.find(ev, match) !== undefined, ms, `${ev} ${JSON.stringify(match)} (stderr: ${this.stderr})`);
    return this.find(ev, match)!;
  }
}

describe('osmo-ns-dummy', function () {
  this.timeout(20000);
  const procs: Proc[] = [];
  afterEach(function () { for (const p of procs.splice(0)) if (p.code === null) p.p.kill('SIGKILL'); });

  it('SGSN (accept-sns, bvc-reset-ack, CTRL) and BSS (IP-SNS, bvc-reset 0): CONFIGURED, alive, BVC-RESET answered; CTRL; SIGINT -> summary, exit 0', async function () {
    const sgsn = new Proc(['--bind', '127.0.0.1:0', '--accept-sns', '--accept-ipaccess', '--bvc-reset-ack', '--ctrl', '0', '--json',
      '--timer', 'tns-test=1', '--timer', 'tsns-prov=1']);
    procs.push(sgsn);
    const l = await sgsn.wait('listening');
    const port = Number((l.binds as string[])[0]!.split(':')[1]);
    expect(l.ctrl).to.be.a('number');
    const bss = new Proc(['--bind', '127.0.0.1:0', '--nse', '1800', '--sns-remote', `127.0.0.1:${port}`, '--bvc-reset', '0', '--json']);
    procs.push(bss);
    await bss.wait('sns', { nsei: 1800, state: 'CONFIGURED' });
    await sgsn.wait('sns', { nsei: 1800, state: 'CONFIGURED' });
    await bss.wait('nse', { nsei: 1800, alive: true });
    await sgsn.wait('bvc-reset', { nsei: 1800, bvci: 0, answered: true });
    await bss.wait('bvc-reset-ack', { nsei: 1800, bvci: 0 });
    expect(bss.find('nsvc', { nsei: 1800, nsvc: 0, state: 'UNBLOCKED', remote: `127.0.0.1:${port}` })).to.not.equal(undefined);

    const cli = new CtrlClient({ host: '127.0.0.1', port: l.ctrl as number, timeout: 3000 });
    await cli.connect();
    try {
      expect(await cli.get('ns.nse.1800.state')).to.equal('alive');
      expect(await cli.get('ns.nse.1800.sns.state')).to.equal('CONFIGURED');
      expect(await cli.get('ns.nse.1800.nsvcs')).to.match(/^0 127\.0\.0\.1:\d+ UNBLOCKED$/);
      expect(await cli.get('ns.nse.1800.nsvc.0.state')).to.equal('UNBLOCKED');
      // the FSMs in the CTRL registry, by upstream's FSM names
      expect(await cli.get('fsm.GPRS-NS2-SNS-SGSN.id.NSE1800-SNS.state')).to.equal('CONFIGURED');
      expect(await cli.get('fsm.GPRS-NS2-VC.id.nsvc-1800-0.state')).to.equal('UNBLOCKED');
      expect(await cli.set('ns.nse.1800.unitdata', '0 0 2204820000078108')).to.equal('OK');
      await bss.wait('unitdata', { nsei: 1800, bvci: 0, bssgp: '0x22', len: 8 });
      expect(Number(await cli.get('rate_ctr.abs.ns:nse.1800.packets:in'))).to.be.greaterThan(0);
      await cli.get('ns.nse.999.state').then(() => { throw new Error('GET of a missing NSE succeeded'); }, (e: Error) => expect(e.message).to.match(/resolving/));
    } finally { cli.close(); }

    bss.p.kill('SIGINT');
    await until(() => bss.code !== null, 5000, 'BSS exit');
    expect(bss.code).to.equal(0);
    const sum = bss.find('summary')!;
    expect(sum.bvcResetAcks).to.equal(1);
    expect((sum.nses as { sns: string }[])[0]!.sns).to.equal('CONFIGURED');
    sgsn.p.kill('SIGTERM');
    await until(() => sgsn.code !== null, 5000, 'SGSN exit');
    expect(sgsn.code).to.equal(0);
  });

  it('ipaccess over CTRL: block / unblock / reset of an NS-VC by NSVCI', async function () {
    const sgsn = new Proc(['--bind', '127.0.0.1:0', '--accept-ipaccess', '--json', '--timer', 'tns-block=1']);
    procs.push(sgsn);
    const port = Number(((await sgsn.wait('listening')).binds as string[])[0]!.split(':')[1]);
    const bss = new Proc(['--bind', '127.0.0.1:0', '--nse', '1234', '--nsvc', `127.0.0.1:${port}/1234`, '--ctrl', '0', '--json']);
    procs.push(bss);
    const ctrl = (await bss.wait('listening')).ctrl as number;
    await sgsn.wait('nse', { nsei: 1234, alive: true });
    const cli = new CtrlClient({ host: '127.0.0.1', port: ctrl, timeout: 3000 });
    await cli.connect();
    try {
      expect(await cli.set('ns.nse.1234.nsvc.1234.block', '1')).to.equal('OK');
      await sgsn.wait('nsvc', { nsei: 1234, nsvc: 1234, state: 'BLOCKED' });
      expect(await cli.get('ns.nse.1234.state')).to.equal('dead');
      expect(await cli.set('ns.nse.1234.nsvc.1234.unblock', '1')).to.equal('OK');
      await until(() => sgsn.events.filter((e) => e.event === 'nsvc' && e.state === 'UNBLOCKED').length >= 2);
      expect(await cli.set('ns.nse.1234.nsvc.1234.reset', '1')).to.equal('OK');
      await until(() => sgsn.events.filter((e) => e.event === 'nsvc' && e.state === 'UNBLOCKED').length >= 3, 5000, 'unblocked after reset');
      // the SGSN reports UNBLOCKED when it sends its UNBLOCK-ACK; the BSS gets there when that ACK arrives
      let st = '';
      for (let i = 0; i < 100 && st !== 'UNBLOCKED'; i++) { st = await cli.get('ns.nse.1234.nsvc.1234.state'); if (st !== 'UNBLOCKED') await new Promise((r) => setTimeout(r, 20)); }
      expect(st).to.equal('UNBLOCKED');
    } finally { cli.close(); }
  });

  it('parses the documented options and rejects bad ones', function () {
    const c = parseDummyArgs(['--bind', '[::1]:0', '--nse', '5', '--nsvc', '[::1]:23000@2,3', '--nse', '6', '--role', 'sgsn', '--timer', 'tns-alive=0.5']);
    expect(c.binds).to.deep.equal([{ address: '::1', port: 0 }]);
    expect(c.nses[0]).to.deep.include({ nsei: 5, dialect: 'static-alive' });
    expect(c.nses[0]!.nsvcs[0]).to.deep.equal({ address: '::1', port: 23000, sigWeight: 2, dataWeight: 3 });
    expect(c.nses[1]).to.deep.include({ nsei: 6, dialect: 'sns', role: 'sgsn' });
    expect(c.timers).to.deep.equal({ 'tns-alive': 0.5 });
    expect(parseDummyArgs([]).binds).to.deep.equal([{ address: '127.0.0.1', port: 23000 }]);
    for (const bad of [['--nsvc', '1.2.3.4:1'], ['--timer', 'tns-bogus=1'], ['--nse', '70000'], ['--bind', 'x'], ['--nse', '1', '--dialect', 'fr'],
      ['--nse', '1', '--dialect', 'ipaccess', '--nsvc', '127.0.0.1:1'], ['--nse', '1', '--dialect', 'sns'], ['--what']]) {
      expect(() => parseDummyArgs(bad), bad.join(' ')).to.throw(/./);
    }
  });
});
