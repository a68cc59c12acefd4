/**
 * Hostile and heavy peers: garbage floods, repeated RESETs and silent peers keep neither memory nor state growing;
 * NS-UNITDATA at 10,000/s over 4 NS-VCs arrives complete, in order per VC, without duplicates.
 * OSMO_NS_SOAK_S=60 runs the unitdata soak for 60 s (default 3 s in the suite).
 */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, Peer, sleep, until } from './helpers.js';
import type { NsInstance } from '../src/index.js';

describe(`ns robustness (${getBackend()})`, function () {
  this.timeout(120000);
  let a: NsInstance, b: NsInstance;
  const peers: Peer[] = [];
  afterEach(function () { a?.close(); b?.close(); for (const p of peers.splice(0)) p.close(); });

  it('a peer flooding garbage, repeated RESETs and SNS-SIZEs leaves no state behind and the loop responsive', async function () {
    a = instance();
    const bind = a.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true });
    const p = await Peer.open();
    peers.push(p);
    let x = 12345;
    const rnd = (): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x; };
    const heap0 = process.memoryUsage().heapUsed;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 250; i++) {
        const len = rnd() % 40;
        const buf = Buffer.alloc(len);
        for (let j = 0; j < len; j++) buf[j] = rnd() & 0xff;
        if (len && buf[0] === 0x02) buf[0] = 0x0a; // random RESETs could create NSEs legitimately; the next part repeats one
        p.send(buf, bind.local.port);
      }
      // the same RESET again and again: one NSE, one VC
      p.send({ type: 'NS-RESET', cause: 1, nsvci: 77, nsei: 77 }, bind.local.port);
      await sleep(5);
    }
    await sleep(200);
    expect([...a.nses.keys()]).to.deep.equal([77]);
    expect(a.nse(77)!.nsvcs).to.have.length(1);
    expect(bind.vcCount).to.equal(1);
    // answers were bounded by what came in (STATUS per bad PDU at most)
    expect(p.rx.length).to.be.below(20 * 251 * 2);
    const t0 = Date.now();
    await sleep(10);
    expect(Date.now() - t0).to.be.below(500);
    if (global.gc) { global.gc(); expect(process.memoryUsage().heapUsed - heap0).to.be.below(20e6); }
  });

  it('a silent peer: the initiator keeps retrying RESET at tns-reset, nothing accumulates', async function () {
    a = instance();
    const bind = a.bind({ address: '127.0.0.1', port: 0 });
    const p = await Peer.open();
    peers.push(p);
    const nse = a.createNse(5, { dialect: 'ipaccess' });
    const vc = a.connect(nse, bind, '127.0.0.1', p.port, { nsvci: 5 });
    await sleep(1000);
    // 100 ms tns-reset: about 10 RESETs in 1 s, no more, and still one VC
    expect(p.count('NS-RESET')).to.be.within(8, 12);
    expect(p.rx.length).to.equal(p.count('NS-RESET'));
    expect(vc.state).to.equal('RESET');
    expect(nse.nsvcs).to.have.length(1);
  });

  it('NS-UNITDATA at 10,000/s over 4 NS-VCs: none lost, none duplicated, in order per NS-VC', async function () {
    const seconds = Number(process.env.OSMO_NS_SOAK_S ?? 3);
    this.timeout((seconds + 30) * 1000);
    b = instance({ 'tns-test': 1 });
    const sb = b.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true });
    a = instance({ 'tns-test': 1 });
    const ab = a.bind({ address: '127.0.0.1', port: 0 });
    // 4 NS-VCs of one NSE from 4 binds... one bind per VC on our side, all to the one SGSN bind
    const nse = a.createNse(100, { dialect: 'ipaccess' });
    const binds = [ab, a.bind({ address: '127.0.0.1', port: 0 }), a.bind({ address: '127.0.0.1', port: 0 }), a.bind({ address: '127.0.0.1', port: 0 })];
    binds.forEach((bd, i) => a.connect(nse, bd, '127.0.0.1', sb.local.port, { nsvci: 100 + i }));
    await until(() => nse.nsvcs.every((v) => v.isUnblocked) && b.nse(100)?.alive === true, 5000, '4 VCs up');
    const total = seconds * 10000;
    const seen = new Uint8Array(total);
    let dup = 0, got = 0, disorder = 0;
    const lastPerVc = new Map<number, number>();
    b.on('unitdata', (u) => {
      const seq = u.sdu.readUInt32BE(0);
      if (seen[seq]) dup++;
      seen[seq] = 1;
      got++;
      const last = lastPerVc.get(u.nsvc.index) ?? -1;
      if (seq < last) disorder++;
      lastPerVc.set(u.nsvc.index, seq);
    });
    const sdu = Buffer.alloc(32);
    let sent = 0, refused = 0;
    // a sequence number per PDU in the SDU
    const start = Date.now();
    while (sent < total) {
      // 10 PDUs per ms as far as the timers allow; LSP varies so that all 4 VCs carry data
      // ... but never more than 1000 ahead of the receiver: on this shared 2-core VM a CPU-starved receiver would
      // otherwise overrun its socket buffer (a kernel drop, not ours); the achieved rate is printed
      const due = Math.min(total, Math.floor((Date.now() - start) + 1) * 10, got + 1000);
      while (sent < due) {
        const s = Buffer.from(sdu);
        s.writeUInt32BE(sent, 0);
        const rc = a.sendUnitdata(100, 1, sent, s);
        // a full tx queue (-ENOSPC, 128 per bind as upstream) is back-pressure: retry this one next tick
        if (rc === -28) { refused++; break; }
        expect(rc).to.equal(0);
        sent++;
      }
      await sleep(1);
    }
    await until(() => got >= total, 10000, `all ${total} delivered (got ${got}, ${refused} ENOSPC retries)`);
    await sleep(100);
    const rate = Math.round(total / ((Date.now() - start) / 1000));
    console.log(`      ${total} NS-UNITDATA over 4 NS-VCs in ${((Date.now() - start) / 1000).toFixed(1)} s (${rate}/s), ${refused} ENOSPC retries`);
    expect(got).to.equal(total);
    expect(binds.reduce((n, bd) => n + bd.txErrors, 0)).to.equal(0);
    expect(dup).to.equal(0);
    expect(disorder).to.equal(0);
    expect(lastPerVc.size).to.equal(4);
  });
});
