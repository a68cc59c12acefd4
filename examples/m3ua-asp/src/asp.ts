/**
 * M3uaAsp: an ASP that brings itself up against an SG/STP (RFC 4666): SCTP association -> ASPUP / ASPUP_ACK
 * -> REG_REQ for a dynamic routing key (our DPC) / REG_RSP with the routing context -> ASPAC (override, with
 * that routing context) / ASPAC_ACK -> active. Then DATA (to its own point code, so the STP routes it back)
 * and BEAT / BEAT_ACK. Management on stream 0, DATA on stream 1, PPID 3 (M3UA).
 * Every step is an 'event' ({ event, ... }) for logs and tests.
 */
import { EventEmitter } from 'node:events';
import { SctpClient, type RcvInfo, type SctpNotification } from '@osmo/sctp';
import {
  CLASS, PPID_M3UA, TAG, TRAFFIC_MODE, TYPE, decode, decodeParams, decodeProtocolData, encode, encodeParams,
  encodeProtocolData, formatPointCode, name, param, u32, type M3uaMsg,
} from './m3ua.js';

export interface AspOptions {
  stp: { address: string; port: number };
  /** our point code: the DPC of the routing key we register */
  dpc: number;
  /** heartbeat interval in ms (0: one BEAT after activation only) */
  beatMs?: number;
}

export type AspState = 'DOWN' | 'SCTP_UP' | 'ASP_INACTIVE' | 'REGISTERED' | 'ASP_ACTIVE' | 'STOPPING';

export class M3uaAsp extends EventEmitter {
  state: AspState = 'DOWN';
  routingContext = -1;
  readonly counts = { tx: 0, rx: 0, dataRx: 0, beatAcks: 0 };
  #cli: SctpClient;
  #beat: NodeJS.Timeout | null = null;
  #beatSeq = 0;

  constructor(readonly opts: AspOptions) {
    super();
    this.#cli = new SctpClient({ remote: [opts.stp], streams: { out: 2, in: 2 }, name: 'm3ua-asp', nodelay: true });
    this.#cli.on('connect', () => {
      this.state = 'SCTP_UP';
      this.#event('sctp_up', { outStreams: this.#cli.outStreams });
      this.#send({ cls: CLASS.ASPSM, type: TYPE.ASPSM.ASPUP, params: [] });
    });
    this.#cli.on('notification', (n: SctpNotification) => this.#event('sctp_notification', { notification: n.type, ...('state' in n ? { state: n.state } : {}) }));
    this.#cli.on('message', (d: Buffer, r: RcvInfo) => this.#onMessage(d, r));
    this.#cli.on('disconnect', (res: number) => {
      this.#stopBeat();
      const was = this.state;
      this.state = 'DOWN';
      this.#event('sctp_down', { res, was });
    });
  }

  start(): void { this.#cli.open(); }

  /** ASPDN, wait for the ACK (at most 1 s), close. */
  async stop(): Promise<void> {
    this.#stopBeat();
    if (this.state !== 'DOWN' && this.#cli.isConnected) {
      this.state = 'STOPPING';
      const acked = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.once('aspdn_ack', () => { clearTimeout(t); resolve(); });
      });
      this.#send({ cls: CLASS.ASPSM, type: TYPE.ASPSM.ASPDN, params: [] });
      await acked;
    }
    this.#cli.destroy();
    this.state = 'DOWN';
  }

  /** DATA with a Protocol Data parameter (stream 1). */
  sendData(dpc: number, si: number, data: Buffer): number {
    return this.#send({ cls: CLASS.XFER, type: TYPE.XFER.DATA, params: [
      { tag: TAG.ROUTING_CONTEXT, value: u32(this.routingContext) },
      { tag: TAG.PROTOCOL_DATA, value: encodeProtocolData({ opc: this.opts.dpc, dpc, si, ni: 2, mp: 0, sls: 0, data }) },
    ] }, 1);
  }

  beat(): void {
    const hb = Buffer.from(`beat ${++this.#beatSeq}`);
    this.#send({ cls: CLASS.ASPSM, type: TYPE.ASPSM.BEAT, params: [{ tag: TAG.HEARTBEAT_DATA, value: hb }] });
  }

  #event(event: string, fields: Record<string, unknown> = {}): void {
    this.emit('event', { event, state: this.state, ...fields });
  }

  #send(m: M3uaMsg, stream = 0): number {
    const rc = this.#cli.send(encode(m), { ppid: PPID_M3UA, stream });
    if (rc === 0) this.counts.tx++;
    this.#event('tx', { msg: name(m), stream, rc });
    return rc;
  }

  #stopBeat(): void { if (this.#beat) { clearInterval(this.#beat); this.#beat = null; } }

  #onMessage(d: Buffer, r: RcvInfo): void {
    this.counts.rx++;
    let m: M3uaMsg;
    try {
      m = decode(d);
    } catch (e) {
      this.#event('rx_error', { error: (e as Error).message, ppid: r.ppid });
      return;
    }
    this.#event('rx', { msg: name(m), stream: r.stream, ppid: r.ppid });
    const rc = param(m, TAG.ROUTING_CONTEXT);
    switch (`${m.cls}/${m.type}`) {
      case `${CLASS.ASPSM}/${TYPE.ASPSM.ASPUP_ACK}`:
        this.state = 'ASP_INACTIVE';
        this.#event('asp_up');
        // a routing key for our point code: the STP allocates a routing context for it
        this.#send({ cls: CLASS.RKM, type: TYPE.RKM.REG_REQ, params: [{ tag: TAG.ROUTING_KEY, value: encodeParams([
          { tag: TAG.LOCAL_RK_ID, value: u32(1) },
          { tag: TAG.TRAFFIC_MODE_TYPE, value: u32(TRAFFIC_MODE.OVERRIDE) },
          { tag: TAG.DPC, value: u32(this.opts.dpc) },
        ]) }] });
        break;
      case `${CLASS.RKM}/${TYPE.RKM.REG_RSP}`: {
        const res = param(m, TAG.REG_RESULT);
        const inner = res ? decodeParams(res) : [];
        const status = param(inner, TAG.REG_STATUS)?.readUInt32BE(0) ?? -1;
        const ctx = param(inner, TAG.ROUTING_CONTEXT)?.readUInt32BE(0) ?? -1;
        this.#event('registered', { status, routingContext: ctx, dpc: formatPointCode(this.opts.dpc) });
        if (status !== 0 || ctx < 0) break;
        this.routingContext = ctx;
        this.state = 'REGISTERED';
        this.#send({ cls: CLASS.ASPTM, type: TYPE.ASPTM.ASPAC, params: [
          { tag: TAG.TRAFFIC_MODE_TYPE, value: u32(TRAFFIC_MODE.OVERRIDE) },
          { tag: TAG.ROUTING_CONTEXT, value: u32(ctx) },
        ] });
        break;
      }
      case `${CLASS.ASPTM}/${TYPE.ASPTM.ASPAC_ACK}`:
        this.state = 'ASP_ACTIVE';
        this.#event('asp_active', { routingContext: rc?.readUInt32BE(0) ?? this.routingContext });
        this.sendData(this.opts.dpc, 3 /* SCCP */, Buffer.from('m3ua-asp hello'));
        this.beat();
        if (this.opts.beatMs) this.#beat = setInterval(() => this.beat(), this.opts.beatMs);
        break;
      case `${CLASS.MGMT}/${TYPE.MGMT.NTFY}`: {
        const st = param(m, TAG.STATUS);
        const info = st ? st.readUInt16BE(2) : -1;
        this.#event('ntfy', { status: ['?', '?', 'AS_INACTIVE', 'AS_ACTIVE', 'AS_PENDING'][info] ?? `status ${info}` });
        break;
      }
      case `${CLASS.MGMT}/${TYPE.MGMT.ERR}`:
        this.#event('err', { code: param(m, TAG.ERROR_CODE)?.readUInt32BE(0) });
        break;
      case `${CLASS.ASPSM}/${TYPE.ASPSM.BEAT}`:
        this.#send({ cls: CLASS.ASPSM, type: TYPE.ASPSM.BEAT_ACK, params: m.params });
        break;
      case `${CLASS.ASPSM}/${TYPE.ASPSM.BEAT_ACK}`:
        this.counts.beatAcks++;
        this.#event('beat_ack', { data: param(m, TAG.HEARTBEAT_DATA)?.toString() });
        break;
      case `${CLASS.ASPSM}/${TYPE.ASPSM.ASPDN_ACK}`:
        this.emit('aspdn_ack');
        break;
      case `${CLASS.XFER}/${TYPE.XFER.DATA}`: {
        this.counts.dataRx++;
        const pd = param(m, TAG.PROTOCOL_DATA);
        const p = pd ? decodeProtocolData(pd) : null;
        this.#event('data', p ? { opc: formatPointCode(p.opc), dpc: formatPointCode(p.dpc), si: p.si, data: p.data.toString() } : {});
        break;
      }
    }
  }
}
