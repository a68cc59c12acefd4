import { expect } from 'chai';
import { IpaProto } from '@osmo/ipa';
import { OmlBringup, type BringupEvent } from '../src/oml-bringup.js';
import { decodeOml, describeOml, encodeOml, OmlMsgType, OmlObjClass, OmlAttr, encodeOmlAttrs, OmlOperState, OmlAvail, parseOmlAttrs, findAttr } from '../src/oml.js';
import { loadCapture, type CapturedFrame } from './capture.js';

const OML = IpaProto.OML;

/** Replay the BSC's OML messages into the FSM and collect what it sends, in order. */
function replay(frames: CapturedFrame[]): { sent: Buffer[]; events: BringupEvent[]; fsm: OmlBringup } {
  const fsm = new OmlBringup({ trx: 1, variant: 'osmo-bts-omldummy' });
  const sent = [...fsm.start()];
  const events: BringupEvent[] = [];
  for (const f of frames) {
    if (f.from !== 'BSC' || f.proto !== OML) continue;
    const r = fsm.handle(decodeOml(f.payload));
    sent.push(...r.replies); events.push(...r.events);
  }
  return { sent, events, fsm };
}

const names = (bufs: Buffer[]): string[] => bufs.map((b) => describeOml(decodeOml(b)));

describe('OML bring-up FSM (BTS side)', () => {
  it('sends byte for byte what osmo-bts-omldummy sent in the full captured bring-up against osmo-bsc', () => {
    const frames = loadCapture('omldummy-full-bringup.tsv');
    const { sent, events, fsm } = replay(frames);
    const expected = frames.filter((f) => f.from === 'BTS' && f.proto === OML).map((f) => f.payload);
    expect(names(sent)).to.deep.equal(names(expected));
    expect(sent.map((b) => b.toString('hex'))).to.deep.equal(expected.map((b) => b.toString('hex')));
    expect(events.filter((e) => e.type === 'rsl-connect')).to.deep.equal([{ type: 'rsl-connect', trx: 0, port: 3003, ip: null, streamId: 0 }]);
    expect(events.some((e) => e.type === 'bts-up')).to.equal(true);
    expect(fsm.isUp).to.equal(true);
    expect(events.filter((e) => e.type === 'nack' || e.type === 'ignored')).to.deep.equal([]);
  });

  it('matches the short omldummy run (omldummy-short-run.tsv) as a prefix', () => {
    const frames = loadCapture('omldummy-short-run.tsv');
    const { sent } = replay(frames);
    const expected = frames.filter((f) => f.from === 'BTS' && f.proto === OML).map((f) => f.payload.toString('hex'));
    expect(sent.map((b) => b.toString('hex')).slice(0, expected.length)).to.deep.equal(expected);
  });

  it('reports every managed object for N TRX at start', () => {
    const fsm = new OmlBringup({ trx: 4 });
    const out = fsm.start().map((b) => decodeOml(b));
    const reports = out.filter((m) => m.msgType === OmlMsgType.STATECHG_EVENT_REP);
    expect(reports).to.have.length(6 + 4 * 10);
    expect(out.filter((m) => m.msgType === OmlMsgType.SW_ACT_REP).map((m) => m.objClass)).to.deep.equal([OmlObjClass.SITE_MGR, OmlObjClass.BTS]);
    expect(fsm.isUp).to.equal(false);
  });

  it('acks Opstart and reports the object enabled', () => {
    const fsm = new OmlBringup({ trx: 2 });
    fsm.start();
    const r = fsm.handle(decodeOml(encodeOml({ msgType: OmlMsgType.OPSTART, objClass: OmlObjClass.RADIO_CARRIER, objInst: [0, 1, 0xff] })));
    const out = r.replies.map((b) => decodeOml(b));
    expect(out.map((m) => m.msgType)).to.deep.equal([OmlMsgType.OPSTART_ACK, OmlMsgType.STATECHG_EVENT_REP]);
    expect(fsm.mo(OmlObjClass.RADIO_CARRIER, [0, 1, 0xff])).to.include({ oper: OmlOperState.ENABLED, avail: OmlAvail.OK });
  });

  it('NACKs procedures for unknown objects and malformed Change Administrative State', () => {
    const fsm = new OmlBringup({ trx: 1 });
    fsm.start();
    const r = fsm.handle(decodeOml(encodeOml({ msgType: OmlMsgType.OPSTART, objClass: OmlObjClass.CHANNEL, objInst: [0, 3, 0] })));
    const nack = decodeOml(r.replies[0]!);
    expect(nack.msgType).to.equal(OmlMsgType.OPSTART_NACK);
    expect(findAttr(parseOmlAttrs(nack.attrs), OmlAttr.NACK_CAUSES)).to.deep.equal(Buffer.of(0x09));
    const r2 = fsm.handle(decodeOml(encodeOml({ msgType: OmlMsgType.CHG_ADM_STATE, objClass: OmlObjClass.BTS, objInst: [0, 0xff, 0xff], attrs: Buffer.of(0xfe) })));
    expect(decodeOml(r2.replies[0]!).msgType).to.equal(OmlMsgType.CHG_ADM_STATE_NACK);
    const r3 = fsm.handle(decodeOml(encodeOml({ msgType: OmlMsgType.SW_ACT_REP, objClass: OmlObjClass.BTS, objInst: [0, 0xff, 0xff] })));
    expect(r3.replies).to.deep.equal([]);
    expect(r3.events[0]!.type).to.equal('ignored');
  });

  it('uses the RSL Connect destination IP when given', () => {
    const fsm = new OmlBringup({ trx: 1 });
    fsm.start();
    const attrs = encodeOmlAttrs([{ tag: OmlAttr.IPACC_DST_IP, value: Buffer.of(127, 0, 0, 2) }, { tag: OmlAttr.IPACC_DST_IP_PORT, value: Buffer.of(0x1f, 0x40) }]);
    const r = fsm.handle(decodeOml(encodeOml({ manufId: 'com.ipaccess', msgType: OmlMsgType.IPACC_RSL_CONNECT, objClass: OmlObjClass.BASEB_TRANSC, objInst: [0, 0, 0xff], attrs })));
    expect(r.events).to.deep.equal([{ type: 'rsl-connect', trx: 0, port: 8000, ip: '127.0.0.2', streamId: null }]);
    const ack = decodeOml(r.replies[0]!);
    expect(ack.msgType).to.equal(OmlMsgType.IPACC_RSL_CONNECT_ACK);
    expect(ack.attrs.equals(attrs)).to.equal(true);
  });
});
