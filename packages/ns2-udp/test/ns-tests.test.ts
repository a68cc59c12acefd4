/**
 * Upstream NS_Tests behaviours (ipaccess / BLOCKRESET dialect) against a scripted peer on node:dgram.
 * IUT = our NsInstance; tester = Peer. NSEI 1234, NSVCI 1234 / 1235 as in NS_Tests.
 */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, Peer, sleep, until } from './helpers.js';
import { NsCause, type NsInstance, type NsBind, type Nse, type NsVc, type NsStatus } from '../src/index.js';

const RESET = { type: 'NS-RESET', cause: 1, nsvci: 1234, nsei: 1234 } as const;

describe(`NS_Tests scenarios (${getBackend()})`, function () {
  let iut: NsInstance, bind: NsBind, peer: Peer;
  beforeEach(async function () {
    iut = instance();
    bind = iut.bind({ address: '127.0.0.1', port: 0, acceptIpaccess: true });
    peer = await Peer.open();
  });
  afterEach(function () { iut.close(); peer.close(); });

  /** tester-initiated bring-up: RESET -> RESET-ACK, UNBLOCK -> UNBLOCK-ACK */
  async function bringUp(nsvci = 1234): Promise<NsVc> {
    peer.send({ ...RESET, nsvci }, bind.local.port);
    await peer.waitFor('NS-RESET-ACK');
    peer.send({ type: 'NS-UNBLOCK' }, bind.local.port);
    await peer.waitFor('NS-UNBLOCK-ACK');
    const vc = iut.nse(1234)!.nsvcs.find((v) => v.nsvci === nsvci)!;
    expect(vc.state).to.equal('UNBLOCKED');
    return vc;
  }

  it('TC_tx_reset: RESET -> RESET-ACK with our ids; a dynamic NSE appears', async function () {
    peer.send(RESET, bind.local.port);
    expect(await peer.waitFor('NS-RESET-ACK')).to.deep.equal({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 1234 });
    expect(iut.nse(1234)!.nsvcs[0]!.state).to.equal('BLOCKED');
  });

  it('TC_tx_reset_tx_alive / rx_alive: ALIVE answered after reset; the IUT sends ALIVE itself', async function () {
    peer.send(RESET, bind.local.port);
    await peer.waitFor('NS-RESET-ACK');
    await peer.waitFor('NS-ALIVE');
    peer.send({ type: 'NS-ALIVE' }, bind.local.port);
    await peer.waitFor('NS-ALIVE-ACK');
  });

  it('TC_tx_block / TC_tx_unblock: BLOCK -> BLOCK-ACK; UNBLOCK x3 each acked', async function () {
    const vc = await bringUp();
    peer.send({ type: 'NS-BLOCK', cause: 2, nsvci: 1234 }, bind.local.port);
    expect(await peer.waitFor('NS-BLOCK-ACK')).to.deep.equal({ type: 'NS-BLOCK-ACK', nsvci: 1234 });
    expect(vc.state).to.equal('BLOCKED');
    for (let i = 2; i <= 4; i++) {
      peer.send({ type: 'NS-UNBLOCK' }, bind.local.port);
      await peer.waitFor('NS-UNBLOCK-ACK', i);
    }
    expect(vc.state).to.equal('UNBLOCKED');
  });

  it('TC_rx_block_unitdata_over_blocked: UNITDATA on a blocked VC -> STATUS 0x03 with the NSVCI', async function () {
    await bringUp();
    peer.send({ type: 'NS-BLOCK', cause: 2, nsvci: 1234 }, bind.local.port);
    await peer.waitFor('NS-BLOCK-ACK');
    peer.send('00 00 00 2a 00 11 23 42 42 23 01 01', bind.local.port);
    expect(await peer.waitFor('NS-STATUS')).to.deep.equal({ type: 'NS-STATUS', cause: NsCause.NSVC_BLOCKED, nsvci: 1234 });
  });

  it('TC_tx_block_by_vty: O&M block sends BLOCK; a RESET from the tester keeps it blocked', async function () {
    const vc = await bringUp();
    expect(vc.block()).to.equal(0);
    expect(await peer.waitFor('NS-BLOCK')).to.deep.include({ cause: NsCause.OM_INTERVENTION, nsvci: 1234 });
    peer.send({ type: 'NS-BLOCK-ACK', nsvci: 1234 }, bind.local.port);
    await sleep(50);
    peer.send(RESET, bind.local.port);
    await peer.waitFor('NS-RESET-ACK', 2);
    await sleep(300);
    expect(vc.state).to.equal('BLOCKED');
    expect(peer.count('NS-UNBLOCK')).to.equal(0);
  });

  it('TC_mirror_unitdata_tx_status_blocked: STATUS(blocked) from the tester blocks the VC', async function () {
    const vc = await bringUp();
    peer.send({ type: 'NS-STATUS', cause: NsCause.NSVC_BLOCKED, nsvci: 1234 }, bind.local.port);
    await until(() => vc.state === 'BLOCKED');
    peer.send('00 00 00 2a 01', bind.local.port);
    const st = await peer.waitFor('NS-STATUS');
    expect((st as NsStatus).cause).to.equal(NsCause.NSVC_BLOCKED);
  });

  it('TC_tx_blocked_foreign_nsvc: BLOCK for NSVCI 1235 over VC 1234 -> BLOCK-ACK(1235) there; 1235 blocked', async function () {
    await bringUp(1234);
    const peer2 = await Peer.open();
    try {
      peer2.send({ ...RESET, nsvci: 1235 }, bind.local.port);
      await peer2.waitFor('NS-RESET-ACK');
      peer2.send({ type: 'NS-UNBLOCK' }, bind.local.port);
      await peer2.waitFor('NS-UNBLOCK-ACK');
      const vc2 = iut.nsvcByNsvci(1235)!;
      expect(vc2.state).to.equal('UNBLOCKED');
      peer.send({ type: 'NS-BLOCK', cause: 2, nsvci: 1235 }, bind.local.port);
      expect(await peer.waitFor('NS-BLOCK-ACK')).to.deep.equal({ type: 'NS-BLOCK-ACK', nsvci: 1235 });
      expect(vc2.state).to.equal('BLOCKED');
      expect(iut.nsvcByNsvci(1234)!.state).to.equal('UNBLOCKED');
      peer2.send('00 00 00 2a 01', bind.local.port);
      expect(((await peer2.waitFor('NS-STATUS')) as NsStatus).cause).to.equal(NsCause.NSVC_BLOCKED);
      // a BLOCK for an NSVCI nobody has -> STATUS NS-VC unknown with that NSVCI
      peer.send({ type: 'NS-BLOCK', cause: 2, nsvci: 999 }, bind.local.port);
      expect(await peer.waitFor('NS-STATUS')).to.deep.equal({ type: 'NS-STATUS', cause: NsCause.NSVC_UNKNOWN, nsvci: 999 });
    } finally { peer2.close(); }
  });

  for (const [name, wrong] of [['nsei', { nsei: 99 }], ['nsvci', { nsvci: 99 }], ['nsei_nsvci', { nsei: 99, nsvci: 99 }]] as const) {
    it(`TC_reset_wrong_${name}: RESET-ACK with the IUT's ids, the VC keeps its state`, async function () {
      const vc = await bringUp();
      peer.send({ ...RESET, ...wrong }, bind.local.port);
      expect(await peer.waitFor('NS-RESET-ACK', 2)).to.deep.equal({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 1234 });
      await sleep(50);
      expect(vc.state).to.equal('UNBLOCKED');
    });
  }

  it('TC_reset_retries / TC_reset_ack_wrong_nsei: an initiator resends RESET, ignores a wrong RESET-ACK', async function () {
    const nse: Nse = iut.createNse(1234, { dialect: 'ipaccess' });
    const vc = iut.connect(nse, bind, '127.0.0.1', peer.port, { nsvci: 1234 });
    await peer.waitFor('NS-RESET', 4, 2000);
    peer.send({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 99 }, bind.local.port);
    await sleep(150);
    expect(vc.state).to.equal('RESET');
    expect(vc.counters.lostReset.current).to.be.at.least(3);
    peer.send({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 1234 }, bind.local.port);
    await peer.waitFor('NS-UNBLOCK');
    expect(vc.state).to.equal('BLOCKED');
    peer.send({ type: 'NS-UNBLOCK-ACK' }, bind.local.port);
    await until(() => vc.state === 'UNBLOCKED');
  });

  it('TC_alive_retries: unanswered ALIVE 1+3 times -> the initiator falls back to RESET', async function () {
    const nse = iut.createNse(1234, { dialect: 'ipaccess' });
    const vc = iut.connect(nse, bind, '127.0.0.1', peer.port, { nsvci: 1234 });
    await peer.waitFor('NS-RESET');
    peer.send({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 1234 }, bind.local.port);
    await peer.waitFor('NS-UNBLOCK');
    peer.send({ type: 'NS-UNBLOCK-ACK' }, bind.local.port);
    await until(() => vc.state === 'UNBLOCKED');
    await peer.waitFor('NS-RESET', 2, 2000);
    // between the two RESETs: the first ALIVE (sent on entering BLOCKED, still outstanding) + tns-alive-retries 3
    const t = peer.types();
    expect(t.slice(t.indexOf('NS-RESET'), t.lastIndexOf('NS-RESET')).filter((x) => x === 'NS-ALIVE')).to.have.length(4);
    expect(vc.counters.lostAlive.current).to.equal(4);
    expect(nse.alive).to.equal(false);
  });

  it('TC_alive_retries_single_no_resp: a non-initiator (peer RESET) sends no RESET after ALIVE failure', async function () {
    const vc = await bringUp();
    await until(() => vc.state === 'RESET', 2000);
    await sleep(300);
    expect(peer.count('NS-RESET')).to.equal(0);
    expect(peer.count('NS-ALIVE')).to.equal(4); // 1 + tns-alive-retries 3, then silence
  });

  it('TC_no_reset_alive_ack / TC_ignore_reset_ack: stray ACKs change nothing', async function () {
    const vc = await bringUp();
    const before = peer.rx.length;
    peer.send({ type: 'NS-RESET-ACK', nsvci: 1234, nsei: 1234 }, bind.local.port);
    peer.send({ type: 'NS-ALIVE-ACK' }, bind.local.port);
    await sleep(100);
    expect(vc.state).to.equal('UNBLOCKED');
    expect(peer.rx.slice(before).every((r) => r.pdu?.type === 'NS-ALIVE')).to.equal(true);
  });

  it('TC_tx_unitdata: UNITDATA BVCI 42 is delivered with the SDU', async function () {
    await bringUp();
    const got: string[] = [];
    iut.on('unitdata', (u) => got.push(`${u.nsei}/${u.bvci}/${u.sdu.toString('hex')}`));
    peer.send('00 00 00 2a 00 11 23 42 42 23 01 01', bind.local.port);
    await until(() => got.length === 1);
    expect(got).to.deep.equal(['1234/42/0011234242230101']);
  });

  it('a 1-octet PDU that is longer gets STATUS 0x0b with the PDU; a STATUS is never answered', async function () {
    await bringUp();
    peer.send('0a 00', bind.local.port);
    expect(await peer.waitFor('NS-STATUS')).to.deep.equal({ type: 'NS-STATUS', cause: NsCause.PROTO_ERR_UNSPEC, pdu: Buffer.from('0a00', 'hex') });
    peer.send('08 00 81 0b', bind.local.port); // STATUS without its NS PDU: invalid, still not answered
    peer.send('08 00 81 0b 02 81 0a', bind.local.port);
    peer.send('08 ff', bind.local.port); // undecodable STATUS
    await sleep(100);
    expect(peer.count('NS-STATUS')).to.equal(1);
  });

  it('a RESET missing an IE gets STATUS 0x0d (missing essential IE)', async function () {
    await bringUp();
    peer.send('02 00 81 01 01 82 04 d2', bind.local.port);
    const st = (await peer.waitFor('NS-STATUS')) as NsStatus;
    expect(st.cause).to.equal(NsCause.MISSING_ESSENT_IE);
    expect(st.pdu!.toString('hex')).to.equal('0200810101820 4d2'.replace(' ', ''));
  });

  it('unknown peers: ALIVE -> STATUS 0x0a with the PDU; STATUS / ALIVE-ACK / RESET-ACK ignored; RESET without accept-ipaccess -> 0x0a', async function () {
    peer.send('0a', bind.local.port);
    expect(await peer.waitFor('NS-STATUS')).to.deep.equal({ type: 'NS-STATUS', cause: NsCause.PDU_INCOMP_PSTATE, pdu: Buffer.from('0a', 'hex') });
    peer.send('0b', bind.local.port);
    peer.send('08 00 81 0a 02 81 0a', bind.local.port);
    peer.send({ type: 'NS-RESET-ACK', nsvci: 1, nsei: 1 }, bind.local.port);
    await sleep(100);
    expect(peer.count('NS-STATUS')).to.equal(1);
    bind.acceptIpaccess = false;
    peer.send(RESET, bind.local.port);
    const st = (await peer.waitFor('NS-STATUS', 2)) as NsStatus;
    expect(st.cause).to.equal(NsCause.PDU_INCOMP_PSTATE);
    expect(iut.nse(1234)).to.equal(undefined);
  });

  it('TC_reset_on_block_reset: a RESET after each UNBLOCK -> RESET-ACK then BLOCKED, 3x', async function () {
    const vc = await bringUp();
    for (let i = 2; i <= 4; i++) {
      peer.send(RESET, bind.local.port);
      await peer.waitFor('NS-RESET-ACK', i);
      await until(() => vc.state === 'BLOCKED');
      peer.send({ type: 'NS-UNBLOCK' }, bind.local.port);
      await peer.waitFor('NS-UNBLOCK-ACK', i);
      await until(() => vc.state === 'UNBLOCKED');
    }
  });
});
