/**
 * IP-SNS (gprs_ns2_sns.c): the FSMs "GPRS-NS2-SNS-BSS" and "GPRS-NS2-SNS-SGSN" of one NSE, with upstream's state
 * names. Both learn the peer's endpoints (SNS-CONFIG), build the full mesh of NS-VCs (each local bind x each
 * remote endpoint) and then handle SNS-ADD / DELETE / CHANGEWEIGHT; the BSS also drives the SIZE and CONFIG
 * procedures, rotates its SGSN endpoints on failure and runs local procedures with transaction ids.
 */
import type { InetAddr } from '@osmo/io';
import { NsCause } from './constants.js';
import { encodeNs, type NsPdu, type IpElement, type SnsAdd, type SnsConfig, type SnsDelete, type SnsSize } from './codec.js';
import { inetAddr, type NsBind } from './bind.js';
import type { IpFamily } from './ip.js';
import type { Nse } from './nse.js';
import type { NsVc } from './nsvc.js';
import { fsmInstance, SNS_FSM_STATES } from './fsm-mirror.js';
import type { FsmInstance } from '@osmo/ctrl';

export type SnsState =
  | 'UNCONFIGURED' | 'BSS_SIZE' | 'BSS_CONFIG_BSS' | 'BSS_CONFIG_SGSN' | 'CONFIGURED'
  | 'SGSN_WAIT_CONFIG' | 'SGSN_WAIT_CONFIG_ACK' | 'LOCAL_PROCEDURE';

type ListKey = 'ipv4' | 'ipv6';
const key = (f: IpFamily): ListKey => (f === 'IPv4' ? 'ipv4' : 'ipv6');
const sameEp = (a: IpElement, b: { ip: string; port: number }): boolean => a.ip === b.ip && a.port === b.port;

interface LocalProcedure { type: 'SNS-ADD' | 'SNS-DELETE' | 'SNS-CHANGEWEIGHT'; elements: IpElement[]; bind: NsBind }

export abstract class SnsFsm {
  state: SnsState = 'UNCONFIGURED';
  family: IpFamily | null = null;
  local: IpElement[] = [];
  remote: IpElement[] = [];
  /** the NS-VC the last SNS PDU arrived on: SNS answers go there */
  snsVc: NsVc | null = null;
  protected N = 0;
  protected timer: NodeJS.Timeout | null = null;
  /** T4: CONFIGURED but no NS-VC alive */
  private deadTimer: NodeJS.Timeout | null = null;
  protected freed = false;

  /** this FSM in the CTRL registry's FSM list (fsm.GPRS-NS2-SNS-BSS|SGSN.id.NSE<nsei>-SNS) */
  readonly fi: FsmInstance;
  constructor(readonly nse: Nse) {
    this.fi = fsmInstance(nse.inst.registry, nse.role === 'sgsn' ? 'GPRS-NS2-SNS-SGSN' : 'GPRS-NS2-SNS-BSS', SNS_FSM_STATES, `NSE${nse.nsei}-SNS`);
  }

  abstract rx(vc: NsVc, pdu: NsPdu, msg: Buffer): void;
  protected abstract fail(reason: string): void;
  /** why the last failure happened (for tools and tests) */
  lastFailure = '';

  protected get inst(): Nse['inst'] { return this.nse.inst; }
  protected t(n: Parameters<Nse['inst']['timer']>[0]): number { return this.inst.timer(n); }

  protected setState(st: SnsState, timeoutS: number, onTimeout?: () => void): void {
    const old = this.state;
    this.state = st;
    this.fi.stateChange(st);
    this.clearTimer();
    if (timeoutS > 0 && onTimeout) {
      this.timer = setTimeout(() => { this.timer = null; onTimeout(); }, timeoutS * 1000);
      this.timer.unref();
    }
    if (old !== st) this.inst.emitSns(this.nse, st);
  }
  protected clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  protected tx(vc: NsVc | null, pdu: NsPdu): void {
    if (vc && !vc.isFreed) vc.send(encodeNs(pdu));
  }

  /** binds of the instance in the SNS family: the local endpoints */
  protected localBinds(family: IpFamily): NsBind[] {
    return this.inst.binds.filter((b) => b.local.family === family);
  }
  protected localElements(family: IpFamily): IpElement[] {
    return this.localBinds(family).map((b) => ({ ip: b.local.address, port: b.local.port, sigWeight: b.sigWeight, dataWeight: b.dataWeight }));
  }

  /** free every NS-VC but `keep` */
  protected freeVcs(keep: NsVc | null = null): void {
    for (const vc of [...this.nse.nsvcs]) if (vc !== keep) this.nse.removeNsvc(vc);
  }

  /** CONFIG received (both roles): append the list; returns a cause on error */
  protected appendConfig(c: SnsConfig): number | undefined {
    const fam = this.family!;
    const other = fam === 'IPv4' ? c.ipv6 : c.ipv4;
    if (other && other.length) return fam === 'IPv4' ? NsCause.INVAL_NR_IPv6_EP : NsCause.INVAL_NR_IPv4_EP;
    for (const e of c[key(fam)] ?? []) if (!this.remote.some((r) => sameEp(r, e))) this.remote.push(e);
    return undefined;
  }
  protected weightsValid(list: IpElement[]): boolean {
    return list.reduce((a, e) => a + e.sigWeight, 0) > 0 && list.reduce((a, e) => a + e.dataWeight, 0) > 0;
  }

  /**
   * The full mesh: each local bind x each remote endpoint, reusing a VC that already goes there. The VCs are
   * started by `startMesh` (the BSS first sends its CONFIG-ACK, as upstream, so no NS PDU overtakes it).
   */
  protected createMesh(binds = this.localBinds(this.family!), remote = this.remote): NsVc[] {
    const made: NsVc[] = [];
    for (const b of binds) {
      for (const r of remote) {
        const addr = inetAddr(r.ip, r.port);
        const have = b.lookup(addr);
        if (have) {
          if (have.nse !== this.nse) continue;
          have.sigWeight = r.sigWeight; have.dataWeight = r.dataWeight;
          have.snsOnly = false;
          made.push(have);
          continue;
        }
        made.push(this.nse.addNsvc(b, addr, { sigWeight: r.sigWeight, dataWeight: r.dataWeight, initiator: true, persistent: this.nse.persistent, noStart: true }));
      }
    }
    return made;
  }
  protected startMesh(vcs: NsVc[]): void {
    for (const vc of vcs) vc.start();
    this.nse.weightsChanged();
  }

  protected enterConfigured(): void {
    // the SIZE/CONFIG-only VC goes unless it became part of the mesh
    for (const vc of [...this.nse.nsvcs]) if (vc.snsOnly) this.nse.removeNsvc(vc);
    this.setState('CONFIGURED', 0);
    this.checkAlive();
  }

  /** @internal an NS-VC of the NSE changed state */
  vcStateChanged(_vc: NsVc): void { if (!this.freed) this.checkAlive(); }
  private checkAlive(): void {
    const configured = this.state === 'CONFIGURED' || this.state === 'LOCAL_PROCEDURE';
    const anyUp = this.nse.nsvcs.some((v) => v.isUnblocked && !v.snsOnly);
    if (!configured || anyUp) {
      if (this.deadTimer) clearTimeout(this.deadTimer);
      this.deadTimer = null;
      return;
    }
    if (this.deadTimer) return;
    const s = this.t('tns-alive') * this.t('tns-alive-retries') + this.t('tns-test');
    this.deadTimer = setTimeout(() => { this.deadTimer = null; this.fail('no NS-VC alive'); }, s * 1000);
    this.deadTimer.unref();
  }

  // ---- SNS-ADD / SNS-DELETE / SNS-CHANGEWEIGHT from the peer (CONFIGURED or LOCAL_PROCEDURE) ----------------

  protected rxProcedure(vc: NsVc, pdu: SnsAdd | SnsDelete): boolean {
    if (this.state !== 'CONFIGURED' && this.state !== 'LOCAL_PROCEDURE') return false;
    const fam = this.family!;
    const ack = (cause?: number, list?: IpElement[]): void => {
      const a: NsPdu = { type: 'SNS-ACK', nsei: this.nse.nsei, transId: pdu.transId };
      if (cause !== undefined) a.cause = cause;
      if (list) a[key(fam)] = list;
      this.tx(vc, a);
    };
    const famCause = fam === 'IPv4' ? NsCause.INVAL_NR_IPv4_EP : NsCause.INVAL_NR_IPv6_EP;
    const list = pdu[key(fam)];
    if (pdu.type === 'SNS-ADD') {
      if (!list) { ack(famCause); return true; }
      if (list.some((e) => this.remote.some((r) => sameEp(r, e)))) { ack(NsCause.PROTO_ERR_UNSPEC); return true; }
      this.remote.push(...list);
      const vcs = this.createMesh(undefined, list);
      ack();
      this.startMesh(vcs);
      return true;
    }
    if (pdu.type === 'SNS-CHANGEWEIGHT') {
      if (!list) { ack(famCause); return true; }
      let cause: number | undefined;
      for (const e of list) {
        const r = this.remote.find((x) => sameEp(x, e));
        if (!r) { cause = NsCause.UNKN_IP_EP; continue; }
        r.sigWeight = e.sigWeight; r.dataWeight = e.dataWeight;
        for (const v of this.nse.nsvcs) if (v.remote.address === inetAddr(e.ip, e.port).address && v.remote.port === e.port) {
          v.sigWeight = e.sigWeight; v.dataWeight = e.dataWeight;
        }
      }
      this.nse.weightsChanged();
      ack(cause);
      return true;
    }
    // SNS-DELETE by list or by IP address
    let victims: IpElement[];
    const ipAddress = pdu.type === 'SNS-DELETE' ? pdu.ipAddress : undefined;
    if (ipAddress) {
      if (ipAddress.family !== fam) { ack(NsCause.UNKN_IP_ADDR); return true; }
      const ip = inetAddr(ipAddress.address, 0).address;
      victims = this.remote.filter((r) => r.ip === ip);
    } else {
      if (!list) { ack(famCause); return true; }
      victims = [];
      for (const e of list) {
        const r = this.remote.find((x) => sameEp(x, e));
        if (!r) { ack(NsCause.UNKN_IP_EP); return true; }
        victims.push(r);
      }
    }
    this.remote = this.remote.filter((r) => !victims.includes(r));
    for (const v of [...this.nse.nsvcs]) {
      if (victims.some((e) => inetAddr(e.ip, e.port).address === v.remote.address && e.port === v.remote.port) && v !== vc) this.nse.removeNsvc(v);
    }
    // the ACK goes out on the VC the DELETE came on, even when that VC itself is being deleted
    ack(undefined, ipAddress ? undefined : victims);
    const gone = victims.find((e) => inetAddr(e.ip, e.port).address === vc.remote.address && e.port === vc.remote.port);
    if (gone) this.nse.removeNsvc(vc);
    if (this.nse.nsvcs.length === 0) this.fail('all NS-VCs deleted');
    return true;
  }

  free(): void {
    this.freed = true;
    this.fi.term();
    this.clearTimer();
    if (this.deadTimer) clearTimeout(this.deadTimer);
    this.deadTimer = null;
  }
}

/** BSS role: SIZE -> CONFIG (ours) -> CONFIG (theirs) -> full mesh -> CONFIGURED */
export class SnsBss extends SnsFsm {
  /** SGSN endpoints to try, rotated on failure (ip-sns-remote) */
  readonly endpoints: InetAddr[] = [];
  private epIdx = 0;
  private transId = 0;
  private procs: LocalProcedure[] = [];
  private current: (LocalProcedure & { transId: number }) | null = null;

  addEndpoint(address: string, port: number): void { this.endpoints.push(inetAddr(address, port)); }
  /** the endpoint the next SIZE goes to */
  get endpoint(): InetAddr | undefined { return this.endpoints[this.epIdx % Math.max(1, this.endpoints.length)]; }

  /** start (or restart) with the current endpoint (REQ_SELECT_ENDPOINT) */
  start(): void {
    if (this.freed) return;
    this.clearTimer();
    this.freeVcs();
    this.remote = [];
    this.procs = [];
    this.current = null;
    const ep = this.endpoint;
    if (!ep) { this.lastFailure = 'no SGSN endpoint'; this.inst.emitStatus(this.nse, 'SNS_NO_ENDPOINTS', null); this.setState('UNCONFIGURED', 0); return; }
    this.family = ep.family;
    this.local = this.localElements(ep.family);
    if (this.local.length === 0 || !this.weightsValid(this.local)) {
      this.lastFailure = 'no usable local endpoints';
      this.inst.emitStatus(this.nse, 'SNS_NO_ENDPOINTS', null);
      this.setState('UNCONFIGURED', 0);
      return;
    }
    const bind = this.localBinds(ep.family)[0]!;
    this.snsVc = this.nse.addNsvc(bind, ep, { snsOnly: true, sigWeight: 0, dataWeight: 0 });
    this.N = 0;
    this.enterSize();
  }

  protected fail(reason: string): void {
    if (this.freed) return;
    this.lastFailure = reason;
    this.inst.emitStatus(this.nse, 'SNS_FAILURE', null);
    this.epIdx++;
    this.start();
  }

  private enterSize(): void {
    const n = this.local.length;
    const size: SnsSize = { type: 'SNS-SIZE', nsei: this.nse.nsei, resetFlag: true, maxNsvcs: Math.min(0xffff, Math.max(8192 * n, 8)) };
    if (this.family === 'IPv4') size.ipv4Count = n; else size.ipv6Count = n;
    this.tx(this.snsVc, size);
    this.setState('BSS_SIZE', this.t('tsns-prov'), () => {
      if (++this.N <= this.t('tsns-size-retries')) this.enterSize(); else this.fail('SIZE not acknowledged');
    });
  }
  private enterConfigBss(): void {
    this.tx(this.snsVc, { type: 'SNS-CONFIG', endFlag: true, nsei: this.nse.nsei, [key(this.family!)]: this.local });
    this.setState('BSS_CONFIG_BSS', this.t('tsns-prov'), () => {
      if (++this.N <= this.t('tsns-config-retries')) this.enterConfigBss(); else this.fail('CONFIG not acknowledged');
    });
  }
  private enterConfigSgsn(): void {
    this.setState('BSS_CONFIG_SGSN', this.t('tsns-prov') * (this.t('tsns-config-retries') + 1), () => this.fail('no CONFIG from the SGSN'));
  }

  rx(vc: NsVc, pdu: NsPdu): void {
    this.snsVc = vc;
    switch (pdu.type) {
      case 'SNS-SIZE-ACK':
        if (this.state === 'BSS_SIZE' && pdu.cause === undefined) { this.N = 0; this.enterConfigBss(); }
        return; // with a cause: retried by the timer
      case 'SNS-CONFIG-ACK':
        if (this.state === 'BSS_CONFIG_BSS' && pdu.cause === undefined) { this.N = 0; this.enterConfigSgsn(); }
        return;
      case 'SNS-CONFIG': {
        if (this.state !== 'BSS_CONFIG_SGSN') return;
        const ack = (cause?: number): void => this.tx(vc, { type: 'SNS-CONFIG-ACK', nsei: this.nse.nsei, ...(cause === undefined ? {} : { cause }) });
        const cause = this.appendConfig(pdu);
        if (cause !== undefined) { ack(cause); this.remote = []; this.setState('UNCONFIGURED', 0); return; }
        if (!pdu.endFlag) { ack(); this.enterConfigSgsn(); return; }
        if (!this.weightsValid(this.remote)) { ack(NsCause.INVAL_WEIGH); this.remote = []; this.setState('UNCONFIGURED', 0); return; }
        const vcs = this.createMesh();
        ack();
        this.startMesh(vcs);
        this.enterConfigured();
        this.nextProcedure();
        return;
      }
      case 'SNS-ADD': case 'SNS-DELETE': case 'SNS-CHANGEWEIGHT':
        this.rxProcedure(vc, pdu);
        return;
      case 'SNS-ACK':
        this.rxAck(pdu.transId, pdu.cause);
        return;
      default:
        return;
    }
  }

  // ---- local procedures (bind added / removed / weight changed) ---------------------------------------------

  /** announce a new local bind (SNS-ADD); queued until CONFIGURED */
  addBind(bind: NsBind): void { this.queue({ type: 'SNS-ADD', bind, elements: [this.elementOf(bind)] }); }
  /** withdraw a local bind (SNS-DELETE) */
  deleteBind(bind: NsBind): void { this.queue({ type: 'SNS-DELETE', bind, elements: [this.elementOf(bind)] }); }
  /** new weights of a local bind (SNS-CHANGEWEIGHT) */
  changeWeight(bind: NsBind, sigWeight: number, dataWeight: number): void {
    bind.sigWeight = sigWeight; bind.dataWeight = dataWeight;
    this.queue({ type: 'SNS-CHANGEWEIGHT', bind, elements: [this.elementOf(bind)] });
  }
  private elementOf(b: NsBind): IpElement {
    return { ip: b.local.address, port: b.local.port, sigWeight: b.sigWeight, dataWeight: b.dataWeight };
  }
  private queue(p: LocalProcedure): void {
    this.procs.push(p);
    if (this.state === 'CONFIGURED') this.nextProcedure();
  }
  private nextProcedure(): void {
    const p = this.procs.shift();
    if (!p) { this.current = null; if (this.state === 'LOCAL_PROCEDURE') this.setState('CONFIGURED', 0); return; }
    this.transId = this.transId >= 255 ? 1 : this.transId + 1; // skips 0, wraps to 1
    this.current = { ...p, transId: this.transId };
    this.N = 0;
    this.sendProcedure();
  }
  private sendProcedure(): void {
    const p = this.current!;
    // DELETE goes out on a VC that survives it when there is one
    const vc = this.nse.nsvcs.find((v) => v.isUnblocked && (p.type !== 'SNS-DELETE' || v.bind !== p.bind)) ?? this.snsVc;
    this.tx(vc, { type: p.type, nsei: this.nse.nsei, transId: p.transId, [key(this.family!)]: p.elements } as NsPdu);
    this.setState('LOCAL_PROCEDURE', this.t('tsns-prov'), () => {
      if (++this.N <= this.t('tsns-config-retries')) this.sendProcedure(); else this.fail(`${p.type} not acknowledged`);
    });
  }
  private rxAck(transId: number, cause: number | undefined): void {
    const p = this.current;
    if (this.state !== 'LOCAL_PROCEDURE' || !p || transId !== p.transId) return; // other ids are ignored
    if (cause !== undefined) { this.fail(`${p.type} refused with cause ${cause}`); return; }
    const e = p.elements[0]!;
    if (p.type === 'SNS-ADD') { this.local.push(e); this.startMesh(this.createMesh([p.bind])); }
    else if (p.type === 'SNS-DELETE') {
      this.local = this.local.filter((l) => !sameEp(l, e));
      for (const v of [...this.nse.nsvcs]) if (v.bind === p.bind) this.nse.removeNsvc(v);
    } else {
      const l = this.local.find((x) => sameEp(x, e));
      if (l) { l.sigWeight = e.sigWeight; l.dataWeight = e.dataWeight; }
    }
    this.nextProcedure();
  }
}

/** SGSN role: SIZE -> SIZE-ACK, CONFIG (theirs) -> CONFIG-ACK, CONFIG (ours) -> CONFIG-ACK -> full mesh */
export class SnsSgsn extends SnsFsm {
  protected fail(reason: string): void {
    if (this.freed) return;
    this.lastFailure = reason;
    this.inst.emitStatus(this.nse, 'SNS_FAILURE', null);
    if (!this.nse.persistent) { this.setState('UNCONFIGURED', 0); this.inst.freeNse(this.nse); return; }
    this.freeVcs();
    this.remote = [];
    this.setState('UNCONFIGURED', 0);
  }

  rx(vc: NsVc, pdu: NsPdu): void {
    this.snsVc = vc;
    switch (pdu.type) {
      case 'SNS-SIZE': this.rxSize(vc, pdu); return;
      case 'SNS-CONFIG': this.rxConfig(vc, pdu); return;
      case 'SNS-CONFIG-ACK':
        if (this.state !== 'SGSN_WAIT_CONFIG_ACK') return;
        if (pdu.cause !== undefined) { this.fail(`CONFIG-ACK cause ${pdu.cause}`); return; }
        this.startMesh(this.createMesh());
        this.enterConfigured();
        return;
      case 'SNS-ADD': case 'SNS-DELETE': case 'SNS-CHANGEWEIGHT':
        this.rxProcedure(vc, pdu);
        return;
      default:
        return;
    }
  }

  private rxSize(vc: NsVc, s: SnsSize): void {
    const ack = (cause?: number): void => this.tx(vc, { type: 'SNS-SIZE-ACK', nsei: this.nse.nsei, ...(cause === undefined ? {} : { cause }) });
    if (s.resetFlag === undefined || s.maxNsvcs === undefined || (s.ipv4Count === undefined && s.ipv6Count === undefined)) {
      ack(NsCause.MISSING_ESSENT_IE);
      return;
    }
    const v4 = this.localBinds('IPv4').length, v6 = this.localBinds('IPv6').length;
    let fam: IpFamily;
    if (s.ipv6Count && v6) fam = 'IPv6';
    else if (s.ipv4Count && v4) fam = 'IPv4';
    else { ack(v4 ? NsCause.INVAL_NR_IPv4_EP : NsCause.INVAL_NR_IPv6_EP); return; }
    const remoteEps = (fam === 'IPv4' ? s.ipv4Count : s.ipv6Count)!;
    const localEps = fam === 'IPv4' ? v4 : v6;
    if (s.maxNsvcs < localEps * remoteEps) { ack(NsCause.INVAL_NR_NS_VC); return; }
    if (!s.resetFlag && this.state === 'UNCONFIGURED') { this.fail('SIZE without reset flag while unconfigured'); return; }
    if (s.resetFlag) {
      // a new start: forget everything but the VC the SIZE came on
      this.freeVcs(vc);
      vc.forceUnconfigured();
      vc.snsOnly = true;
      vc.sigWeight = 0; vc.dataWeight = 0;
      this.nse.weightsChanged();
      this.remote = [];
      this.family = fam;
      this.local = this.localElements(fam);
    }
    ack();
    if (s.resetFlag) this.setState('SGSN_WAIT_CONFIG', this.t('tsns-prov') * (this.t('tsns-config-retries') + 1), () => this.fail('no CONFIG from the BSS'));
  }

  private rxConfig(vc: NsVc, c: SnsConfig): void {
    if (this.state !== 'SGSN_WAIT_CONFIG') return;
    const ack = (cause?: number): void => this.tx(vc, { type: 'SNS-CONFIG-ACK', nsei: this.nse.nsei, ...(cause === undefined ? {} : { cause }) });
    const cause = this.appendConfig(c);
    if (cause !== undefined) { ack(cause); this.fail(`CONFIG cause ${cause}`); return; }
    if (!c.endFlag) { ack(); return; }
    if (!this.weightsValid(this.remote)) { ack(NsCause.INVAL_WEIGH); this.fail('invalid weights'); return; }
    ack();
    this.N = 0;
    this.enterWaitConfigAck();
  }

  private enterWaitConfigAck(): void {
    this.tx(this.snsVc, { type: 'SNS-CONFIG', endFlag: true, nsei: this.nse.nsei, [key(this.family!)]: this.local });
    this.setState('SGSN_WAIT_CONFIG_ACK', this.t('tsns-prov'), () => {
      if (++this.N <= this.t('tsns-config-retries')) this.enterWaitConfigAck(); else this.fail('CONFIG not acknowledged');
    });
  }
}
