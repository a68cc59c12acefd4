/**
 * BTS side: N BTS x M TRX. Per BTS one OML link (unit id `site/0/0`) that runs the OML bring-up; per TRX one RSL
 * link (unit id `site/0/trx`) opened when the BSC sends the ip.access RSL Connect; RSL MEASurement RESults with a
 * sequence number at a configurable rate per TRX; links come back after a loss (the OML bring-up is redone, the
 * TRX sequence numbers continue, so the receiver sees any loss as a gap).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { debuglog } from 'node:util';
import { IpaProto } from '@osmo/ipa';
import { OmlBringup } from './oml-bringup.js';
import { decodeOml, describeOml } from './oml.js';
import { encodeMeasResult, syntheticMeasResult } from './rsl.js';
import type { ClientLink, Transport } from './transport.js';
import { OmlDecodeError } from './errors.js';

const debug = debuglog('osmo-linksim');

export interface BtsSideOptions {
  transport: Transport;
  host: string;
  omlPort: number;
  /** RSL port to use instead of the one in RSL Connect */
  rslPort?: number;
  bts: number;
  trx: number;
  /** RSL messages per second per TRX (0: none) */
  rate: number;
  /** unit id of BTS i is `${siteBase + i}/0/trx` */
  siteBase: number;
  reconnectMs: number;
}

export interface BtsSideEvents {
  'oml-up': [bts: number];
  'oml-down': [bts: number, reason: string];
  'bts-up': [bts: number];
  'rsl-up': [bts: number, trx: number];
  'rsl-down': [bts: number, trx: number, reason: string];
  /** an OML connect attempt failed (refused, timed out, name not found ...); the link retries */
  'connect-error': [bts: number, err: { code?: string; message: string }];
}

class SimTrx {
  rsl: ClientLink | null = null;
  seq = 0;
  sent = 0;
  owed = 0;
  constructor(readonly nr: number) {}
}

class SimBts {
  readonly oml: ClientLink;
  readonly fsm: OmlBringup;
  readonly trxs: SimTrx[];
  bringups = 0;
  omlDecodeErrors = 0;
  constructor(readonly index: number, readonly site: number, readonly side: BtsSide, o: BtsSideOptions) {
    // ip.access OML carries IPv4 addresses only: over IPv6 the RSL Connect ACK reports 0.0.0.0
    this.fsm = new OmlBringup({ trx: o.trx, omlPeerIp: net.isIPv4(o.host) ? o.host : '0.0.0.0' });
    this.trxs = Array.from({ length: o.trx }, (_, t) => new SimTrx(t));
    this.oml = o.transport.client({ host: o.host, port: o.omlPort, unitId: `${site}/0/0`, name: `oml-${site}`, reconnectMs: o.reconnectMs });
    this.oml.on('connected', () => { side.omlConnects++; });
    this.oml.on('connectError', (err) => {
      side.connectErrors++;
      side.lastConnectError = { ...(err.code !== undefined ? { code: err.code } : {}), message: err.message };
      side.emit('connect-error', index, err);
    });
    this.oml.on('up', () => {
      debug('bts %d: OML up', index);
      side.omlUps++;
      side.emit('oml-up', index);
      for (const b of this.fsm.start()) this.oml.send(IpaProto.OML, b);
    });
    this.oml.on('down', (reason) => {
      debug('bts %d: OML down (%s)', index, reason);
      side.reconnects++;
      side.emit('oml-down', index, reason);
      for (const t of this.trxs) this.closeRsl(t);   // as osmo-bts does: no RSL without OML
    });
    this.oml.on('frame', (proto, payload) => { if (proto === IpaProto.OML) this.onOml(payload); });
  }

  private onOml(payload: Buffer): void {
    let m;
    try { m = decodeOml(payload); } catch (e) {
      if (e instanceof OmlDecodeError) { this.omlDecodeErrors++; debug('bts %d: bad OML: %s', this.index, e.message); return; }
      throw e;
    }
    debug('bts %d: RX %s', this.index, describeOml(m));
    const r = this.fsm.handle(m);
    for (const b of r.replies) this.oml.send(IpaProto.OML, b);
    for (const ev of r.events) {
      if (ev.type === 'rsl-connect') this.openRsl(ev.trx, ev.ip, ev.port);
      else if (ev.type === 'bts-up') { this.bringups++; this.side.emit('bts-up', this.index); }
    }
  }

  private openRsl(trxNr: number, ip: string | null, port: number): void {
    const t = this.trxs[trxNr];
    if (!t) return;
    this.closeRsl(t);
    const o = this.side.opts;
    const rsl = o.transport.client({
      host: ip ?? o.host, port: o.rslPort ?? port, unitId: `${this.site}/0/${trxNr}`,
      name: `rsl-${this.site}-${trxNr}`, reconnectMs: o.reconnectMs,
    });
    t.rsl = rsl;
    rsl.on('up', () => { t.owed = 0; this.side.emit('rsl-up', this.index, trxNr); });
    rsl.on('down', (reason) => {
      if (t.rsl === rsl) this.side.reconnects++;
      this.side.emit('rsl-down', this.index, trxNr, reason);
    });
    rsl.open();
  }

  private closeRsl(t: SimTrx): void {
    const r = t.rsl; t.rsl = null;
    r?.close();
  }

  close(): void {
    for (const t of this.trxs) this.closeRsl(t);
    this.oml.close();
  }
}

export class BtsSide extends EventEmitter<BtsSideEvents> {
  readonly btss: SimBts[] = [];
  reconnects = 0;
  /** OML links that completed the identity handshake, over the run */
  omlUps = 0;
  /** OML TCP connections established (handshake done or not) */
  omlConnects = 0;
  /** failed OML connect attempts, and the last one's error */
  connectErrors = 0;
  lastConnectError: { code?: string; message: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private trafficOn = false;

  constructor(readonly opts: BtsSideOptions) {
    super();
    for (let i = 0; i < opts.bts; i++) this.btss.push(new SimBts(i, opts.siteBase + i, this, opts));
  }

  start(): void {
    for (const b of this.btss) b.oml.open();
    this.trafficOn = true;
    this.last = performance.now();
    if (this.opts.rate > 0) this.timer = setInterval(() => this.tick(), 10);
  }

  /** stop generating RSL traffic (links stay up) */
  stopTraffic(): void {
    this.trafficOn = false;
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
  }

  private tick(): void {
    const now = performance.now();
    const dt = Math.min(now - this.last, 1000) / 1000;
    this.last = now;
    if (!this.trafficOn) return;
    for (const b of this.btss) {
      for (const t of b.trxs) {
        if (!t.rsl?.isUp) continue;
        t.owed += this.opts.rate * dt;
        while (t.owed >= 1) {
          t.owed -= 1;
          const rc = t.rsl.send(IpaProto.RSL, encodeMeasResult(syntheticMeasResult(t.seq)));
          if (rc !== 0) { t.owed = 0; break; }   // not queued: the sequence number is not used up
          t.seq = (t.seq + 1) >>> 0; t.sent++;
        }
      }
    }
  }

  get sent(): number { return this.btss.reduce((s, b) => s + b.trxs.reduce((x, t) => x + t.sent, 0), 0); }
  get omlUp(): number { return this.btss.filter((b) => b.oml.isUp).length; }
  get rslUp(): number { return this.btss.reduce((s, b) => s + b.trxs.filter((t) => t.rsl?.isUp).length, 0); }
  get bringups(): number { return this.btss.reduce((s, b) => s + b.bringups, 0); }

  /** Robustness: drop the OML link of BTS i (it comes back after the reconnect delay and redoes the bring-up). */
  dropOml(i: number): void { this.btss[i]?.oml.reconnect(); }
  /** Robustness: drop one RSL link (it reconnects by itself). */
  dropRsl(i: number, trx: number): void { this.btss[i]?.trxs[trx]?.rsl?.reconnect(); }

  close(): void {
    this.stopTraffic();
    for (const b of this.btss) b.close();
  }
}
