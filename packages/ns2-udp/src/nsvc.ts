/**
 * One NS-VC on a UDP bind and its FSM "GPRS-NS2-VC" (gprs_ns2_vc_fsm.c): states UNCONFIGURED, RESET, BLOCKED,
 * UNBLOCKED, RECOVERING; the alive procedure (Tns-alive / Tns-test) runs on its own timer in every state.
 * Upstream's state entry order is kept: state, then the state timer, then the on-enter actions.
 */
import type { InetAddr } from '@osmo/io';
import { NsCause, NsPduType } from './constants.js';
import { encodeNs, tryDecodeNs, type NsPdu, type NsStatus } from './codec.js';
import { NsDecodeError } from './errors.js';
import { NsCounters } from './counters.js';
import { fsmInstance, VC_FSM_STATES } from './fsm-mirror.js';
import type { FsmInstance } from '@osmo/ctrl';
import type { NsBind } from './bind.js';
import type { Nse } from './nse.js';

export type NsvcState = 'UNCONFIGURED' | 'RESET' | 'BLOCKED' | 'UNBLOCKED' | 'RECOVERING';
/** BLOCKRESET: RESET/BLOCK/UNBLOCK procedures and an NSVCI; ALIVE: only the alive procedure (static-alive, IP-SNS) */
export type NsvcMode = 'blockreset' | 'alive';

const ALIVE_PDU = Buffer.from([NsPduType.ALIVE]);
const ALIVE_ACK_PDU = Buffer.from([NsPduType.ALIVE_ACK]);
const UNBLOCK_PDU = Buffer.from([NsPduType.UNBLOCK]);
const UNBLOCK_ACK_PDU = Buffer.from([NsPduType.UNBLOCK_ACK]);

export interface NsvcOptions {
  nsvci?: number;
  mode: NsvcMode;
  /** locally configured VCs start the procedures; VCs created from a peer's RESET do not */
  initiator: boolean;
  /** configured (true) or created dynamically from a peer (false) */
  persistent: boolean;
  sigWeight?: number;
  dataWeight?: number;
  /** an IP-SNS VC used only for the SIZE/CONFIG exchange (not in load sharing) */
  snsOnly?: boolean;
}

export class NsVc {
  state: NsvcState = 'UNCONFIGURED';
  readonly nsvci: number | undefined;
  readonly mode: NsvcMode;
  readonly initiator: boolean;
  readonly persistent: boolean;
  sigWeight: number;
  dataWeight: number;
  snsOnly: boolean;
  /** the K of osmo-ns-dummy: NSVCI for ipaccess, else the 0-based creation index in its NSE */
  readonly index: number;
  /** @internal load sharing round-robin counter */
  sigCounter = 0;
  omBlocked = false;
  readonly counters: NsCounters;
  /** this VC in the CTRL registry's FSM list (fsm.GPRS-NS2-VC.id.nsvc-<nsei>-<K>) */
  readonly fi: FsmInstance;

  private initiateReset: boolean;
  private initiateBlock: boolean;
  private acceptUnitdata = false;
  /** retry counter of the state timer */
  private N = 0;
  private stateTimer: NodeJS.Timeout | null = null;
  private aliveTimer: NodeJS.Timeout | null = null;
  private aliveMode: 'none' | 'tns-alive' | 'tns-test' = 'none';
  private aliveN = 0;
  private aliveStarted = 0;
  private freed = false;

  constructor(readonly nse: Nse, readonly bind: NsBind, readonly remote: InetAddr, index: number, o: NsvcOptions) {
    this.nsvci = o.nsvci;
    this.mode = o.mode;
    this.initiator = o.initiator;
    this.persistent = o.persistent;
    this.sigWeight = o.sigWeight ?? 1;
    this.dataWeight = o.dataWeight ?? 1;
    this.snsOnly = o.snsOnly ?? false;
    this.index = index;
    this.initiateReset = this.initiateBlock = o.initiator;
    const inst = nse.inst;
    this.counters = NsCounters.alloc(inst.registry, 'ns:nsvc', inst.allocVcIdx(), `NSVC ${this.describe()}`);
    this.fi = fsmInstance(inst.registry, 'GPRS-NS2-VC', VC_FSM_STATES, `nsvc-${nse.nsei}-${index}`);
  }

  get name(): string { return this.describe(); }
  describe(): string {
    return `${this.nsvci ?? this.index})[${this.bind.local.address}]:${this.bind.local.port}<>[${this.remote.address}]:${this.remote.port}`;
  }
  get isUnblocked(): boolean { return this.state === 'UNBLOCKED'; }

  // -------------------------------------------------------------------------------------------------------------
  // transmit

  /** @internal send raw bytes to the peer, counting them */
  send(buf: Buffer): number {
    const rc = this.bind.sendto(buf, this.remote);
    if (rc < 0) { this.counters.pktsOutDrop.add(); this.counters.bytesOutDrop.add(buf.length); }
    else { this.counters.pktsOut.add(); this.counters.bytesOut.add(buf.length); }
    return rc;
  }
  private tx(pdu: NsPdu): void { this.send(encodeNs(pdu)); }
  private txReset(): void {
    this.tx({ type: 'NS-RESET', cause: NsCause.OM_INTERVENTION, nsvci: this.nsvci ?? 0, nsei: this.nse.nsei });
  }
  private txResetAck(): void { this.tx({ type: 'NS-RESET-ACK', nsvci: this.nsvci ?? 0, nsei: this.nse.nsei }); }
  private txBlock(cause: number): void { this.tx({ type: 'NS-BLOCK', cause, nsvci: this.nsvci ?? 0 }); }
  /** @internal also sent for a foreign NS-VC's NSVCI */
  txBlockAck(nsvci = this.nsvci ?? 0): void { this.tx({ type: 'NS-BLOCK-ACK', nsvci }); }

  /** NS-STATUS as ns2_tx_status builds it: the offending PDU (cut to the MTU) or the VCI, per cause */
  txStatus(cause: number, offending: Buffer | null, nsvci?: number, bvci?: number): void {
    const s: NsStatus = { type: 'NS-STATUS', cause };
    if (cause === NsCause.NSVC_BLOCKED || cause === NsCause.NSVC_UNKNOWN) s.nsvci = nsvci ?? this.nsvci ?? 0;
    else if (cause === NsCause.BVCI_UNKNOWN) s.nsvci = bvci ?? 0; // upstream puts the BVCI under IEI 0x01 (NS-VCI)
    else if (offending && (cause === NsCause.SEM_INCORR_PDU || cause === NsCause.PDU_INCOMP_PSTATE ||
      cause === NsCause.PROTO_ERR_UNSPEC || cause === NsCause.INVAL_ESSENT_IE || cause === NsCause.MISSING_ESSENT_IE)) {
      s.pdu = offending.subarray(0, Math.min(offending.length, this.bind.mtu - 16));
    }
    this.tx(s);
  }

  // -------------------------------------------------------------------------------------------------------------
  // FSM plumbing

  private t(name: Parameters<Nse['inst']['timer']>[0]): number { return this.nse.inst.timer(name); }

  private stateChg(next: NsvcState, timeoutS: number): void {
    if (this.freed) return;
    const old = this.state;
    this.state = next;
    this.fi.stateChange(next);
    if (this.stateTimer) { clearTimeout(this.stateTimer); this.stateTimer = null; }
    if (timeoutS > 0) {
      this.stateTimer = setTimeout(() => { this.stateTimer = null; this.onStateTimeout(); }, timeoutS * 1000);
      this.stateTimer.unref();
    }
    switch (next) {
      case 'UNCONFIGURED': this.enterUnconfigured(); break;
      case 'RESET': this.enterReset(old); break;
      case 'BLOCKED': this.enterBlocked(old); break;
      case 'UNBLOCKED': this.enterUnblocked(old); break;
      case 'RECOVERING': this.enterRecovering(old); break;
    }
    if (old !== next && !this.freed && this.state === next) this.nse.vcStateChanged(this, old);
  }

  private enterUnconfigured(): void {
    this.stopAlive();
    this.initiateReset = this.initiateBlock = this.initiator;
    this.omBlocked = false;
  }
  private enterReset(old: NsvcState): void {
    if (old !== 'RESET') this.N = 0;
    this.acceptUnitdata = false;
    if (this.initiateReset) this.txReset();
    this.stopAlive();
  }
  private enterBlocked(old: NsvcState): void {
    if (old !== 'BLOCKED') { this.N = 0; this.counters.blocked.add(); }
    if (this.omBlocked) {
      if (old === 'RESET') { if (this.stateTimer) { clearTimeout(this.stateTimer); this.stateTimer = null; } }
      else this.txBlock(NsCause.OM_INTERVENTION);
    } else if (this.initiateBlock) {
      this.send(UNBLOCK_PDU);
    }
    this.startAlive(true);
  }
  private enterUnblocked(old: NsvcState): void {
    if (old !== 'UNBLOCKED') this.counters.unblocked.add();
    this.acceptUnitdata = true;
    this.startAlive(true);
  }
  private enterRecovering(old: NsvcState): void {
    if (old !== 'RECOVERING') this.N = 0;
    this.aliveMode = 'tns-test'; // so that startAlive(true) below really sends an ALIVE
    this.startAlive(true);
  }

  private onStateTimeout(): void {
    switch (this.state) {
      case 'RESET':
        if (this.initiateReset) {
          this.counters.lostReset.add();
          this.N++;
          if (this.N > this.t('tns-reset-retries')) this.N = 0; // retransmit forever, the count restarts
          this.stateChg('RESET', this.t('tns-reset'));
        }
        break;
      case 'BLOCKED':
        if (this.initiateBlock) {
          this.N++;
          if (this.N <= this.t('tns-block-retries')) this.stateChg('BLOCKED', this.t('tns-block'));
          else if (this.omBlocked) this.acceptUnitdata = false; // 7.2: BLOCK not answered, stop accepting data
          else this.stateChg('RESET', this.t('tns-reset'));
        }
        break;
      case 'RECOVERING':
        if (this.initiateReset) {
          this.N++;
          if (this.N > this.t('tns-alive-retries')) this.N = 0;
          this.stateChg('RECOVERING', 0); // re-entering sends the next ALIVE; the alive procedure times it
        }
        break;
      default:
        break;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // alive procedure

  private startAlive(txAlive: boolean): void {
    if (this.aliveTimer) {
      if (txAlive && this.aliveMode === 'tns-alive') return; // one outstanding ALIVE is enough
      if (!txAlive && this.aliveMode === 'tns-test') return;
      clearTimeout(this.aliveTimer);
    }
    this.aliveN = 0;
    if (txAlive) {
      this.aliveMode = 'tns-alive';
      this.aliveStarted = performance.now();
      this.send(ALIVE_PDU);
      this.armAlive(this.t('tns-alive'));
    } else {
      this.aliveMode = 'tns-test';
      this.armAlive(this.t('tns-test'));
    }
  }
  private armAlive(s: number): void {
    if (this.aliveTimer) clearTimeout(this.aliveTimer);
    this.aliveTimer = setTimeout(() => { this.aliveTimer = null; this.onAliveTimeout(); }, s * 1000);
    this.aliveTimer.unref();
  }
  private stopAlive(): void {
    this.counters.aliveDelay?.set(0);
    if (this.aliveTimer) clearTimeout(this.aliveTimer);
    this.aliveTimer = null;
    this.aliveMode = 'none';
  }
  private onAliveTimeout(): void {
    if (this.aliveMode === 'tns-test') {
      this.aliveMode = 'tns-alive';
      this.aliveN = 0;
      this.aliveStarted = performance.now();
      this.send(ALIVE_PDU);
      this.armAlive(this.t('tns-alive'));
    } else if (this.aliveMode === 'tns-alive') {
      this.counters.lostAlive.add();
      this.aliveN++;
      if (this.aliveN <= this.t('tns-alive-retries')) {
        this.send(ALIVE_PDU);
        this.armAlive(this.t('tns-alive'));
      } else {
        // the peer is gone
        this.counters.dead.add();
        this.aliveMode = 'none';
        if (this.mode === 'blockreset') this.stateChg('RESET', this.t('tns-reset'));
        else this.stateChg('RECOVERING', this.t('tns-alive'));
      }
    }
  }
  private rxAliveAck(): void {
    if (this.state === 'RECOVERING') { this.stateChg('UNBLOCKED', 0); return; }
    if (this.aliveMode !== 'tns-alive') return; // an ACK without an outstanding ALIVE
    this.aliveMode = 'tns-test';
    this.armAlive(this.t('tns-test'));
    this.counters.aliveDelay?.set(Math.round(performance.now() - this.aliveStarted));
  }

  // -------------------------------------------------------------------------------------------------------------
  // requests (O&M and the NSE)

  /** REQ-START (ns2_vc_fsm_start) */
  start(): void {
    if (this.state !== 'UNCONFIGURED') return;
    this.initiateReset = this.initiateBlock = this.initiator;
    this.omBlocked = false;
    if (this.mode === 'alive') {
      if (this.nse.dialect === 'sns') this.stateChg('UNBLOCKED', 0); // IP-SNS NS-VCs start alive until proven dead
      else this.stateChg('RECOVERING', this.t('tns-alive'));
    } else {
      this.stateChg('RESET', this.t('tns-reset'));
    }
  }
  /** O&M block: -EALREADY (114) when already O&M-blocked */
  block(): number {
    if (this.omBlocked) return -114;
    this.initiateBlock = true;
    this.omBlocked = true;
    this.stateChg('BLOCKED', this.t('tns-block'));
    return 0;
  }
  /** O&M unblock: -EALREADY when not O&M-blocked */
  unblock(): number {
    if (!this.omBlocked) return -114;
    this.omBlocked = false;
    if (this.state === 'BLOCKED') this.stateChg('BLOCKED', this.t('tns-block'));
    return 0;
  }
  /** O&M reset (BLOCKRESET mode only) */
  reset(): number {
    if (this.mode !== 'blockreset') return -22;
    if (this.state !== 'RESET') {
      this.initiateReset = true;
      this.stateChg('RESET', this.t('tns-reset'));
    }
    return 0;
  }
  forceUnconfigured(): void {
    if (this.state !== 'UNCONFIGURED') this.stateChg('UNCONFIGURED', 0);
  }
  /** @internal stop everything (the NSE or the instance frees the VC) */
  free(): void {
    if (this.freed) return;
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.stateTimer = null;
    this.stopAlive();
    const old = this.state;
    this.state = 'UNCONFIGURED';
    this.freed = true;
    this.counters.free();
    this.fi.term();
    if (old !== 'UNCONFIGURED') this.nse.vcStateChanged(this, old);
  }
  get isFreed(): boolean { return this.freed; }

  // -------------------------------------------------------------------------------------------------------------
  // receive

  /** one datagram from this VC's remote address */
  rx(msg: Buffer): void {
    this.counters.pktsIn.add();
    this.counters.bytesIn.add(msg.length);
    this.nse.counters.pktsIn.add();
    this.nse.counters.bytesIn.add(msg.length);
    if (msg.length > 0 && msg[0] === NsPduType.UNITDATA) { this.rxUnitdata(msg); return; }
    const t = msg.length > 0 ? msg[0]! : -1;
    const pdu = tryDecodeNs(msg);
    if (pdu instanceof NsDecodeError) {
      // unknown PDU types on an established NS-VC are only logged upstream; a STATUS is never answered; a
      // malformed SNS PDU gets no STATUS either (upstream answers TLV errors of non-SNS PDUs only): SNS retries
      if (pdu.code === 'ERR_NS_UNKNOWN_PDU' || pdu.code === 'ERR_NS_EMPTY' || t === NsPduType.STATUS || t >= NsPduType.SNS_ACK) return;
      this.txStatus(pdu.nsCause, msg);
      return;
    }
    if (pdu.type.startsWith('SNS-')) { this.nse.rxSns(this, pdu, msg); return; }
    this.rxSignal(pdu as Exclude<NsPdu, { type: 'NS-UNITDATA' }>, msg);
  }

  private rxUnitdata(msg: Buffer): void {
    if (msg.length < 4) return;
    switch (this.state) {
      case 'BLOCKED':
        if (this.acceptUnitdata) break; // 7.2.1: our BLOCK-ACK may have been lost
        this.txStatus(NsCause.NSVC_BLOCKED, msg);
        return;
      case 'UNBLOCKED': case 'RECOVERING':
        break;
      default:
        return;
    }
    this.nse.inst.deliverUnitdata(this, msg);
  }

  private rxSignal(pdu: Exclude<NsPdu, { type: 'NS-UNITDATA' }>, msg: Buffer): void {
    if (pdu.type === 'NS-STATUS' && !this.statusValid(pdu)) return;
    const o = pdu as { nsei?: number; nsvci?: number };
    if (o.nsei !== undefined && o.nsei !== this.nse.nsei) {
      this.counters.invNsei.add();
      if (pdu.type === 'NS-RESET') this.txResetAck(); // 48.016 7.3.1: RESET-ACK with our ids, then ignore
      return;
    }
    let target: NsVc = this;
    if (this.nsvci !== undefined && o.nsvci !== undefined && o.nsvci !== this.nsvci) {
      this.counters.invNsvci.add();
      if (pdu.type === 'NS-RESET') { this.txResetAck(); return; }
      if (pdu.type !== 'NS-BLOCK' && pdu.type !== 'NS-STATUS') return;
      const other = this.nse.inst.nsvcByNsvci(o.nsvci!);
      if (!other) {
        if (pdu.type === 'NS-BLOCK') this.txStatus(NsCause.NSVC_UNKNOWN, msg, o.nsvci);
        return;
      }
      if (other.nse !== this.nse) return;
      target = other;
    }
    switch (pdu.type) {
      case 'NS-RESET':
        if (this.mode !== 'blockreset') return;
        if (this.state !== 'RESET') {
          this.initiateReset = false;
          this.stateChg('RESET', this.t('tns-reset'));
        }
        this.evResetState('rx-reset');
        return;
      case 'NS-RESET-ACK':
        if (this.state === 'RESET') this.evResetState('rx-reset-ack');
        return;
      case 'NS-BLOCK':
        if (target !== this) { target.evBlock(true); this.txBlockAck(o.nsvci); }
        else this.evBlock(false);
        return;
      case 'NS-BLOCK-ACK':
        if (this.state === 'BLOCKED' && this.omBlocked) {
          this.acceptUnitdata = false;
          if (this.stateTimer) { clearTimeout(this.stateTimer); this.stateTimer = null; }
        }
        return;
      case 'NS-UNBLOCK':
        if (this.state === 'BLOCKED') {
          if (this.omBlocked) { this.acceptUnitdata = false; this.txBlock(NsCause.OM_INTERVENTION); this.rearmStateTimer(this.t('tns-block')); }
          else { this.send(UNBLOCK_ACK_PDU); this.acceptUnitdata = true; this.stateChg('UNBLOCKED', 0); }
        } else if (this.state === 'UNBLOCKED') this.send(UNBLOCK_ACK_PDU);
        return;
      case 'NS-UNBLOCK-ACK':
        if (this.state === 'BLOCKED' && !this.omBlocked && this.initiateBlock) { this.acceptUnitdata = true; this.stateChg('UNBLOCKED', 0); }
        return;
      case 'NS-ALIVE':
        if (this.state !== 'UNCONFIGURED' && this.state !== 'RESET') this.send(ALIVE_ACK_PDU);
        return;
      case 'NS-ALIVE-ACK':
        this.rxAliveAck();
        return;
      case 'NS-STATUS':
        target.rxStatus(pdu);
        return;
    }
  }

  /** the conditional IEs a STATUS needs per cause (ns2_validate); an invalid STATUS is not answered */
  private statusValid(s: NsStatus): boolean {
    switch (s.cause) {
      case NsCause.NSVC_BLOCKED: case NsCause.NSVC_UNKNOWN: return s.nsvci !== undefined && this.mode === 'blockreset';
      case NsCause.SEM_INCORR_PDU: case NsCause.PDU_INCOMP_PSTATE: case NsCause.PROTO_ERR_UNSPEC:
      case NsCause.INVAL_ESSENT_IE: case NsCause.MISSING_ESSENT_IE: return s.pdu !== undefined;
      case NsCause.BVCI_UNKNOWN: return s.bvci !== undefined || s.nsvci !== undefined;
      case NsCause.UNKN_IP_TEST_FAILED: return s.ipv4 !== undefined || s.ipv6 !== undefined;
      default: return true;
    }
  }

  private rearmStateTimer(s: number): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.stateTimer = setTimeout(() => { this.stateTimer = null; this.onStateTimeout(); }, s * 1000);
    this.stateTimer.unref();
  }

  private evResetState(ev: 'rx-reset' | 'rx-reset-ack'): void {
    if (this.initiateReset) {
      if (ev === 'rx-reset') this.txResetAck();
      this.stateChg('BLOCKED', this.t('tns-block'));
    } else if (ev === 'rx-reset') {
      this.txResetAck();
      this.stateChg('BLOCKED', 0);
    }
  }

  /** RX-BLOCK (foreign: the BLOCK arrived on another NS-VC of the NSE, which sends the BLOCK-ACK) */
  private evBlock(foreign: boolean): void {
    if (this.state === 'BLOCKED') {
      if (!foreign) this.txBlockAck();
      if (this.omBlocked) {
        this.acceptUnitdata = false;
        if (this.stateTimer) { clearTimeout(this.stateTimer); this.stateTimer = null; }
      }
    } else if (this.state === 'UNBLOCKED') {
      if (!foreign) this.txBlockAck();
      this.initiateBlock = false;
      this.acceptUnitdata = false;
      this.stateChg('BLOCKED', 0);
    }
  }

  private rxStatus(s: NsStatus): void {
    if (s.cause === NsCause.NSVC_BLOCKED && this.state !== 'BLOCKED' && this.state !== 'UNCONFIGURED') {
      this.initiateBlock = false;
      this.acceptUnitdata = false;
      this.stateChg('BLOCKED', this.t('tns-block'));
    } else if (s.cause === NsCause.NSVC_UNKNOWN && this.state !== 'RESET' && this.state !== 'UNCONFIGURED') {
      this.stateChg('RESET', this.t('tns-reset'));
    }
  }
}
