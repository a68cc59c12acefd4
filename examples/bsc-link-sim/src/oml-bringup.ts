/**
 * BTS-side OML bring-up, as pure logic (no I/O): one state record per managed object (MO), reacting to what the
 * BSC sends the way osmo-bts(-omldummy) does:
 *  - at link-up: Software Activated Report + State Changed Event Report for the Site Manager and the BTS, and state
 *    reports for the GPRS objects and every TRX's Radio Carrier, Baseband Transceiver and 8 Radio Channels;
 *  - Set BTS Attributes (first time): software-activate every TRX object (reports), then ACK;
 *  - Set Radio Carrier / Channel Attributes, ip.access Set NV Attributes: ACK echoing the attributes;
 *  - Change Administrative State: ACK, then a state report with the new administrative state;
 *  - Opstart: ACK, then the MO reports Enabled/OK; an enabled Baseband Transceiver moves its channels from
 *    "Dependency" to "Off line";
 *  - Get Attributes: Get Attributes Response (features and software description, not-reported list for the rest);
 *  - ip.access RSL Connect: ACK (with the destination IP) and an 'rsl-connect' event for the owner to open RSL;
 *  - anything addressed to an unknown object: NACK "object instance unknown".
 */
import { OmlAttr, OmlAdmState, OmlAvail, OmlMdisc, OmlMsgType, OmlObjClass, OmlOperState, encodeOml, encodeOmlAttrs, findAttr, isAckableRequest, parseOmlAttrs, stateAttrs, type ObjInst, type OmlAttrIe, type OmlMessage } from './oml.js';
import { OmlDecodeError, SimRangeError } from './errors.js';

export const TS_PER_TRX = 8;
/** NACK cause "object instance unknown" (TS 12.21 §9.4.36). */
export const NACK_OBJ_INST_UNKNOWN = 0x09;
/** NACK cause "message cannot be performed" (TS 12.21 §9.4.36). */
export const NACK_CANT_PERFORM = 0x11;

/** The feature bitmap and software description osmo-bts-omldummy 1.5.0 reports in its Get Attributes Response. */
export const DEFAULT_FEATURES = Buffer.of(0x08, 0x83, 0xae);

export interface MoState {
  objClass: number;
  inst: ObjInst;
  oper: number;
  avail: number;
  adm: number;
  swActivated: boolean;
}

export type BringupEvent =
  | { type: 'rsl-connect'; trx: number; port: number; ip: string | null; streamId: number | null }
  | { type: 'enabled'; objClass: number; inst: ObjInst }
  | { type: 'bts-up' }                       // SM, BTS and every TRX's RC, BB and channels are enabled
  | { type: 'nack'; msgType: number; objClass: number; inst: ObjInst; cause: number }
  | { type: 'ignored'; msgType: number; objClass: number; inst: ObjInst };

export interface BringupResult { replies: Buffer[]; events: BringupEvent[] }

export interface OmlBringupOptions {
  trx: number;
  /** IPv4 address of the OML peer: the default RSL destination when RSL Connect carries none. */
  omlPeerIp?: string;
  features?: Buffer;
  swName?: string;
  swVersion?: string;
  variant?: string;
}

const key = (c: number, i: ObjInst): string => `${c}:${i[0]}:${i[1]}:${i[2]}`;

export class OmlBringup {
  private readonly mos = new Map<string, MoState>();
  private trxActivated = false;
  private upReported = false;
  readonly opts: Required<OmlBringupOptions>;

  constructor(opts: OmlBringupOptions) {
    if (!Number.isInteger(opts.trx) || opts.trx < 1 || opts.trx > 255) throw new SimRangeError(`trx count out of range: ${opts.trx}`);
    this.opts = {
      omlPeerIp: '127.0.0.1', features: DEFAULT_FEATURES, swName: 'osmobts', swVersion: '1.5.0',
      variant: 'bsc-link-sim', ...opts,
    };
    const F = 0xff;
    this.add(OmlObjClass.SITE_MGR, [F, F, F], OmlAvail.OFF_LINE);
    this.add(OmlObjClass.BTS, [0, F, F], OmlAvail.OFF_LINE);
    this.add(OmlObjClass.GPRS_NSE, [0, F, F], OmlAvail.DEPENDENCY);
    this.add(OmlObjClass.GPRS_CELL, [0, F, F], OmlAvail.DEPENDENCY);
    this.add(OmlObjClass.GPRS_NSVC, [0, 0, F], OmlAvail.DEPENDENCY);
    this.add(OmlObjClass.GPRS_NSVC, [0, 1, F], OmlAvail.OFF_LINE);
    for (let t = 0; t < opts.trx; t++) {
      this.add(OmlObjClass.RADIO_CARRIER, [0, t, F], OmlAvail.POWER_OFF);
      this.add(OmlObjClass.BASEB_TRANSC, [0, t, F], OmlAvail.POWER_OFF);
      for (let ts = 0; ts < TS_PER_TRX; ts++) this.add(OmlObjClass.CHANNEL, [0, t, ts], OmlAvail.POWER_OFF);
    }
  }

  private add(objClass: number, inst: ObjInst, avail: number): void {
    this.mos.set(key(objClass, inst), {
      objClass, inst, oper: OmlOperState.DISABLED, avail, adm: OmlAdmState.LOCKED, swActivated: false,
    });
  }

  mo(objClass: number, inst: ObjInst): Readonly<MoState> | undefined { return this.mos.get(key(objClass, inst)); }
  get objects(): readonly Readonly<MoState>[] { return [...this.mos.values()]; }

  /** True once the Site Manager, the BTS and every TRX object are enabled. */
  get isUp(): boolean {
    for (const m of this.mos.values()) {
      if (m.objClass >= 0xf0) continue;   // GPRS objects stay disabled with gprs mode none
      if (m.oper !== OmlOperState.ENABLED) return false;
    }
    return true;
  }

  private sw(m: MoState): Buffer {
    m.swActivated = true;
    return encodeOml({ msgType: OmlMsgType.SW_ACT_REP, objClass: m.objClass, objInst: m.inst });
  }

  private state(m: MoState): Buffer {
    return encodeOml({
      msgType: OmlMsgType.STATECHG_EVENT_REP, objClass: m.objClass, objInst: m.inst,
      attrs: stateAttrs(m.oper, m.avail, m.adm),
    });
  }

  /** The reports sent right after the OML link is up (ID handshake done). Resets every MO. */
  start(): Buffer[] {
    const out: Buffer[] = [];
    for (const m of this.mos.values()) {
      m.oper = OmlOperState.DISABLED; m.adm = OmlAdmState.LOCKED; m.swActivated = false;
    }
    this.trxActivated = false; this.upReported = false;
    for (const m of this.mos.values()) {
      switch (m.objClass) {
        case OmlObjClass.SITE_MGR: case OmlObjClass.BTS:
          m.avail = OmlAvail.OFF_LINE; out.push(this.sw(m), this.state(m)); break;
        case OmlObjClass.GPRS_NSVC:
          m.avail = m.inst[1] === 0 ? OmlAvail.DEPENDENCY : OmlAvail.OFF_LINE; out.push(this.state(m)); break;
        case OmlObjClass.GPRS_NSE: case OmlObjClass.GPRS_CELL:
          m.avail = OmlAvail.DEPENDENCY; out.push(this.state(m)); break;
        default:
          m.avail = OmlAvail.POWER_OFF; out.push(this.state(m)); break;
      }
    }
    return out;
  }

  private reply(req: OmlMessage, msgType: number, attrs: Buffer = req.attrs): Buffer {
    const m: Parameters<typeof encodeOml>[0] = {
      mdisc: req.mdisc, msgType, objClass: req.objClass, objInst: req.objInst, attrs,
    };
    if (req.mdisc === OmlMdisc.MANUF) m.manufId = req.manufId ?? 'com.ipaccess';
    return encodeOml(m);
  }

  private nack(req: OmlMessage, cause: number, res: BringupResult): void {
    res.replies.push(this.reply(req, req.msgType + 2, encodeOmlAttrs([{ tag: OmlAttr.NACK_CAUSES, value: Buffer.of(cause) }])));
    res.events.push({ type: 'nack', msgType: req.msgType, objClass: req.objClass, inst: req.objInst, cause });
  }

  private enable(m: MoState, res: BringupResult): void {
    m.oper = OmlOperState.ENABLED; m.avail = OmlAvail.OK;
    res.replies.push(this.state(m));
    res.events.push({ type: 'enabled', objClass: m.objClass, inst: m.inst });
    if (m.objClass === OmlObjClass.BASEB_TRANSC) {
      for (let ts = 0; ts < TS_PER_TRX; ts++) {
        const ch = this.mos.get(key(OmlObjClass.CHANNEL, [0, m.inst[1], ts]));
        if (ch && ch.oper === OmlOperState.DISABLED && ch.avail === OmlAvail.DEPENDENCY) {
          ch.avail = OmlAvail.OFF_LINE; res.replies.push(this.state(ch));
        }
      }
    }
    if (!this.upReported && this.isUp) { this.upReported = true; res.events.push({ type: 'bts-up' }); }
  }

  private activateTrxObjects(res: BringupResult): void {
    if (this.trxActivated) return;
    this.trxActivated = true;
    for (const m of this.mos.values()) {
      if (m.objClass === OmlObjClass.RADIO_CARRIER || m.objClass === OmlObjClass.BASEB_TRANSC) m.avail = OmlAvail.OFF_LINE;
      else if (m.objClass === OmlObjClass.CHANNEL) m.avail = OmlAvail.DEPENDENCY;
      else continue;
      res.replies.push(this.sw(m), this.state(m));
    }
  }

  private getAttrResponse(m: MoState, req: OmlMessage): Buffer {
    let wanted: number[] = [];
    try {
      const list = findAttr(parseOmlAttrs(req.attrs), OmlAttr.LIST_REQ_ATTR);
      wanted = list ? [...list] : [];
    } catch { wanted = []; }
    const sw = (name: string, version: string): Buffer => Buffer.concat([
      Buffer.of(OmlAttr.SW_DESCR),
      encodeOmlAttrs([{ tag: OmlAttr.FILE_ID, value: Buffer.from(name) }, { tag: OmlAttr.FILE_VERSION, value: Buffer.from(version) }]),
    ]);
    const have = new Map<number, Buffer>();
    if (m.objClass === OmlObjClass.BTS) {
      have.set(OmlAttr.MANUF_ID, this.opts.features);
      have.set(OmlAttr.SW_CONFIG, Buffer.concat([sw(this.opts.swName, this.opts.swVersion), sw('BTS_TYPE_VARIANT', this.opts.variant)]));
    } else if (m.objClass === OmlObjClass.BASEB_TRANSC) {
      have.set(OmlAttr.SW_CONFIG, sw('TRX_PHY_VERSION', 'Unknown'));
    }
    const missing = wanted.filter((t) => !have.has(t));
    const present: OmlAttrIe[] = wanted.filter((t) => have.has(t)).map((t) => ({ tag: t, value: have.get(t)! }));
    const ari = Buffer.concat([Buffer.of(missing.length, ...missing), encodeOmlAttrs(present)]);
    return encodeOmlAttrs([{ tag: OmlAttr.GET_ARI, value: ari }]);
  }

  /** React to one OML message from the BSC. */
  handle(req: OmlMessage): BringupResult {
    const res: BringupResult = { replies: [], events: [] };
    const m = this.mos.get(key(req.objClass, req.objInst));
    const t = req.msgType;
    if (!m) {
      if (isAckableRequest(t) || t === OmlMsgType.GET_ATTR) this.nack(req, NACK_OBJ_INST_UNKNOWN, res);
      else res.events.push({ type: 'ignored', msgType: t, objClass: req.objClass, inst: req.objInst });
      return res;
    }
    switch (t) {
      case OmlMsgType.OPSTART:
        res.replies.push(this.reply(req, OmlMsgType.OPSTART_ACK));
        this.enable(m, res);
        break;
      case OmlMsgType.CHG_ADM_STATE: {
        let adm: number | undefined;
        try { adm = findAttr(parseOmlAttrs(req.attrs), OmlAttr.ADM_STATE)?.[0]; } catch (e) {
          if (!(e instanceof OmlDecodeError)) throw e;
        }
        if (adm === undefined) { this.nack(req, NACK_CANT_PERFORM, res); break; }
        res.replies.push(this.reply(req, OmlMsgType.CHG_ADM_STATE_ACK));
        m.adm = adm;
        res.replies.push(this.state(m));
        break;
      }
      case OmlMsgType.SET_BTS_ATTR:
        this.activateTrxObjects(res);
        res.replies.push(this.reply(req, OmlMsgType.SET_BTS_ATTR_ACK));
        break;
      case OmlMsgType.SET_RADIO_ATTR: case OmlMsgType.SET_CHAN_ATTR: case OmlMsgType.IPACC_SET_NVATTR:
        res.replies.push(this.reply(req, t + 1));
        break;
      case OmlMsgType.GET_ATTR:
        res.replies.push(this.reply(req, OmlMsgType.GET_ATTR_RESP, this.getAttrResponse(m, req)));
        break;
      case OmlMsgType.IPACC_RSL_CONNECT: {
        let ies: OmlAttrIe[];
        try { ies = parseOmlAttrs(req.attrs); } catch (e) {
          if (!(e instanceof OmlDecodeError)) throw e;
          this.nack(req, NACK_CANT_PERFORM, res); break;
        }
        const portB = findAttr(ies, OmlAttr.IPACC_DST_IP_PORT);
        const ipB = findAttr(ies, OmlAttr.IPACC_DST_IP);
        const sid = findAttr(ies, OmlAttr.IPACC_STREAM_ID);
        const port = portB ? portB.readUInt16BE(0) : 3003;
        const ip = ipB ? [...ipB].join('.') : null;
        const ackIp = ipB ?? Buffer.from(this.opts.omlPeerIp.split('.').map((x) => Number(x) & 0xff));
        const ackAttrs = ipB ? req.attrs : Buffer.concat([req.attrs, encodeOmlAttrs([{ tag: OmlAttr.IPACC_DST_IP, value: ackIp }])]);
        res.replies.push(this.reply(req, OmlMsgType.IPACC_RSL_CONNECT_ACK, ackAttrs));
        res.events.push({ type: 'rsl-connect', trx: req.objInst[1], port, ip, streamId: sid ? sid[0]! : null });
        break;
      }
      default:
        if (isAckableRequest(t)) this.nack(req, NACK_CANT_PERFORM, res);
        else res.events.push({ type: 'ignored', msgType: t, objClass: req.objClass, inst: req.objInst });
    }
    return res;
  }
}
