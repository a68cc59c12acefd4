/**
 * The NS instance (gprs_ns2_inst): binds, NSEs, timers, the unknown-peer rules of a UDP bind
 * (gprs_ns2_udp.c handle_nsip_recvfrom + ns2_create_vc), unitdata in and out, and the events.
 */
import { EventEmitter } from 'node:events';
import { defaultRegistry, type CtrlRegistry } from '@osmo/ctrl';
import { errno as E, type InetAddr } from '@osmo/io';
import { NsCause, NsPduType } from './constants.js';
import { encodeNs, encodeUnitdata, tryDecodeNs, type NsPdu } from './codec.js';
import { NsDecodeError, NsError, validateRange } from './errors.js';
import { NsBind, inetAddr, type NsBindOptions, type NsTransportFactory } from './bind.js';
import { Nse, type NseOptions } from './nse.js';
import { nsTimers, type NsTimerName, type NsTimers } from './timers.js';
import type { NsVc, NsvcState } from './nsvc.js';
import { SnsBss, SnsSgsn, type SnsState } from './sns.js';

export interface NsInstanceOptions {
  /** timer overrides by upstream name, seconds (fractions allowed) */
  timers?: Partial<Record<NsTimerName, number>>;
  /** where the rate counters are registered (default: @osmo/ctrl's defaultRegistry) */
  registry?: CtrlRegistry;
}

export interface NsUnitdataEvent {
  nsei: number;
  bvci: number;
  /** SDU control octet (bit0: request change of endpoint) */
  sduControl: number;
  /** the BSSGP PDU; a view into the received datagram that the application owns */
  sdu: Buffer;
  nsvc: NsVc;
}

/** STATUS.ind of gprs_ns2 (enum gprs_ns2_affecting_cause) */
export type NsStatusCause = 'VC_FAILURE' | 'VC_RECOVERY' | 'FAILURE' | 'RECOVERY' | 'SNS_CONFIGURED' | 'SNS_FAILURE'
  | 'SNS_NO_ENDPOINTS' | 'MTU_CHANGE';
export interface NsStatusEvent {
  nsei: number;
  cause: NsStatusCause;
  nsvc: NsVc | null;
  /** sum of the capabilities of the distinct binds with an unblocked NS-VC */
  transferCapability: number;
  /** what the NS user may put into one SDU: the NSE MTU minus the 4-octet UNITDATA header (0 when below) */
  mtu: number;
}

export interface NsInstanceEvents {
  unitdata: [NsUnitdataEvent];
  status: [NsStatusEvent];
  nsvc: [NsVc, NsvcState];
  nse: [Nse];
  sns: [Nse, SnsState];
  mtu: [Nse];
}

export class NsInstance extends EventEmitter<NsInstanceEvents> {
  readonly registry: CtrlRegistry;
  readonly timers: NsTimers;
  readonly binds: NsBind[] = [];
  readonly nses = new Map<number, Nse>();
  private readonly byNsvci = new Map<number, NsVc>();
  private vcIdx = 0;
  private hasUnitdataListener = false;

  constructor(o: NsInstanceOptions = {}) {
    super();
    this.registry = o.registry ?? defaultRegistry;
    this.timers = nsTimers(o.timers);
    (this as EventEmitter).on('newListener', (ev: string) => { if (ev === 'unitdata') this.hasUnitdataListener = true; });
  }

  /** a timer's value (VTY `timer NAME`) */
  timer(name: NsTimerName): number { return this.timers[name]; }
  setTimer(name: NsTimerName, v: number): void { Object.assign(this.timers, nsTimers({ ...this.timers, [name]: v })); }

  /** open a UDP bind */
  bind(o: NsBindOptions, transport?: NsTransportFactory): NsBind {
    const b = new NsBind(this, o, transport);
    this.binds.push(b);
    return b;
  }

  /** create an NSE (gprs_ns2_create_nse); throws NsError (a RangeError) if the NSEI is out of range or exists */
  createNse(nsei: number, o: NseOptions): Nse {
    validateRange(nsei, 'nsei', 0, 0xffff);
    if (this.nses.has(nsei)) throw new NsError('ERR_NS_NSE_EXISTS', `NSE ${nsei} exists`);
    const nse = new Nse(this, nsei, o);
    this.nses.set(nsei, nse);
    if (o.dialect === 'sns') nse.sns = (o.role ?? 'bss') === 'sgsn' ? new SnsSgsn(nse) : new SnsBss(nse);
    return nse;
  }
  nse(nsei: number): Nse | undefined { return this.nses.get(nsei); }
  freeNse(nse: Nse): void {
    if (this.nses.get(nse.nsei) !== nse) return;
    this.nses.delete(nse.nsei);
    nse.free();
  }

  /** convenience: a static NS-VC to IP:PORT for an existing NSE (gprs_ns2_ip_connect) */
  connect(nse: Nse, bind: NsBind, address: string, port: number, o: { nsvci?: number; sigWeight?: number; dataWeight?: number } = {}): NsVc {
    return nse.addNsvc(bind, inetAddr(address, port), o);
  }

  nsvcByNsvci(nsvci: number): NsVc | undefined { return this.byNsvci.get(nsvci); }

  /**
   * Send one BSSGP PDU (gprs_ns2_recv_prim UNIT_DATA.req): 0, -ENOENT (no such NSE), -ENETDOWN (the NSE is not
   * alive), -EMSGSIZE (larger than the NSE's MTU), or the bind's -errno (e.g. -ENOSPC).
   */
  sendUnitdata(nsei: number, bvci: number, lsp: number, sdu: Buffer): number {
    const nse = this.nses.get(nsei);
    if (!nse) return -E.ENOENT;
    if (!nse.alive) return -E.ENETDOWN;
    if (sdu.length + 4 > nse.mtu) return -E.EMSGSIZE;
    const vc = nse.select(bvci, lsp);
    if (!vc) return -E.ENETDOWN;
    const rc = vc.send(encodeUnitdata(bvci, sdu));
    if (rc >= 0) { nse.counters.pktsOut.add(); nse.counters.bytesOut.add(sdu.length + 4); }
    return rc;
  }

  close(): void {
    for (const nse of [...this.nses.values()]) this.freeNse(nse);
    for (const b of this.binds) b.close();
    this.binds.length = 0;
  }

  // -------------------------------------------------------------------------------------------------------------
  // internal plumbing

  /** @internal */
  allocVcIdx(): number { return this.vcIdx++; }
  /** @internal */
  vcAdded(vc: NsVc): void { if (vc.nsvci !== undefined) this.byNsvci.set(vc.nsvci, vc); }
  /** @internal */
  vcRemoved(vc: NsVc): void { if (vc.nsvci !== undefined && this.byNsvci.get(vc.nsvci) === vc) this.byNsvci.delete(vc.nsvci); }
  /** @internal */
  emitNsvc(vc: NsVc, old: NsvcState): void {
    this.emit('nsvc', vc, old);
    if (vc.state === 'UNBLOCKED') this.emitStatus(vc.nse, 'VC_RECOVERY', vc);
    else if (old === 'UNBLOCKED') this.emitStatus(vc.nse, 'VC_FAILURE', vc);
  }
  /** @internal */
  emitNse(nse: Nse): void {
    this.emit('nse', nse);
    this.emitStatus(nse, nse.alive ? 'RECOVERY' : 'FAILURE', null);
  }
  /** @internal */
  emitMtu(nse: Nse): void {
    this.emit('mtu', nse);
    this.emitStatus(nse, 'MTU_CHANGE', null);
  }
  /** @internal */
  emitSns(nse: Nse, st: SnsState): void {
    this.emit('sns', nse, st);
    if (st === 'CONFIGURED') this.emitStatus(nse, 'SNS_CONFIGURED', null);
  }
  /** @internal STATUS.ind */
  emitStatus(nse: Nse, cause: NsStatusCause, nsvc: NsVc | null): void {
    if (this.listenerCount('status') === 0) return;
    this.emit('status', { nsei: nse.nsei, cause, nsvc, transferCapability: nse.transferCapability, mtu: Math.max(0, nse.mtu - 4) });
  }

  /** @internal UNIT_DATA.ind */
  deliverUnitdata(vc: NsVc, msg: Buffer): void {
    if (!this.hasUnitdataListener) return;
    this.emit('unitdata', { nsei: vc.nse.nsei, bvci: (msg[2]! << 8) | msg[3]!, sduControl: msg[1]!, sdu: msg.subarray(4), nsvc: vc });
  }

  /** reply from a bind to a peer that has no NS-VC */
  private reject(bind: NsBind, from: InetAddr, cause: number, offending: Buffer | null): void {
    const pdu: NsPdu = { type: 'NS-STATUS', cause };
    if (offending) pdu.pdu = offending.subarray(0, Math.min(offending.length, bind.mtu - 16));
    bind.sendto(encodeNs(pdu), from);
  }

  /** @internal a datagram from a remote address without an NS-VC on this bind (§ 2.5) */
  rxUnknownPeer(bind: NsBind, msg: Buffer, from: InetAddr): void {
    if (msg.length === 0) return;
    const t = msg[0]!;
    // silently ignored from unknown peers
    if (t === NsPduType.STATUS || t === NsPduType.ALIVE_ACK || t === NsPduType.RESET_ACK) return;
    if (t === NsPduType.SNS_SIZE) { this.rxUnknownSize(bind, msg, from); return; }
    if (t !== NsPduType.RESET || !bind.acceptIpaccess) { this.reject(bind, from, NsCause.PDU_INCOMP_PSTATE, msg); return; }
    const pdu = tryDecodeNs(msg);
    if (pdu instanceof NsDecodeError) {
      this.reject(bind, from, pdu.nsCause, msg);
      return;
    }
    if (pdu.type !== 'NS-RESET') return;
    let nse = this.nses.get(pdu.nsei);
    if (!nse) nse = this.createNse(pdu.nsei, { dialect: 'ipaccess', persistent: false });
    else if (nse.dialect !== 'ipaccess') return;
    const existing = this.byNsvci.get(pdu.nsvci);
    if (existing) {
      if (existing.persistent) return;
      existing.nse.removeNsvc(existing); // a dynamic VC that moved: re-created
    } else if (nse.persistent) {
      return; // a configured NSE does not learn new NSVCIs
    }
    const vc = nse.addNsvc(bind, from, { nsvci: pdu.nsvci, initiator: false, persistent: false });
    vc.rx(msg);
  }

  private rxUnknownSize(bind: NsBind, msg: Buffer, from: InetAddr): void {
    const pdu = tryDecodeNs(msg);
    if (pdu instanceof NsDecodeError) {
      if (pdu.code === 'ERR_NS_MISSING_IE') this.reject(bind, from, NsCause.MISSING_ESSENT_IE, msg);
      return;
    }
    if (pdu.type !== 'SNS-SIZE') return;
    let nse = this.nses.get(pdu.nsei);
    if (!nse) {
      if (!bind.acceptSns) return;
      nse = this.createNse(pdu.nsei, { dialect: 'sns', role: 'sgsn', persistent: false });
    }
    if (nse.dialect !== 'sns' || !nse.sns) return;
    const vc = nse.addNsvc(bind, from, { initiator: false, persistent: false, snsOnly: true, sigWeight: 0, dataWeight: 0 });
    nse.sns.rx(vc, pdu, msg);
  }
}
