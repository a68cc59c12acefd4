/** IP-SNS: our BSS against our SGSN, and each role against a scripted peer (NS_Tests / PCU_Tests_SNS cases). */
import { expect } from 'chai';
import { getBackend } from '@osmo/io';
import { instance, Peer, sleep, until } from './helpers.js';
import { NsCause, SnsBss, type NsInstance, type NsBind, type SnsConfig, type SnsSize, type SnsAck, type NsUnitdataEvent } from '../src/index.js';

describe(`IP-SNS (${getBackend()})`, function () {
  const open: (NsInstance | Peer)[] = [];
  afterEach(function () { for (const o of open.splice(0)) o.close(); });
  function inst(): NsInstance { const i = instance(); open.push(i); return i; }

  describe('our BSS against our SGSN', function () {
    it('SIZE, CONFIG both ways, full mesh of 2 x 2 NS-VCs, CONFIGURED, unitdata both ways', async function () {
      const sgsn = inst();
      const s1 = sgsn.bind({ address: '127.0.0.1', port: 0, acceptSns: true });
      sgsn.bind({ address: '127.0.0.1', port: 0 });
      const bss = inst();
      bss.bind({ address: '127.0.0.1', port: 0 });
      bss.bind({ address: '127.0.0.1', port: 0, sigWeight: 2, dataWeight: 3 });
      const nse = bss.createNse(1800, { dialect: 'sns', role: 'bss' });
      const sns: string[] = [];
      bss.on('sns', (_n, st) => sns.push(st));
      nse.addSnsEndpoint('127.0.0.1', s1.local.port);
      nse.startSns();
      await until(() => nse.snsState === 'CONFIGURED' && sgsn.nse(1800)?.snsState === 'CONFIGURED', 3000, 'both CONFIGURED');
      expect(sns).to.deep.equal(['BSS_SIZE', 'BSS_CONFIG_BSS', 'BSS_CONFIG_SGSN', 'CONFIGURED']);
      const peerNse = sgsn.nse(1800)!;
      expect(peerNse.role).to.equal('sgsn');
      await until(() => nse.nsvcs.length === 4 && peerNse.nsvcs.length === 4 && nse.nsvcs.every((v) => v.isUnblocked) && nse.alive && peerNse.alive);
      // the SGSN's VCs carry the BSS's bind weights
      expect(peerNse.nsvcs.map((v) => `${v.sigWeight}/${v.dataWeight}`).sort()).to.deep.equal(['1/1', '1/1', '2/3', '2/3']);
      const got: NsUnitdataEvent[] = [];
      sgsn.on('unitdata', (u) => got.push(u));
      for (let i = 0; i < 8; i++) expect(bss.sendUnitdata(1800, 1800, i, Buffer.from([i]))).to.equal(0);
      await until(() => got.length === 8);
      const back: NsUnitdataEvent[] = [];
      bss.on('unitdata', (u) => back.push(u));
      expect(sgsn.sendUnitdata(1800, 0, 0, Buffer.from('2304820000', 'hex'))).to.equal(0);
      await until(() => back.length === 1);
      // ALIVE keeps them up past tns-alive x retries (the first ALIVE of a BSS VC may reach the SGSN before the
      // SGSN built its mesh on our CONFIG-ACK: lost once, as upstream)
      await sleep(300);
      const lost = nse.nsvcs.map((v) => v.counters.lostAlive.current);
      expect(Math.max(...lost)).to.be.at.most(1);
      await sleep(700);
      expect(nse.nsvcs.every((v) => v.isUnblocked)).to.equal(true);
      expect(nse.nsvcs.map((v) => v.counters.lostAlive.current)).to.deep.equal(lost);
      expect(peerNse.nsvcs.every((v) => v.isUnblocked && v.counters.lostAlive.current === 0)).to.equal(true);
    });

    it('IPv6 endpoints on ::1', async function () {
      const sgsn = inst();
      const s1 = sgsn.bind({ address: '::1', port: 0, acceptSns: true });
      const bss = inst();
      bss.bind({ address: '::1', port: 0 });
      const nse = bss.createNse(6, { dialect: 'sns' });
      nse.addSnsEndpoint('::1', s1.local.port);
      nse.startSns();
      await until(() => nse.snsState === 'CONFIGURED' && nse.alive && sgsn.nse(6)?.alive === true, 3000, 'v6 configured');
      expect(nse.nsvcs[0]!.remote).to.deep.equal({ address: '::1', port: s1.local.port, family: 'IPv6' });
      expect(sgsn.nse(6)!.sns!.family).to.equal('IPv6');
    });

    it('local procedures: ADD, CHANGEWEIGHT, DELETE of a bind with transaction ids', async function () {
      const sgsn = inst();
      const s1 = sgsn.bind({ address: '127.0.0.1', port: 0, acceptSns: true });
      const bss = inst();
      bss.bind({ address: '127.0.0.1', port: 0 });
      const nse = bss.createNse(9, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', s1.local.port);
      nse.startSns();
      await until(() => nse.snsState === 'CONFIGURED' && sgsn.nse(9)?.alive === true);
      const snsBss = nse.sns as SnsBss;
      const b2 = bss.bind({ address: '127.0.0.1', port: 0 });
      snsBss.addBind(b2);
      await until(() => nse.nsvcs.length === 2 && sgsn.nse(9)!.nsvcs.length === 2 && nse.snsState === 'CONFIGURED', 3000, 'ADD');
      await until(() => sgsn.nse(9)!.nsvcs.every((v) => v.isUnblocked));
      snsBss.changeWeight(b2, 5, 7);
      await until(() => sgsn.nse(9)!.nsvcs.some((v) => v.sigWeight === 5 && v.dataWeight === 7) && nse.snsState === 'CONFIGURED', 3000, 'CHANGEWEIGHT');
      expect(sgsn.nse(9)!.sns!.remote.map((e) => `${e.sigWeight}/${e.dataWeight}`)).to.deep.equal(['1/1', '5/7']);
      snsBss.deleteBind(b2);
      await until(() => nse.nsvcs.length === 1 && sgsn.nse(9)!.nsvcs.length === 1 && nse.snsState === 'CONFIGURED', 3000, 'DELETE');
      expect(sgsn.nse(9)!.nsvcs[0]!.remote.port).to.equal(bss.binds[0]!.local.port);
      expect(nse.alive && sgsn.nse(9)!.alive).to.equal(true);
    });
  });

  describe('BSS role against a scripted SGSN (TC_sns_bss_*, PCU_Tests_SNS)', function () {
    let bss: NsInstance, bind: NsBind, sgsn: Peer;
    beforeEach(async function () {
      bss = inst();
      bind = bss.bind({ address: '127.0.0.1', port: 0 });
      sgsn = await Peer.open();
      open.push(sgsn);
    });

    it('TC_sns_bss_config_success: SIZE (max 8192, 1 IPv4 EP) -> CONFIG -> CONFIG from the SGSN -> CONFIG-ACK, ALIVE', async function () {
      const nse = bss.createNse(1234, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', sgsn.port);
      nse.startSns();
      expect(await sgsn.waitFor('SNS-SIZE')).to.deep.equal({ type: 'SNS-SIZE', nsei: 1234, resetFlag: true, maxNsvcs: 8192, ipv4Count: 1 });
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234 }, bind.local.port);
      const cfg = (await sgsn.waitFor('SNS-CONFIG')) as SnsConfig;
      expect(cfg).to.deep.equal({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: bind.local.port, sigWeight: 1, dataWeight: 1 }] });
      sgsn.send({ type: 'SNS-CONFIG-ACK', nsei: 1234 }, bind.local.port);
      await until(() => nse.snsState === 'BSS_CONFIG_SGSN');
      sgsn.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: sgsn.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-CONFIG-ACK')).to.deep.equal({ type: 'SNS-CONFIG-ACK', nsei: 1234 });
      await sgsn.waitFor('NS-ALIVE');
      expect(nse.snsState).to.equal('CONFIGURED');
      expect(nse.alive).to.equal(true);
      // peer SNS-ADD of an existing endpoint -> ACK cause 0x0b; ADD of a new one -> ACK and ALIVE there
      sgsn.send({ type: 'SNS-ADD', nsei: 1234, transId: 3, ipv4: [{ ip: '127.0.0.1', port: sgsn.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-ACK')).to.deep.equal({ type: 'SNS-ACK', nsei: 1234, transId: 3, cause: NsCause.PROTO_ERR_UNSPEC });
      const other = await Peer.open();
      open.push(other);
      sgsn.send({ type: 'SNS-ADD', nsei: 1234, transId: 4, ipv4: [{ ip: '127.0.0.1', port: other.port, sigWeight: 0, dataWeight: 1 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-ACK', 2)).to.deep.equal({ type: 'SNS-ACK', nsei: 1234, transId: 4 });
      await other.waitFor('NS-ALIVE');
      sgsn.send({ type: 'SNS-CHANGEWEIGHT', nsei: 1234, transId: 5, ipv4: [{ ip: '127.0.0.1', port: other.port, sigWeight: 0, dataWeight: 200 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-ACK', 3)).to.deep.equal({ type: 'SNS-ACK', nsei: 1234, transId: 5 });
      expect(nse.nsvcs.find((v) => v.remote.port === other.port)!.dataWeight).to.equal(200);
      sgsn.send({ type: 'SNS-DELETE', nsei: 1234, transId: 6, ipv4: [{ ip: '127.0.0.1', port: 9, sigWeight: 0, dataWeight: 1 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-ACK', 4)).to.deep.include({ transId: 6, cause: NsCause.UNKN_IP_EP });
      sgsn.send({ type: 'SNS-DELETE', nsei: 1234, transId: 7, ipv4: [{ ip: '127.0.0.1', port: other.port, sigWeight: 0, dataWeight: 200 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-ACK', 5)).to.deep.equal({ type: 'SNS-ACK', nsei: 1234, transId: 7, ipv4: [{ ip: '127.0.0.1', port: other.port, sigWeight: 0, dataWeight: 200 }] });
      expect(nse.nsvcs).to.have.length(1);
    });

    it('TC_sns_po_size_nack + retries: SIZE-ACK with a cause is only logged; unanswered SIZEs rotate to the next endpoint', async function () {
      const sgsn2 = await Peer.open();
      open.push(sgsn2);
      const nse = bss.createNse(1234, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', sgsn.port);
      nse.addSnsEndpoint('127.0.0.1', sgsn2.port);
      nse.startSns();
      await sgsn.waitFor('SNS-SIZE');
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234, cause: NsCause.PROTO_ERR_UNSPEC }, bind.local.port);
      await sleep(30);
      expect(nse.snsState).to.equal('BSS_SIZE');
      // 1 + tsns-size-retries (3) SIZEs to the first endpoint, then the second one gets SIZE
      await sgsn2.waitFor('SNS-SIZE', 1, 2000);
      expect(sgsn.count('SNS-SIZE')).to.equal(4);
      expect((nse.sns as SnsBss).lastFailure).to.equal('SIZE not acknowledged');
    });

    it('a malformed CONFIG-ACK: CONFIG is resent, then SIZE again; a good exchange afterwards recovers', async function () {
      const nse = bss.createNse(1234, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', sgsn.port);
      nse.startSns();
      await sgsn.waitFor('SNS-SIZE');
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234 }, bind.local.port);
      await sgsn.waitFor('SNS-CONFIG');
      sgsn.send('10 04 82 04', bind.local.port); // truncated NSEI: STATUS? no - an SNS PDU error is ignored
      await sgsn.waitFor('SNS-CONFIG', 4, 2000);
      await sgsn.waitFor('SNS-SIZE', 2, 2000);
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234 }, bind.local.port);
      await sgsn.waitFor('SNS-CONFIG', 5);
      sgsn.send({ type: 'SNS-CONFIG-ACK', nsei: 1234 }, bind.local.port);
      await until(() => nse.snsState === 'BSS_CONFIG_SGSN');
      sgsn.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: sgsn.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      await until(() => nse.snsState === 'CONFIGURED');
    });

    async function configured(): Promise<SnsBss> {
      const nse = bss.createNse(1234, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', sgsn.port);
      nse.startSns();
      await sgsn.waitFor('SNS-SIZE');
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234 }, bind.local.port);
      await sgsn.waitFor('SNS-CONFIG');
      sgsn.send({ type: 'SNS-CONFIG-ACK', nsei: 1234 }, bind.local.port);
      await until(() => nse.snsState === 'BSS_CONFIG_SGSN');
      sgsn.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: sgsn.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      await until(() => nse.snsState === 'CONFIGURED');
      return nse.sns as SnsBss;
    }

    it('TC_sns_bss_change_weight(_timeout): CHANGEWEIGHT with transaction ids; 1 + 3 unanswered -> SIZE(reset) again', async function () {
      const sns = await configured();
      sns.changeWeight(bind, 99, 99);
      const cw = (await sgsn.waitFor('SNS-CHANGEWEIGHT')) as SnsAck;
      expect(cw).to.deep.equal({ type: 'SNS-CHANGEWEIGHT', nsei: 1234, transId: 1, ipv4: [{ ip: '127.0.0.1', port: bind.local.port, sigWeight: 99, dataWeight: 99 }] });
      sgsn.send({ type: 'SNS-ACK', nsei: 1234, transId: 7 }, bind.local.port); // another id: ignored
      await sleep(30);
      expect(sns.state).to.equal('LOCAL_PROCEDURE');
      sgsn.send({ type: 'SNS-ACK', nsei: 1234, transId: 1 }, bind.local.port);
      await until(() => sns.state === 'CONFIGURED');
      sns.changeWeight(bind, 5, 5);
      expect(((await sgsn.waitFor('SNS-CHANGEWEIGHT', 2)) as SnsAck).transId).to.equal(2);
      await sgsn.waitFor('SNS-CHANGEWEIGHT', 5, 2000);
      await sgsn.waitFor('SNS-SIZE', 2, 2000);
      expect(sns.lastFailure).to.equal('SNS-CHANGEWEIGHT not acknowledged');
    });

    it('TC_sns_bss_add_change_del: procedures queued behind an unacked ADD go out in order after its ACK', async function () {
      const sns = await configured();
      const b2 = bss.bind({ address: '127.0.0.1', port: 0 });
      sns.addBind(b2);
      sns.changeWeight(b2, 3, 4);
      sns.deleteBind(b2);
      const add = (await sgsn.waitFor('SNS-ADD')) as SnsAck;
      await sleep(50);
      expect(sgsn.count('SNS-CHANGEWEIGHT') + sgsn.count('SNS-DELETE')).to.equal(0);
      sgsn.send({ type: 'SNS-ACK', nsei: 1234, transId: add.transId }, bind.local.port);
      const cw = (await sgsn.waitFor('SNS-CHANGEWEIGHT')) as SnsAck;
      expect(cw.transId).to.equal(add.transId + 1);
      sgsn.send({ type: 'SNS-ACK', nsei: 1234, transId: cw.transId }, bind.local.port);
      const del = (await sgsn.waitFor('SNS-DELETE')) as SnsAck;
      expect(del.transId).to.equal(add.transId + 2);
      expect(del.ipv4).to.deep.equal([{ ip: '127.0.0.1', port: b2.local.port, sigWeight: 3, dataWeight: 4 }]);
      sgsn.send({ type: 'SNS-ACK', nsei: 1234, transId: del.transId }, bind.local.port);
      await until(() => sns.state === 'CONFIGURED' && sns.nse.nsvcs.every((v) => v.bind === bind));
    });

    it('CONFIG with zero weights -> CONFIG-ACK cause Invalid Weights', async function () {

      const nse = bss.createNse(1234, { dialect: 'sns' });
      nse.addSnsEndpoint('127.0.0.1', sgsn.port);
      nse.startSns();
      await sgsn.waitFor('SNS-SIZE');
      sgsn.send({ type: 'SNS-SIZE-ACK', nsei: 1234 }, bind.local.port);
      await sgsn.waitFor('SNS-CONFIG');
      sgsn.send({ type: 'SNS-CONFIG-ACK', nsei: 1234 }, bind.local.port);
      await until(() => nse.snsState === 'BSS_CONFIG_SGSN');
      sgsn.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: sgsn.port, sigWeight: 0, dataWeight: 1 }] }, bind.local.port);
      expect(await sgsn.waitFor('SNS-CONFIG-ACK')).to.deep.equal({ type: 'SNS-CONFIG-ACK', nsei: 1234, cause: NsCause.INVAL_WEIGH });
      expect(nse.snsState).to.equal('UNCONFIGURED');
    });
  });

  describe('SGSN role against a scripted BSS (TC_sns_sgsn_*)', function () {
    let sgsn: NsInstance, bind: NsBind, bss: Peer;
    beforeEach(async function () {
      sgsn = inst();
      bind = sgsn.bind({ address: '127.0.0.1', port: 0, acceptSns: true });
      bss = await Peer.open();
      open.push(bss);
    });
    const size: SnsSize = { type: 'SNS-SIZE', nsei: 1234, resetFlag: true, maxNsvcs: 8, ipv4Count: 1 };

    async function configure(): Promise<void> {
      bss.send(size, bind.local.port);
      expect(await bss.waitFor('SNS-SIZE-ACK')).to.deep.equal({ type: 'SNS-SIZE-ACK', nsei: 1234 });
      bss.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: bss.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      expect(await bss.waitFor('SNS-CONFIG-ACK')).to.deep.equal({ type: 'SNS-CONFIG-ACK', nsei: 1234 });
      const n = bss.count('SNS-CONFIG');
      const cfg = (await bss.waitFor('SNS-CONFIG', n || 1)) as SnsConfig;
      expect(cfg.ipv4).to.deep.equal([{ ip: '127.0.0.1', port: bind.local.port, sigWeight: 1, dataWeight: 1 }]);
      bss.send({ type: 'SNS-CONFIG-ACK', nsei: 1234 }, bind.local.port);
      await until(() => sgsn.nse(1234)?.snsState === 'CONFIGURED');
      await bss.waitFor('NS-ALIVE');
    }

    it('TC_sns_sgsn_config_success + size_correct_port: answers come from the port the SIZE went to', async function () {
      await configure();
      expect(bss.rx.every((r) => r.from.port === bind.local.port)).to.equal(true);
      bss.send({ type: 'NS-ALIVE' }, bind.local.port);
      await bss.waitFor('NS-ALIVE-ACK');
      expect(sgsn.nse(1234)!.alive).to.equal(true);
    });

    it('TC_sns_sgsn_size_after_success: a second SIZE(reset) re-configures', async function () {
      await configure();
      bss.clear();
      await configure();
      expect(sgsn.nse(1234)!.nsvcs).to.have.length(1);
    });

    it('SIZE validation: missing IEs -> 0x0d, no IPv6 bind -> 0x0f... no v4 count -> 0x0e, too few NS-VCs -> 0x10', async function () {
      bss.send('12 04 82 04 d2 08 00 01', bind.local.port); // no reset flag, no max
      expect(await bss.waitFor('SNS-SIZE-ACK')).to.deep.equal({ type: 'SNS-SIZE-ACK', nsei: 1234, cause: NsCause.MISSING_ESSENT_IE });
      bss.send({ ...size, ipv4Count: undefined, ipv6Count: 1 } as SnsSize, bind.local.port);
      expect(await bss.waitFor('SNS-SIZE-ACK', 2)).to.deep.include({ cause: NsCause.INVAL_NR_IPv4_EP });
      bss.send({ ...size, maxNsvcs: 1, ipv4Count: 2 }, bind.local.port);
      expect(await bss.waitFor('SNS-SIZE-ACK', 3)).to.deep.include({ cause: NsCause.INVAL_NR_NS_VC });
    });

    it('a malformed CONFIG-ACK from the BSS: our CONFIG is resent (1 + 3), the dynamic NSE is freed; a new SIZE recovers', async function () {
      bss.send(size, bind.local.port);
      await bss.waitFor('SNS-SIZE-ACK');
      bss.send({ type: 'SNS-CONFIG', endFlag: true, nsei: 1234, ipv4: [{ ip: '127.0.0.1', port: bss.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      await bss.waitFor('SNS-CONFIG-ACK');
      await bss.waitFor('SNS-CONFIG');
      bss.send('10 04 82 04', bind.local.port); // NSEI cut short
      await bss.waitFor('SNS-CONFIG', 4, 2000);
      await until(() => sgsn.nse(1234) === undefined, 2000, 'dynamic NSE freed');
      expect(bss.count('NS-STATUS')).to.equal(0);
      bss.clear();
      await configure();
    });

    it('an unknown NSEI on a bind without accept-sns is dropped', async function () {
      bind.acceptSns = false;
      bss.send(size, bind.local.port);
      await sleep(100);
      expect(bss.rx).to.have.length(0);
      expect(sgsn.nse(1234)).to.equal(undefined);
    });

    it('peer SNS-ADD then SNS-DELETE by IP address (TC_sns_sgsn_add / _del)', async function () {
      await configure();
      const b2 = await Peer.open();
      open.push(b2);
      bss.send({ type: 'SNS-ADD', nsei: 1234, transId: 1, ipv4: [{ ip: '127.0.0.1', port: b2.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      expect(await bss.waitFor('SNS-ACK')).to.deep.equal({ type: 'SNS-ACK', nsei: 1234, transId: 1 });
      await b2.waitFor('NS-ALIVE');
      bss.send({ type: 'SNS-DELETE', nsei: 1234, transId: 2, ipAddress: { family: 'IPv6', address: '::1' } }, bind.local.port);
      expect(((await bss.waitFor('SNS-ACK', 2)) as SnsAck).cause).to.equal(NsCause.UNKN_IP_ADDR);
      bss.send({ type: 'SNS-DELETE', nsei: 1234, transId: 3, ipv4: [{ ip: '127.0.0.1', port: b2.port, sigWeight: 1, dataWeight: 1 }] }, bind.local.port);
      expect(((await bss.waitFor('SNS-ACK', 3)) as SnsAck).cause).to.equal(undefined);
      expect(sgsn.nse(1234)!.nsvcs).to.have.length(1);
    });
  });
});
