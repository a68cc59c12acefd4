/**
 * An NS Entity (gprs_ns2.c): its NS-VCs over one or more binds, alive/dead from the unblocked VCs and their
 * weights, the MTU (smallest bind MTU), load sharing (§ 2.9) and, for IP-SNS, the SNS FSM of its role.
 */
import type { InetAddr } from '@osmo/io';
import { NsCounters } from './counters.js';
import { NsError } from './errors.js';
import { NsVc, type NsvcMode, type NsvcState } from './nsvc.js';
import type { NsBind } from './bind.js';
import type { NsInstance } from './instance.js';
import type { NsPdu } from './codec.js';
import { SnsBss, type SnsFsm, type SnsState } from './sns.js';

export type NsDialect = 'ipaccess' | 'static-alive' | 'sns';
export type NsRole = 'bss' | 'sgsn';

export interface NseOptions {
  dialect: NsDialect;
  /** IP-SNS role (default bss) */
  role?: NsRole;
  /** configured (true, default) or created from a peer */
  persistent?: boolean;
}

export interface AddNsvcOptions {
  nsvci?: number;
  sigWeight?: number;
  dataWeight?: number;
  /** @internal */
  initiator?: boolean;
  /** @internal */
  persistent?: boolean;
  /** @internal */
  snsOnly?: boolean;
  /** @internal create without starting (IP-SNS starts the mesh after its CONFIG-ACK) */
  noStart?: boolean;
}

export class Nse {
  readonly dialect: NsDialect;
  readonly role: NsRole;
  readonly persistent: boolean;
  readonly nsvcs: NsVc[] = [];
  readonly counters: NsCounters;
  alive = false;
  /** smallest MTU of the binds of its VCs minus nothing (the NS MTU; STATUS.ind reports mtu - 4) */
  mtu = 0;
  sns: SnsFsm | null = null;
  /** unblocked VCs usable for load sharing and the weight sums over them */
  private up: NsVc[] = [];
  private sumSig = 0;
  private sumData = 0;
  private nextIndex = 0;

  constructor(readonly inst: NsInstance, readonly nsei: number, o: NseOptions) {
    this.dialect = o.dialect;
    this.role = o.role ?? 'bss';
    this.persistent = o.persistent ?? true;
    this.counters = NsCounters.alloc(inst.registry, 'ns:nse', nsei, `NSE ${nsei}`);
  }

  private vcMode(): NsvcMode { return this.dialect === 'ipaccess' ? 'blockreset' : 'alive'; }

  /**
   * Create an NS-VC to `remote` over `bind` and start it (gprs_ns2_ip_connect). For ipaccess an NSVCI is
   * required. Throws NsError (a RangeError) when the bind already has a VC for that remote or the NSVCI is taken.
   */
  addNsvc(bind: NsBind, remote: InetAddr, o: AddNsvcOptions = {}): NsVc {
    const mode = this.vcMode();
    if (mode === 'blockreset' && o.nsvci === undefined) throw new NsError('ERR_NS_NSVCI_REQUIRED', `NSE ${this.nsei}: an ipaccess NS-VC needs an NSVCI`);
    if (bind.lookup(remote)) throw new NsError('ERR_NS_NSVC_EXISTS', `bind ${bind.name} already has an NS-VC to ${remote.address}:${remote.port}`);
    if (o.nsvci !== undefined && this.inst.nsvcByNsvci(o.nsvci)) throw new NsError('ERR_NS_NSVCI_IN_USE', `NSVCI ${o.nsvci} is in use`);
    const vc = new NsVc(this, bind, remote, mode === 'blockreset' ? o.nsvci! : this.nextIndex, {
      nsvci: mode === 'blockreset' ? o.nsvci : undefined, mode, initiator: o.initiator ?? true,
      persistent: o.persistent ?? true, sigWeight: o.sigWeight, dataWeight: o.dataWeight, snsOnly: o.snsOnly,
    });
    this.nextIndex++;
    this.nsvcs.push(vc);
    bind.addVc(vc);
    this.inst.vcAdded(vc);
    this.updateMtu();
    if (!vc.snsOnly && !o.noStart) vc.start();
    return vc;
  }

  /** free one NS-VC (gprs_ns2_free_nsvc) */
  removeNsvc(vc: NsVc): void {
    const i = this.nsvcs.indexOf(vc);
    if (i < 0) return;
    this.nsvcs.splice(i, 1);
    vc.bind.removeVc(vc);
    this.inst.vcRemoved(vc);
    vc.free();
    this.recompute();
    this.updateMtu();
  }

  nsvcByIndex(k: number): NsVc | undefined { return this.nsvcs.find((v) => v.index === k); }

  /** sum of the transfer capabilities of the distinct binds that carry an unblocked NS-VC (STATUS.ind) */
  get transferCapability(): number {
    const binds = new Set(this.up.map((v) => v.bind));
    let sum = 0;
    for (const b of binds) sum += b.transferCapability;
    return sum;
  }

  /** @internal a VC changed state: alive/dead, load-sharing set, events */
  vcStateChanged(vc: NsVc, old: NsvcState): void {
    this.computeUp();
    this.inst.emitNsvc(vc, old);
    this.updateAlive();
    this.sns?.vcStateChanged(vc);
  }

  private recompute(): void {
    this.computeUp();
    this.updateAlive();
  }
  private computeUp(): void {
    this.up = this.nsvcs.filter((v) => v.isUnblocked && !v.snsOnly);
    this.sumSig = this.up.reduce((a, v) => a + v.sigWeight, 0);
    this.sumData = this.up.reduce((a, v) => a + v.dataWeight, 0);
  }
  private updateAlive(): void {
    const alive = this.up.length > 0 && this.sumSig > 0 && this.sumData > 0;
    if (alive !== this.alive) {
      this.alive = alive;
      this.inst.emitNse(this);
    }
  }
  /** @internal weights changed (IP-SNS CHANGEWEIGHT) */
  weightsChanged(): void { this.recompute(); }

  /** @internal */
  updateMtu(): void {
    let mtu = 0;
    for (const v of this.nsvcs) if (mtu === 0 || v.bind.mtu < mtu) mtu = v.bind.mtu;
    if (mtu !== this.mtu) {
      const had = this.mtu !== 0;
      this.mtu = mtu;
      if (had && mtu) this.inst.emitMtu(this);
    }
  }

  /**
   * Load sharing (gprs_ns2.c): BVCI 0 round robin by signalling weight; other BVCIs
   * (bvci + lsp) mod sum(data weights), walking the unblocked VCs by cumulative data weight.
   */
  select(bvci: number, lsp: number): NsVc | null {
    const up = this.up;
    if (up.length === 0) return null;
    if (bvci === 0) {
      for (let round = 0; round < 2; round++) {
        for (const v of up) {
          if (v.sigWeight > 0 && v.sigCounter < v.sigWeight) { v.sigCounter++; return v; }
        }
        for (const v of up) v.sigCounter = 0;
      }
      return null;
    }
    if (this.sumData === 0) return null;
    const mod = (bvci + lsp) % this.sumData;
    let cum = 0;
    for (const v of up) {
      if (v.dataWeight === 0) continue;
      if (mod < cum + v.dataWeight) return v;
      cum += v.dataWeight;
    }
    return null;
  }

  /** IP-SNS BSS role: add an SGSN endpoint to try (VTY ip-sns-remote) */
  addSnsEndpoint(address: string, port: number): void {
    if (!(this.sns instanceof SnsBss)) throw new NsError('ERR_NS_NOT_SNS_BSS', `NSE ${this.nsei} is not an IP-SNS NSE in the BSS role`);
    this.sns.addEndpoint(address, port);
  }
  /** IP-SNS BSS role: start the SIZE procedure with the current endpoint */
  startSns(): void {
    if (!(this.sns instanceof SnsBss)) throw new NsError('ERR_NS_NOT_SNS_BSS', `NSE ${this.nsei} is not an IP-SNS NSE in the BSS role`);
    this.sns.start();
  }
  get snsState(): SnsState | undefined { return this.sns?.state; }

  /** @internal an SNS PDU arrived on one of its VCs */
  rxSns(vc: NsVc, pdu: NsPdu, msg: Buffer): void {
    if (this.sns) this.sns.rx(vc, pdu, msg);
  }

  /** @internal free everything (the instance removes the NSE) */
  free(): void {
    this.sns?.free();
    for (const vc of [...this.nsvcs]) this.removeNsvc(vc);
    this.counters.free();
  }
}
