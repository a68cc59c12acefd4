/**
 * Interop against a real osmo-sgsn (Debian 1.9.0, libosmogb 1.7): our BSS in the ipaccess dialect and with IP-SNS.
 * Run with scripts/test-interop-ns.sh (both backends). osmo-sgsn: NS 127.0.0.1:23000, VTY 4245.
 */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { CtrlRegistry } from '@osmo/ctrl';
import { NsInstance, bvcReset, parseBvcReset, type NsUnitdataEvent, type NsVc } from '../../src/index.js';
import { Daemon, hasBinary } from './daemon.js';
import { Vty } from './vty.js';
import { Capture } from './capture.js';
import { sleep, until } from '../helpers.js';

const SGSN_NS_PORT = 23000;
const SGSN_VTY = 4245;

describe(`interop: our BSS against osmo-sgsn (${getBackend()})`, function () {
  this.timeout(60000);
  let sgsn: Daemon, vty: Vty, ns: NsInstance, cap: Capture | null = null;
  before(async function () {
    if (!hasBinary('osmo-sgsn')) {
      if (process.env.CI) throw new Error('osmo-sgsn missing in CI');
      this.skip();
    }
    cap = await Capture.start(`udp port ${SGSN_NS_PORT}`);
    sgsn = await Daemon.start('osmo-sgsn', ['osmo-sgsn.cfg'], SGSN_VTY);
    vty = await Vty.connect(SGSN_VTY);
    await vty.cmd('enable');
    // IP-SNS on its bind (sgsn-sns.cfg's accept-dynamic-ip-sns) and ALIVE every second, dead after 1 + 2 lost:
    // an NS-VC that does not answer its ALIVEs shows up within seconds
    for (const c of ['configure terminal', 'ns', 'timer tns-test 1', 'timer tns-alive 1', 'timer tns-alive-retries 2',
      'bind udp local', 'accept-dynamic-ip-sns', 'end']) {
      const out = await vty.cmd(c);
      expect(out, c).to.not.match(/%/);
    }
  });
  after(async function () {
    cap?.cleanup();
    vty?.close();
    await sgsn?.stop();
  });
  afterEach(function () { ns?.close(); });

  const nseiBase = 3000 + (process.pid % 500) * 2;

  async function showNs(): Promise<string> { return await vty.cmd('show ns'); }

  it('ipaccess: RESET -> UNBLOCK -> ALIVE both ways; BVC-RESET answered; the SGSN VTY shows the NS-VC UNBLOCKED; O&M block/unblock/reset reach it', async function () {
    const nsei = nseiBase;
    ns = new NsInstance({ timers: { 'tns-test': 1, 'tns-alive': 1, 'tns-alive-retries': 2 }, registry: new CtrlRegistry({ autoTick: false }) });
    const bind = ns.bind({ address: '127.0.0.1', port: 0 });
    const nse = ns.createNse(nsei, { dialect: 'ipaccess' });
    const vc = ns.connect(nse, bind, '127.0.0.1', SGSN_NS_PORT, { nsvci: nsei });
    await until(() => nse.alive, 10000, 'NSE alive');
    const got: NsUnitdataEvent[] = [];
    ns.on('unitdata', (u) => got.push(u));
    expect(ns.sendUnitdata(nsei, 0, 0, bvcReset(0))).to.equal(0);
    await until(() => got.some((u) => parseBvcReset(u.sdu)?.pdu === 'BVC-RESET-ACK'), 5000, 'BVC-RESET-ACK');
    expect(parseBvcReset(got.find((u) => parseBvcReset(u.sdu))!.sdu)).to.deep.equal({ pdu: 'BVC-RESET-ACK', bvci: 0 });
    // ALIVE both ways for longer than the SGSN's tns-alive x (retries + 1)
    await sleep(4000);
    expect(vc.state).to.equal('UNBLOCKED');
    expect(vc.counters.lostAlive.current).to.equal(0);
    const nsvciStr = String(nsei).padStart(5, '0');
    const line = (await showNs()).split('\n').find((l) => l.includes(`NSVCI ${nsvciStr}`));
    expect(line, await showNs()).to.match(/UNBLOCKED/);
    expect(line).to.include(`[127.0.0.1]:${bind.local.port}`);

    const sgsnState = async (): Promise<string> => (await showNs()).split('\n').find((l) => l.includes(`NSVCI ${nsvciStr}`)) ?? '';
    expect(vc.block()).to.equal(0);
    await until(() => vc.state === 'BLOCKED', 3000);
    await sleep(200);
    expect(await sgsnState()).to.match(/BLOCKED/).and.not.match(/UNBLOCKED/);
    expect(vc.unblock()).to.equal(0);
    await until(() => vc.state === 'UNBLOCKED', 5000, 'unblocked again');
    await sleep(200);
    expect(await sgsnState()).to.match(/UNBLOCKED/);
    const resets = vc.counters.blocked.current;
    expect(vc.reset()).to.equal(0);
    await until(() => vc.state === 'UNBLOCKED' && vc.counters.blocked.current > resets, 8000, 'reset and unblocked');
    await sleep(200);
    expect(await sgsnState()).to.match(/UNBLOCKED/);
  });

  it('IP-SNS: SIZE -> SIZE-ACK, CONFIG both ways, CONFIGURED in the SGSN VTY, ALIVE lasting past tns-alive x retries', async function () {
    const nsei = nseiBase + 1;
    ns = new NsInstance({ timers: { 'tns-test': 1, 'tns-alive': 1, 'tns-alive-retries': 2 }, registry: new CtrlRegistry({ autoTick: false }) });
    ns.bind({ address: '127.0.0.1', port: 0 });
    const nse = ns.createNse(nsei, { dialect: 'sns' });
    const states: string[] = [];
    ns.on('sns', (_n, st) => states.push(st));
    nse.addSnsEndpoint('127.0.0.1', SGSN_NS_PORT);
    nse.startSns();
    await until(() => nse.snsState === 'CONFIGURED' && nse.alive, 10000, 'SNS configured');
    expect(states).to.deep.equal(['BSS_SIZE', 'BSS_CONFIG_BSS', 'BSS_CONFIG_SGSN', 'CONFIGURED']);
    const vc: NsVc = nse.nsvcs[0]!;
    expect(vc.remote.port).to.equal(SGSN_NS_PORT);
    await sleep(5000); // SGSN: ALIVE every 1 s, dead after 3 unanswered -> 5 s proves we answer
    expect(vc.state).to.equal('UNBLOCKED');
    expect(vc.counters.lostAlive.current).to.equal(0);
    const show = await showNs();
    const from = show.indexOf(`NSEI ${String(nsei).padStart(5, '0')}`);
    const block = show.slice(from).split(/\n(?=NSEI |UDP bind)/)[0]!;
    expect(block, show).to.match(/GPRS-NS2-SNS-SGSN[^\n]*\n[^\n]*State: 'CONFIGURED'/);
    expect(block).to.match(/ALIVE since/);
    expect(block).to.match(new RegExp(`UNBLOCKED [^\\n]*<>\\[127\\.0\\.0\\.1\\]:${nse.nsvcs[0]!.bind.local.port} ALIVE since`));
    if (sgsn.started) expect(sgsn.log).to.match(new RegExp(`NS-E ${nsei} SNS configured`));
    const got: NsUnitdataEvent[] = [];
    ns.on('unitdata', (u) => got.push(u));
    expect(ns.sendUnitdata(nsei, 0, 0, bvcReset(0))).to.equal(0);
    await until(() => got.some((u) => parseBvcReset(u.sdu)?.pdu === 'BVC-RESET-ACK'), 5000, 'BVC-RESET-ACK over IP-SNS');
  });

  it('the capture of these runs decodes in tshark without malformed packets', async function () {
    if (!cap) this.skip(); // tshark cannot capture here
    const c = cap;
    cap = null;
    const { rows, malformed } = await c.stop([SGSN_NS_PORT]);
    c.cleanup();
    const types = new Set(rows.map((r) => r[2]));
    for (const t of ['0x02', '0x03', '0x06', '0x07', '0x0a', '0x0b', '0x00', '0x04', '0x05', '0x12', '0x13', '0x0f', '0x10']) expect([...types], t).to.include(t);
    expect(malformed).to.deep.equal([]);
  });
});
