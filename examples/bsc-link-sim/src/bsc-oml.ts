/**
 * BSC-side OML driver, pure logic: the minimal procedure set that takes a BTS through bring-up, in the order
 * osmo-bsc uses — Opstart the Site Manager, Set BTS Attributes, unlock and configure each TRX (Set Radio Carrier
 * Attributes, Set Channel Attributes), Opstart every object that reports Disabled/Off line/Unlocked, and send the
 * ip.access RSL Connect once a Baseband Transceiver is enabled.
 */
import {
  OmlAttr, OmlAdmState, OmlAvail, OmlMsgType, OmlObjClass, OmlOperState, encodeOml, encodeOmlAttrs, parseStateAttrs,
  type ObjInst, type OmlMessage,
} from './oml.js';
import { TS_PER_TRX } from './oml-bringup.js';
import { OmlDecodeError } from './errors.js';

export interface BscOmlOptions { rslPort: number; arfcn?: number; bsic?: number }

export type BscOmlEvent =
  | { type: 'rsl-connect-acked'; trx: number }
  | { type: 'nack'; msgType: number; objClass: number; inst: ObjInst }
  | { type: 'bad-attrs'; msg: OmlMessage; error: OmlDecodeError };

const k = (c: number, i: ObjInst): string => `${c}:${i.join(':')}`;

export class BscOml {
  private readonly opstarted = new Set<string>();
  private readonly enabled = new Set<string>();
  private readonly trxs = new Set<number>();
  private smOpstarted = false;
  private btsAttrSent = false;
  private readonly rslConnectSent = new Set<number>();
  readonly rslConnected = new Set<number>();
  constructor(private readonly o: BscOmlOptions) {}

  get trxCount(): number { return this.trxs.size; }
  get enabledCount(): number { return this.enabled.size; }

  private msg(msgType: number, objClass: number, inst: ObjInst, attrs?: Buffer, manuf = false): Buffer {
    return encodeOml({ msgType, objClass, objInst: inst, ...(attrs ? { attrs } : {}), ...(manuf ? { manufId: 'com.ipaccess' } : {}) });
  }
  private unlock(objClass: number, inst: ObjInst): Buffer {
    return this.msg(OmlMsgType.CHG_ADM_STATE, objClass, inst, encodeOmlAttrs([{ tag: OmlAttr.ADM_STATE, value: Buffer.of(OmlAdmState.UNLOCKED) }]));
  }

  handle(m: OmlMessage): { replies: Buffer[]; events: BscOmlEvent[] } {
    const out: Buffer[] = [], events: BscOmlEvent[] = [];
    const F = 0xff;
    switch (m.msgType) {
      case OmlMsgType.SW_ACT_REP:
        if (m.objClass === OmlObjClass.RADIO_CARRIER) this.trxs.add(m.objInst[1]);
        break;
      case OmlMsgType.STATECHG_EVENT_REP: {
        let st;
        try { st = parseStateAttrs(m.attrs); } catch (e) {
          if (e instanceof OmlDecodeError) { events.push({ type: 'bad-attrs', msg: m, error: e }); break; }
          throw e;
        }
        const id = k(m.objClass, m.objInst);
        if (st.oper === OmlOperState.ENABLED) this.enabled.add(id); else this.enabled.delete(id);
        if (m.objClass === OmlObjClass.SITE_MGR) {
          if (st.oper === OmlOperState.DISABLED && st.avail === OmlAvail.OFF_LINE && !this.smOpstarted) {
            this.smOpstarted = true; out.push(this.msg(OmlMsgType.OPSTART, m.objClass, m.objInst));
          } else if (st.oper === OmlOperState.ENABLED && !this.btsAttrSent) {
            this.btsAttrSent = true;
            const a = Buffer.alloc(2); a.writeUInt16BE(this.o.arfcn ?? 868);
            out.push(this.msg(OmlMsgType.SET_BTS_ATTR, OmlObjClass.BTS, [0, F, F], encodeOmlAttrs([
              { tag: OmlAttr.BCCH_ARFCN, value: a }, { tag: OmlAttr.BSIC, value: Buffer.of(this.o.bsic ?? 0x3f) },
            ])));
          }
          break;
        }
        if (m.objClass === OmlObjClass.BASEB_TRANSC && st.oper === OmlOperState.ENABLED && !this.rslConnectSent.has(m.objInst[1])) {
          this.rslConnectSent.add(m.objInst[1]);
          const p = Buffer.alloc(2); p.writeUInt16BE(this.o.rslPort);
          out.push(this.msg(OmlMsgType.IPACC_RSL_CONNECT, OmlObjClass.BASEB_TRANSC, m.objInst, encodeOmlAttrs([
            { tag: OmlAttr.IPACC_STREAM_ID, value: Buffer.of(0) }, { tag: OmlAttr.IPACC_DST_IP_PORT, value: p },
          ]), true));
        }
        const opstartable = m.objClass === OmlObjClass.BTS || m.objClass === OmlObjClass.RADIO_CARRIER ||
          m.objClass === OmlObjClass.BASEB_TRANSC || m.objClass === OmlObjClass.CHANNEL;
        if (opstartable && st.oper === OmlOperState.DISABLED && st.avail === OmlAvail.OFF_LINE &&
            st.adm === OmlAdmState.UNLOCKED && !this.opstarted.has(id)) {
          this.opstarted.add(id); out.push(this.msg(OmlMsgType.OPSTART, m.objClass, m.objInst));
        }
        break;
      }
      case OmlMsgType.SET_BTS_ATTR_ACK:
        out.push(this.unlock(OmlObjClass.BTS, [0, F, F]));
        for (const t of [...this.trxs].sort((a, b) => a - b)) {
          const arfcn = Buffer.alloc(2); arfcn.writeUInt16BE(this.o.arfcn ?? 868);
          out.push(this.msg(OmlMsgType.SET_RADIO_ATTR, OmlObjClass.RADIO_CARRIER, [0, t, F], encodeOmlAttrs([
            { tag: OmlAttr.RF_MAXPOWR_R, value: Buffer.of(0) }, { tag: OmlAttr.ARFCN_LIST, value: arfcn },
          ])));
        }
        break;
      case OmlMsgType.SET_RADIO_ATTR_ACK: {
        const t = m.objInst[1];
        out.push(this.unlock(OmlObjClass.RADIO_CARRIER, [0, t, F]), this.unlock(OmlObjClass.BASEB_TRANSC, [0, t, F]));
        for (let ts = 0; ts < TS_PER_TRX; ts++) {
          const comb = ts === 0 ? 0x05 : ts === 1 ? 0x03 : 0x00;   // CCCH+SDCCH4, SDCCH8, TCH/F
          out.push(this.msg(OmlMsgType.SET_CHAN_ATTR, OmlObjClass.CHANNEL, [0, t, ts], encodeOmlAttrs([
            { tag: OmlAttr.CHAN_COMB, value: Buffer.of(comb) }, { tag: OmlAttr.TSC, value: Buffer.of(7) },
          ])));
        }
        break;
      }
      case OmlMsgType.SET_CHAN_ATTR_ACK:
        out.push(this.unlock(OmlObjClass.CHANNEL, m.objInst));
        break;
      case OmlMsgType.IPACC_RSL_CONNECT_ACK:
        this.rslConnected.add(m.objInst[1]);
        events.push({ type: 'rsl-connect-acked', trx: m.objInst[1] });
        break;
      default:
        if ([OmlMsgType.OPSTART_NACK, OmlMsgType.SET_BTS_ATTR_NACK, OmlMsgType.SET_RADIO_ATTR_NACK, OmlMsgType.SET_CHAN_ATTR_NACK,
          OmlMsgType.CHG_ADM_STATE_NACK, OmlMsgType.IPACC_RSL_CONNECT_NACK].includes(m.msgType as never)) {
          events.push({ type: 'nack', msgType: m.msgType, objClass: m.objClass, inst: m.objInst });
        }
    }
    return { replies: out, events };
  }
}
