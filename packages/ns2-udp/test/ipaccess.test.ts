/** Our BSS against our SGSN, classic NS-IP (ipaccess dialect): RESET -> UNBLOCK -> ALIVE, unitdata both ways. */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, until, sleep } from './helpers.js';
import type { NsInstance, NsUnitdataEvent } from '../src/index.js';

describe(`ns ipaccess: our BSS against our SGSN (${getBackend()})`, function () {
  let bss: NsInstance, sgsn: NsInstance;
  afterEach(function () { bss?.close(); sgsn?.close(); });

  it('resets, unblocks, keeps ALIVE going and carries unitdata both ways', async function () {
    sgsn = instance();
    const sb = sgsn.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true });
    bss = instance();
    const bb = bss.bind({ address: '127.0.0.1', port: 0 });
    const nse = bss.createNse(1234, { dialect: 'ipaccess' });
    const vc = bss.connect(nse, bb, '127.0.0.1', sb.local.port, { nsvci: 1234 });
    const states: string[] = [];
    bss.on('nsvc', (v) => states.push(v.state));
    await until(() => nse.alive && sgsn.nse(1234)?.alive === true, 3000, 'both NSEs alive');
    expect(vc.state).to.equal('UNBLOCKED');
    expect(states).to.deep.equal(['BLOCKED', 'UNBLOCKED']);
    const remote = sgsn.nse(1234)!;
    expect(remote.persistent).to.equal(false);
    expect(remote.nsvcs[0]!.nsvci).to.equal(1234);
    expect(remote.nsvcs[0]!.state).to.equal('UNBLOCKED');

    const got: NsUnitdataEvent[] = [];
    sgsn.on('unitdata', (u) => got.push(u));
    const back: NsUnitdataEvent[] = [];
    bss.on('unitdata', (u) => back.push(u));
    expect(bss.sendUnitdata(1234, 0, 0, Buffer.from('2204820000078108', 'hex'))).to.equal(0);
    await until(() => got.length === 1);
    expect(got[0]!.bvci).to.equal(0);
    expect(got[0]!.sdu.toString('hex')).to.equal('2204820000078108');
    expect(sgsn.sendUnitdata(1234, 0, 0, Buffer.from('2304820000', 'hex'))).to.equal(0);
    await until(() => back.length === 1);
    expect(back[0]!.sdu.toString('hex')).to.equal('2304820000');

    // several ALIVE rounds (tns-test 0.3 s) pass without losing the VC
    await sleep(800);
    expect(vc.state).to.equal('UNBLOCKED');
    expect(vc.counters.lostAlive.current).to.equal(0);
    expect(vc.counters.aliveDelay!.last).to.be.at.least(0);
    expect(vc.counters.pktsIn.current).to.be.greaterThan(3);
  });

  it('O&M block / unblock / reset reach the peer', async function () {
    sgsn = instance();
    const sb = sgsn.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true });
    bss = instance();
    const nse = bss.createNse(7, { dialect: 'ipaccess' });
    const vc = bss.connect(nse, bss.bind({ address: '127.0.0.1', port: 0 }), '127.0.0.1', sb.local.port, { nsvci: 70 });
    await until(() => sgsn.nse(7)?.alive === true);
    const rvc = sgsn.nse(7)!.nsvcs[0]!;
    expect(vc.block()).to.equal(0);
    await until(() => rvc.state === 'BLOCKED' && vc.state === 'BLOCKED');
    expect(nse.alive).to.equal(false);
    expect(bss.sendUnitdata(7, 1, 0, Buffer.from([1]))).to.be.lessThan(0);
    expect(vc.unblock()).to.equal(0);
    await until(() => rvc.state === 'UNBLOCKED' && vc.state === 'UNBLOCKED');
    expect(vc.reset()).to.equal(0);
    await until(() => vc.state === 'UNBLOCKED' && rvc.state === 'UNBLOCKED' && rvc.counters.blocked.current >= 2, 3000, 'reset cycle');
  });
});
