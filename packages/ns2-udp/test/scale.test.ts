/**
 * One NsInstance runs thousands of NS-VCs on a handful of binds: an SGSN with 2 binds accepts 2,000 dynamic
 * ipaccess NS-VCs (1,000 NSEs x 2) from 1,000 BSS-side binds, all come up, and unitdata reaches every NSE.
 */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, until } from './helpers.js';
import type { NsInstance } from '../src/index.js';

const NSES = Number(process.env.OSMO_NS_SCALE_NSES ?? 1000);

describe(`ns scale (${getBackend()})`, function () {
  this.timeout(120000);
  let bss: NsInstance, sgsn: NsInstance;
  afterEach(function () { bss?.close(); sgsn?.close(); });

  it(`${NSES * 2} NS-VCs on 2 SGSN binds: all UNBLOCKED, unitdata to and from every NSE`, async function () {
    // slow ALIVEs: this is about the number of VCs, not about keeping 4,000 timers busy on a shared VM
    const timers = { 'tns-reset': 2, 'tns-block': 2, 'tns-test': 30, 'tns-alive': 3 };
    sgsn = instance(timers);
    const sb = [0, 1].map(() => sgsn.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true, rcvBuf: 4 << 20 }));
    bss = instance(timers);
    let nsvci = 1;
    for (let n = 0; n < NSES; n++) {
      const b = bss.bind({ address: '127.0.0.1', port: 0, rcvBuf: 0 });
      const nse = bss.createNse(n + 1, { dialect: 'ipaccess' });
      for (const s of sb) bss.connect(nse, b, '127.0.0.1', s.local.port, { nsvci: nsvci++ });
    }
    await until(() => sgsn.nses.size === NSES && [...sgsn.nses.values()].every((n) => n.nsvcs.length === 2 && n.nsvcs.every((v) => v.isUnblocked)),
      60000, `${NSES * 2} NS-VCs unblocked`);
    expect(sb[0]!.vcCount + sb[1]!.vcCount).to.equal(NSES * 2);
    await until(() => [...bss.nses.values()].every((n) => n.alive), 30000, 'every BSS NSE alive');
    const got = new Set<number>();
    sgsn.on('unitdata', (u) => got.add(u.nsei));
    const back = new Set<number>();
    bss.on('unitdata', (u) => back.add(u.nsei));
    // a full tx queue (-ENOSPC, 128 per bind) is back-pressure: wait a little and send again
    const send = async (ns: NsInstance, n: number): Promise<void> => {
      let rc: number;
      while ((rc = ns.sendUnitdata(n, 1, n, Buffer.from([n & 0xff]))) === -28) await new Promise((r) => setTimeout(r, 1));
      expect(rc).to.equal(0);
    };
    for (let n = 1; n <= NSES; n++) {
      await send(bss, n);
      await send(sgsn, n);
    }
    await until(() => got.size === NSES, 20000, `unitdata at the SGSN from every NSE (${got.size})`);
    await until(() => back.size === NSES, 20000, `unitdata at the BSS (${back.size})`);
  });
});
