/**
 * Interop, SGSN role: our NsInstance with IP-SNS (accept-sns on 127.0.0.1:23001) against the real BSS chain
 * osmo-bsc + osmo-bts-trx + osmo-pcu. Run with scripts/test-interop-ns.sh.
 */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { CtrlRegistry } from '@osmo/ctrl';
import { NsInstance, bvcResetAck, parseBvcReset, type NsUnitdataEvent} from '../../src/index.js';
import { hasBinary, tcpListening } from './daemon.js';
import { PcuChain } from './pcu-chain.js';
import { Vty } from './vty.js';
import { Capture } from './capture.js';
import { sleep, until } from '../helpers.js';

describe(`interop: our SGSN against osmo-bsc + osmo-bts-trx + osmo-pcu (${getBackend()})`, function () {
  this.timeout(120000);
  let chain: PcuChain | null = null, ns: NsInstance, cap: Capture | null = null;
  before(async function () {
    if (!['osmo-bsc', 'osmo-bts-trx', 'osmo-pcu'].every(hasBinary)) {
      if (process.env.CI) throw new Error('osmo-bsc / osmo-bts-trx / osmo-pcu missing in CI');
      this.skip();
    }
    cap = await Capture.start('udp port 23001 or udp port 23010');
  });
  after(async function () { ns?.close(); await chain?.stop(); cap?.cleanup(); });

  it('SIZE and CONFIG both ways, ALIVE, the PCU BVC-RESETs (BVCI 0 and 1800) arrive; the PCU VTY shows the NS-VC UNBLOCKED', async function () {
    ns = new NsInstance({ timers: { 'tns-test': 1, 'tns-alive': 1, 'tns-alive-retries': 2 }, registry: new CtrlRegistry({ autoTick: false }) });
    const bind = ns.bind({ address: '127.0.0.1', port: 23001, acceptSns: true });
    const got: NsUnitdataEvent[] = [];
    ns.on('unitdata', (u) => {
      got.push(u);
      const b = parseBvcReset(u.sdu);
      if (b?.pdu === 'BVC-RESET') ns.sendUnitdata(u.nsei, 0, 0, bvcResetAck(b.bvci));
    });
    chain = await PcuChain.start();
    await until(() => ns.nse(1800)?.snsState === 'CONFIGURED', 60000, `NSE 1800 CONFIGURED (log: ${chain!.log.slice(-1500)})`);
    const nse = ns.nse(1800)!;
    expect(nse.role).to.equal('sgsn');
    expect(nse.sns!.remote).to.deep.equal([{ ip: '127.0.0.1', port: 23010, sigWeight: 1, dataWeight: 1 }]);
    await until(() => nse.alive, 5000);
    await until(() => got.some((u) => parseBvcReset(u.sdu)?.bvci === 0) && got.some((u) => parseBvcReset(u.sdu)?.bvci === 1800), 30000, 'BVC-RESETs');
    expect(bind.local.port).to.equal(23001);
    await sleep(4000); // ALIVE both ways for longer than our tns-alive x (retries + 1)
    const vc = nse.nsvcs[0]!;
    expect(vc.state).to.equal('UNBLOCKED');
    expect(vc.counters.lostAlive.current).to.equal(0);
    expect(await tcpListening(4240)).to.equal(true);
    const vty = await Vty.connect(4240);
    try {
      await vty.cmd('enable');
      const show = await vty.cmd('show ns');
      expect(show).to.match(/NSEI 01800/);
      expect(show).to.match(/UNBLOCKED[^\n]*\[127\.0\.0\.1\]:23001/);
    } finally { vty.close(); }
  });

  it('a malformed SNS-CONFIG-ACK makes the PCU retry (CONFIG again, then SIZE), and we recover', async function () {
    if (!chain) this.skip();
    // test hook: our CONFIG-ACKs leave the bind truncated (NSEI IE cut short) while `broken`
    const bind = ns.binds[0]!;
    const orig = bind.sendto.bind(bind);
    let broken = true;
    bind.sendto = (buf, to) => orig(broken && buf[0] === 0x10 ? Buffer.from('10048207', 'hex') : buf, to);
    const seen: string[] = [];
    ns.on('sns', (_n, st) => seen.push(st));
    // a restarted PCU starts over with SIZE (its loop restarts it)
    chain!.restartPcu();
    await until(() => seen.includes('SGSN_WAIT_CONFIG'), 60000, 'SIZE from the restarted PCU');
    // the PCU keeps sending CONFIG (every 3 s), then gives up and sends SIZE again: a second WAIT_CONFIG
    await until(() => seen.filter((s) => s === 'SGSN_WAIT_CONFIG').length >= 2, 60000, `a new SIZE (${seen.join(',')})`);
    expect(seen).to.not.include('CONFIGURED');
    broken = false;
    await until(() => ns.nse(1800)?.snsState === 'CONFIGURED' && ns.nse(1800)!.alive, 60000, `recovered (${seen.join(',')})`);
    bind.sendto = orig;
  });

  it('the capture of these runs decodes in tshark without malformed packets', async function () {
    if (!cap) this.skip(); // tshark cannot capture here
    const c = cap;
    cap = null;
    const { rows, malformed } = await c.stop([23001, 23010]);
    c.cleanup();
    const types = new Set(rows.map((r) => r[2]));
    for (const t of ['0x12', '0x13', '0x0f', '0x10', '0x0a', '0x0b', '0x00']) expect([...types], t).to.include(t);
    // our deliberately truncated CONFIG-ACKs of the previous test are the only malformed PDUs
    expect(malformed.filter((m) => !m.startsWith('23001|23010|0x10|'))).to.deep.equal([]);
  });
});
