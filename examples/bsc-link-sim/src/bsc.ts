/**
 * BSC side: accepts OML (3002) and RSL (3003) IPA links (the transport sends ID_GET), drives the OML bring-up
 * minimally (bsc-oml.ts), checks the RSL MEASurement RESult sequence numbers per TRX, and reports link changes
 * for the CTRL interface (ctrl-tree.ts). A peer that sends garbage is disconnected; one that stalls mid-frame only
 * holds its own connection. State is kept only for the BTS/TRX it is configured for (`maxBts` x `maxTrx`, as
 * osmo-bsc knows only its configured BTS): a unit id outside is refused, so peers cannot grow it without bound.
 */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import { IpaProto } from '@osmo/ipa';
import { BscOml } from './bsc-oml.js';
import { decodeOml } from './oml.js';
import { decodeMeasResult } from './rsl.js';
import { SeqCheck } from './stats.js';
import { listening, type ServerConn, type ServerLink, type Transport } from './transport.js';
import { OmlDecodeError, RslDecodeError } from './errors.js';

const debug = debuglog('osmo-linksim');
/** OML and RSL frames are small; anything longer is garbage and closes the connection. */
const MAX_FRAME = 2048;

export interface BscSideOptions {
  transport: Transport;
  host: string;
  omlPort: number;
  rslPort: number;
  /** BTS number N of unit id `site/…` is site - siteBase */
  siteBase: number;
  /** BTS numbers 0..maxBts-1 are accepted (default 1024); other unit ids are refused (the connection is closed) */
  maxBts?: number;
  /** TRX numbers 0..maxTrx-1 are accepted (default 8) */
  maxTrx?: number;
}

export const DEFAULT_MAX_BTS = 1024;
export const DEFAULT_MAX_TRX = 8;

export interface BscTrxState { rslUp: boolean; rx: SeqCheck; rslConnects: number }
export interface BscBtsState {
  nr: number;
  omlUp: boolean;
  omlConnects: number;
  omlRx: number;
  omlDecodeErrors: number;
  oml: BscOml | null;
  trx: Map<number, BscTrxState>;
}

export interface BscSideEvents {
  /** a link state changed: for CTRL TRAPs (variable, value) */
  link: [variable: string, value: string];
  garbage: [who: string, reason: string];
}

export class BscSide extends EventEmitter<BscSideEvents> {
  readonly bts = new Map<number, BscBtsState>();
  garbageDrops = 0;
  /** connections refused because their unit id is outside maxBts x maxTrx (or does not parse) */
  rejectedUnits = 0;
  private omlSrv: ServerLink | null = null;
  private rslSrv: ServerLink | null = null;

  constructor(readonly opts: BscSideOptions) { super(); }

  get omlPort(): number { return this.omlSrv?.port ?? 0; }
  get rslPort(): number { return this.rslSrv?.port ?? 0; }

  private parseUnit(conn: ServerConn): { nr: number; trx: number } | null {
    const m = /^(\d+)\/(\d+)\/(\d+)/.exec(conn.unitId ?? '');
    if (!m) return null;
    const nr = Number(m[1]) - this.opts.siteBase, trx = Number(m[3]);
    if (nr < 0 || nr >= (this.opts.maxBts ?? DEFAULT_MAX_BTS) || trx >= (this.opts.maxTrx ?? DEFAULT_MAX_TRX)) return null;
    return { nr, trx };
  }

  private btsState(nr: number): BscBtsState {
    let b = this.bts.get(nr);
    if (!b) { b = { nr, omlUp: false, omlConnects: 0, omlRx: 0, omlDecodeErrors: 0, oml: null, trx: new Map() }; this.bts.set(nr, b); }
    return b;
  }
  trxState(b: BscBtsState, t: number): BscTrxState {
    let s = b.trx.get(t);
    if (!s) { s = { rslUp: false, rx: new SeqCheck(), rslConnects: 0 }; b.trx.set(t, s); }
    return s;
  }

  /** 'connected' (OML and every RSL link the BTS was asked to open), 'degraded' (OML only) or 'disconnected' */
  omlConnectionState(b: BscBtsState): string {
    if (!b.omlUp) return 'disconnected';
    const asked = b.oml ? [...b.oml.rslConnected] : [];
    return asked.length > 0 && asked.every((t) => b.trx.get(t)?.rslUp) ? 'connected' : 'degraded';
  }

  private notify(b: BscBtsState, trx?: number): void {
    this.emit('link', `bts.${b.nr}.oml-connection-state`, this.omlConnectionState(b));
    if (trx !== undefined) this.emit('link', `bts.${b.nr}.trx.${trx}.rsl-connection-state`, b.trx.get(trx)?.rslUp ? 'connected' : 'disconnected');
  }

  async start(): Promise<void> {
    const T = this.opts.transport;
    const oml = T.server({ host: this.opts.host, port: this.opts.omlPort, name: 'bsc-oml', maxFrameLength: MAX_FRAME });
    const rsl = T.server({ host: this.opts.host, port: this.opts.rslPort, name: 'bsc-rsl', maxFrameLength: MAX_FRAME });
    this.omlSrv = oml; this.rslSrv = rsl;
    for (const s of [oml, rsl]) {
      s.on('garbage', (c, why) => { this.garbageDrops++; debug('%s: dropped: %s', c.name, why); this.emit('garbage', c.name, why); });
    }
    oml.on('up', (c) => {
      const u = this.parseUnit(c);
      if (!u) { this.garbageDrops++; this.rejectedUnits++; debug('%s: unit id %s refused', c.name, c.unitId); c.close(); return; }
      const b = this.btsState(u.nr);
      c.data = b;
      b.omlUp = true; b.omlConnects++;
      b.oml = new BscOml({ rslPort: this.rslPort });
      this.notify(b);
    });
    oml.on('down', (c) => {
      const b = c.data as BscBtsState | undefined;
      if (!b) return;
      b.omlUp = false; b.oml = null;
      this.notify(b);
    });
    oml.on('frame', (c, proto, payload) => {
      const b = c.data as BscBtsState | undefined;
      if (!b?.oml || proto !== IpaProto.OML) return;
      b.omlRx++;
      let m;
      try { m = decodeOml(payload); } catch (e) {
        if (e instanceof OmlDecodeError) { b.omlDecodeErrors++; return; }
        throw e;
      }
      const before = this.omlConnectionState(b);
      const r = b.oml.handle(m);
      for (const x of r.replies) c.send(IpaProto.OML, x);
      if (this.omlConnectionState(b) !== before) this.notify(b);
    });
    rsl.on('up', (c) => {
      const u = this.parseUnit(c);
      if (!u) { this.garbageDrops++; this.rejectedUnits++; debug('%s: unit id %s refused', c.name, c.unitId); c.close(); return; }
      const b = this.btsState(u.nr);
      const t = this.trxState(b, u.trx);
      c.data = t;
      t.rslUp = true; t.rslConnects++;
      this.notify(b, u.trx);
    });
    rsl.on('down', (c) => {
      const t = c.data as BscTrxState | undefined;
      const u = this.parseUnit(c);
      if (!t || !u) return;
      t.rslUp = false;
      this.notify(this.btsState(u.nr), u.trx);
    });
    rsl.on('frame', (c, proto, payload) => {
      const t = c.data as BscTrxState | undefined;
      if (!t || proto !== IpaProto.RSL) return;
      try {
        t.rx.accept(decodeMeasResult(payload).seq);
      } catch (e) {
        if (e instanceof RslDecodeError) { t.rx.decodeErrors++; return; }
        throw e;
      }
    });
    await listening(oml);
    await listening(rsl);
  }

  totals(): { received: number; lost: number; duplicates: number; decodeErrors: number; omlUp: number; rslUp: number } {
    let received = 0, lost = 0, duplicates = 0, decodeErrors = 0, omlUp = 0, rslUp = 0;
    for (const b of this.bts.values()) {
      if (b.omlUp) omlUp++;
      for (const t of b.trx.values()) {
        received += t.rx.received; lost += t.rx.lost; duplicates += t.rx.duplicates; decodeErrors += t.rx.decodeErrors;
        if (t.rslUp) rslUp++;
      }
    }
    return { received, lost, duplicates, decodeErrors, omlUp, rslUp };
  }

  close(): void {
    this.omlSrv?.close(); this.rslSrv?.close();
    this.omlSrv = null; this.rslSrv = null;
  }
}
