/** The scenarios of libosmocore's tests/gb/gprs_ns2_test.c, over real UDP with scripted peers. */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, Peer, until } from './helpers.js';
import type { NsInstance, NsBind, Nse, NsVc } from '../src/index.js';

describe(`gprs_ns2_test scenarios (${getBackend()})`, function () {
  let ns: NsInstance, bind: NsBind;
  const peers: Peer[] = [];
  beforeEach(function () {
    ns = instance();
    bind = ns.bind({ address: '127.0.0.1', port: 0 });
  });
  afterEach(function () { ns.close(); for (const p of peers.splice(0)) p.close(); });

  async function aliveNse(nsei: number, weights: [number, number][]): Promise<{ nse: Nse; vcs: NsVc[]; ps: Peer[] }> {
    const nse = ns.createNse(nsei, { dialect: 'static-alive' });
    const ps: Peer[] = [], vcs: NsVc[] = [];
    for (const [sig, data] of weights) {
      const p = await Peer.open();
      p.autoAlive = true;
      peers.push(p); ps.push(p);
      vcs.push(ns.connect(nse, bind, '127.0.0.1', p.port, { sigWeight: sig, dataWeight: data }));
    }
    await until(() => vcs.every((v) => v.isUnblocked), 3000, 'static-alive VCs unblocked by ALIVE-ACK');
    return { nse, vcs, ps };
  }

  async function resetBlockNse(nsei: number, n: number): Promise<{ nse: Nse; vcs: NsVc[]; ps: Peer[] }> {
    const nse = ns.createNse(nsei, { dialect: 'ipaccess' });
    const ps: Peer[] = [], vcs: NsVc[] = [];
    for (let i = 0; i < n; i++) {
      const p = await Peer.open();
      p.autoAlive = true;
      peers.push(p); ps.push(p);
      vcs.push(ns.connect(nse, bind, '127.0.0.1', p.port, { nsvci: nsei * 10 + i }));
      await p.waitFor('NS-RESET');
      p.send({ type: 'NS-RESET-ACK', nsvci: nsei * 10 + i, nsei }, bind.local.port);
      await p.waitFor('NS-UNBLOCK');
      p.send({ type: 'NS-UNBLOCK-ACK' }, bind.local.port);
    }
    await until(() => vcs.every((v) => v.isUnblocked));
    return { nse, vcs, ps };
  }

  it('test_unitdata_weights: data weights 1/2/3 carry 2/4/6 of 12 PDUs (BVCI 1, LSP 1..12)', async function () {
    const { ps } = await aliveNse(1001, [[1, 1], [1, 2], [1, 3]]);
    for (const p of ps) p.clear();
    for (let lsp = 1; lsp <= 12; lsp++) expect(ns.sendUnitdata(1001, 1, lsp, Buffer.from([lsp]))).to.equal(0);
    await until(() => ps.reduce((a, p) => a + p.count('NS-UNITDATA'), 0) === 12);
    expect(ps.map((p) => p.count('NS-UNITDATA'))).to.deep.equal([2, 4, 6]);
  });

  it('signalling (BVCI 0) goes round robin by signalling weight 1/2/0', async function () {
    const { ps } = await aliveNse(1002, [[1, 1], [2, 1], [0, 1]]);
    for (const p of ps) p.clear();
    for (let i = 0; i < 9; i++) expect(ns.sendUnitdata(1002, 0, 0, Buffer.from([i]))).to.equal(0);
    await until(() => ps.reduce((a, p) => a + p.count('NS-UNITDATA'), 0) === 9);
    expect(ps.map((p) => p.count('NS-UNITDATA'))).to.deep.equal([3, 6, 0]);
  });

  it('test_block_unblock_nsvc(2): O&M block VC0 -> BLOCK, NSE alive; VC1 too -> dead; unblock VC0 + UNBLOCK-ACK -> alive', async function () {
    const { nse, vcs, ps } = await resetBlockNse(1003, 2);
    const ev: boolean[] = [];
    ns.on('nse', (n) => ev.push(n.alive));
    vcs[0]!.block();
    expect(await ps[0]!.waitFor('NS-BLOCK')).to.deep.include({ nsvci: 10030 });
    expect(nse.alive).to.equal(true);
    vcs[1]!.block();
    expect(nse.alive).to.equal(false);
    expect(ns.sendUnitdata(1003, 5, 0, Buffer.from([1]))).to.be.lessThan(0);
    vcs[0]!.unblock();
    await ps[0]!.waitFor('NS-UNBLOCK', 2);
    ps[0]!.send({ type: 'NS-UNBLOCK-ACK' }, bind.local.port);
    await until(() => nse.alive);
    expect(ev).to.deep.equal([false, true]);
  });

  it('test_unitdata: UNITDATA on a VC blocked by O&M (BLOCK-ACK seen) gets STATUS 0x03, the other VC delivers', async function () {
    const { vcs, ps } = await resetBlockNse(1004, 2);
    const got: number[] = [];
    ns.on('unitdata', (u) => got.push(u.nsvc.index));
    ps[0]!.send('00 00 00 0c ab cd ef', bind.local.port);
    await until(() => got.length === 1);
    vcs[0]!.block();
    await ps[0]!.waitFor('NS-BLOCK');
    ps[0]!.send({ type: 'NS-BLOCK-ACK', nsvci: 10040 }, bind.local.port);
    await until(() => vcs[0]!.state === 'BLOCKED');
    ps[0]!.send('00 00 00 0c ab cd ef', bind.local.port);
    ps[1]!.send('00 00 00 0c ab cd ef', bind.local.port);
    await until(() => got.length === 2);
    await ps[0]!.waitFor('NS-STATUS');
    expect(got).to.deep.equal([10040, 10041]);
  });

  it('test_unconfigured: force-unconfigured VC0 -> NSE alive; VC1 too -> dead', async function () {
    const { nse, vcs } = await aliveNse(1005, [[1, 1], [1, 1]]);
    vcs[0]!.forceUnconfigured();
    expect(nse.alive).to.equal(true);
    vcs[1]!.forceUnconfigured();
    expect(nse.alive).to.equal(false);
  });

  it('test_mtu: the NSE MTU is the bind MTU; a bind MTU change is reported', async function () {
    const status: string[] = [];
    ns.on('status', (st) => status.push(`${st.cause} ${st.mtu} ${st.transferCapability}`));
    const { nse } = await aliveNse(1006, [[1, 1]]);
    expect(nse.mtu).to.equal(65535 - 8);
    // STATUS.ind: VC recovery, then NSE recovery with mtu = NSE MTU - 4 and the bind's capability (100)
    expect(status).to.deep.equal([`VC_RECOVERY ${65535 - 12} 100`, `RECOVERY ${65535 - 12} 100`]);
    const seen: number[] = [];
    ns.on('mtu', (n) => seen.push(n.mtu));
    bind.setMtu(123);
    expect(seen).to.deep.equal([123]);
    expect(status[2]).to.equal('MTU_CHANGE 119 100');
    bind.setMtu(100);
    expect(status[3]).to.equal('MTU_CHANGE 96 100');
    bind.setMtu(123);
    expect(ns.sendUnitdata(1006, 1, 0, Buffer.alloc(120))).to.equal(-90); // EMSGSIZE
    expect(ns.sendUnitdata(1006, 1, 0, Buffer.alloc(119))).to.equal(0);
  });
});

describe(`gprs_ns2_test test_nse_transfer_cap (${getBackend()})`, function () {
  it('0 without unblocked VCs, 42 with 1 or 2 VCs on one bind, 65 with a VC on a second bind (23), 65 after forcing one VC of the first bind down', async function () {
    const ns = instance();
    const peers: Peer[] = [];
    try {
      const b1 = ns.bind({ address: '127.0.0.1', port: 0, transferCapability: 42 });
      const b2 = ns.bind({ address: '127.0.0.1', port: 0, transferCapability: 23 });
      const nse = ns.createNse(1001, { dialect: 'static-alive' });
      expect(nse.transferCapability).to.equal(0);
      const add = async (b: NsBind): Promise<NsVc> => {
        const p = await Peer.open();
        p.autoAlive = true;
        peers.push(p);
        const vc = ns.connect(nse, b, '127.0.0.1', p.port);
        await until(() => vc.isUnblocked);
        return vc;
      };
      const v1 = await add(b1);
      expect(nse.transferCapability).to.equal(42);
      await add(b1);
      expect(nse.transferCapability).to.equal(42);
      await add(b2);
      expect(nse.transferCapability).to.equal(65);
      v1.forceUnconfigured();
      expect(nse.transferCapability).to.equal(65);
    } finally { ns.close(); for (const p of peers) p.close(); }
  });
});
