/**
 * osmo-ns-dummy: an NS endpoint for scenarios, like upstream's utils/osmo-ns-dummy but driven over CTRL.
 * Binds, NSEs (ipaccess / static-alive / IP-SNS in either role), events as readable or JSON lines.
 */
import { CtrlServer } from '@osmo/ctrl';
import { NsInstance } from './instance.js';
import { isTimerName } from './timers.js';
import { nsCtrlTree, endpoint } from './dummy-ctrl.js';
import { bvcReset, bvcResetAck, parseBvcReset } from './bssgp-min.js';
import type { NsDialect, NsRole, Nse } from './nse.js';
import { NsUsageError } from './errors.js';

export const USAGE = `usage: osmo-ns-dummy [--bind IP:PORT]...            UDP binds (default 127.0.0.1:23000); port 0 = any, printed
              [--nse NSEI [--dialect ipaccess|static-alive|sns] [--role bss|sgsn]
                          [--nsvc IP:PORT[/NSVCI][@SIG,DATA]]... [--sns-remote IP:PORT]...]...
              [--accept-ipaccess] [--accept-sns]   accept NS-RESET / SNS-SIZE from unknown peers (dynamic NSE)
              [--timer NAME=VALUE]...        upstream timer names, e.g. tns-alive=1
              [--bvc-reset BVCI]...          once an NSE is alive, send BSSGP BVC-RESET (O&M) on it, print the answer
              [--bvc-reset-ack]              answer every received BSSGP BVC-RESET with a BVC-RESET-ACK
              [--ctrl PORT] [--json]         CTRL on 127.0.0.1:PORT; --json: one JSON object per line on stdout`;

interface Ep { address: string; port: number }
export interface NseConfig {
  nsei: number;
  dialect?: NsDialect;
  role?: NsRole;
  nsvcs: (Ep & { nsvci?: number; sigWeight?: number; dataWeight?: number })[];
  snsRemotes: Ep[];
}
export interface DummyConfig {
  binds: Ep[];
  nses: NseConfig[];
  acceptIpaccess: boolean;
  acceptSns: boolean;
  timers: Record<string, number>;
  bvcResets: number[];
  bvcResetAck: boolean;
  ctrl: number | null;
  json: boolean;
}

function int(s: string | undefined, what: string, max: number): number {
  if (s === undefined || !/^\d+$/.test(s) || Number(s) > max) throw new NsUsageError(`${what}: expected 0..${max}, got ${s ?? 'nothing'}`);
  return Number(s);
}

/** IP:PORT or [IPv6]:PORT */
export function parseEp(s: string | undefined, what: string): Ep {
  const m = s === undefined ? null : /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(s);
  if (!m) throw new NsUsageError(`${what}: expected IP:PORT or [IPv6]:PORT, got ${s ?? 'nothing'}`);
  return { address: (m[1] ?? m[2])!, port: int(m[3], `${what} port`, 65535) };
}

export function parseArgs(argv: readonly string[]): DummyConfig {
  const c: DummyConfig = { binds: [], nses: [], acceptIpaccess: false, acceptSns: false, timers: {}, bvcResets: [], bvcResetAck: false, ctrl: null, json: false };
  let nse: NseConfig | null = null;
  const needNse = (opt: string): NseConfig => { if (!nse) throw new NsUsageError(`${opt} must follow --nse`); return nse; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => { const x = argv[++i]; if (x === undefined) throw new NsUsageError(`${a} needs a value`); return x; };
    switch (a) {
      case '--bind': c.binds.push(parseEp(v(), a)); break;
      case '--nse': nse = { nsei: int(v(), a, 65535), nsvcs: [], snsRemotes: [] }; c.nses.push(nse); break;
      case '--dialect': {
        const d = v();
        if (d !== 'ipaccess' && d !== 'static-alive' && d !== 'sns') throw new NsUsageError(`--dialect: ipaccess, static-alive or sns, got ${d}`);
        needNse(a).dialect = d;
        break;
      }
      case '--role': {
        const r = v();
        if (r !== 'bss' && r !== 'sgsn') throw new NsUsageError(`--role: bss or sgsn, got ${r}`);
        needNse(a).role = r;
        break;
      }
      case '--nsvc': {
        const n = needNse(a);
        const m = /^([^/@]+)(?:\/(\d+))?(?:@(\d+),(\d+))?$/.exec(v());
        if (!m) throw new NsUsageError(`--nsvc: expected IP:PORT[/NSVCI][@SIG,DATA], got ${argv[i]}`);
        const ep = parseEp(m[1], a);
        n.nsvcs.push({
          ...ep,
          ...(m[2] !== undefined ? { nsvci: int(m[2], 'NSVCI', 65535) } : {}),
          ...(m[3] !== undefined ? { sigWeight: int(m[3], 'signalling weight', 255), dataWeight: int(m[4], 'data weight', 255) } : {}),
        });
        break;
      }
      case '--sns-remote': needNse(a).snsRemotes.push(parseEp(v(), a)); break;
      case '--accept-ipaccess': c.acceptIpaccess = true; break;
      case '--accept-sns': c.acceptSns = true; break;
      case '--timer': {
        const m = /^([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(v());
        if (!m || !isTimerName(m[1]!)) throw new NsUsageError(`--timer: expected NAME=VALUE with an upstream timer name, got ${argv[i]}`);
        c.timers[m[1]!] = Number(m[2]);
        break;
      }
      case '--bvc-reset': c.bvcResets.push(int(v(), a, 65535)); break;
      case '--bvc-reset-ack': c.bvcResetAck = true; break;
      case '--ctrl': c.ctrl = int(v(), a, 65535); break;
      case '--json': c.json = true; break;
      case '-h': case '--help': throw new NsUsageError('');
      default: throw new NsUsageError(`unknown option ${a}`);
    }
  }
  if (c.binds.length === 0) c.binds.push({ address: '127.0.0.1', port: 23000 });
  for (const n of c.nses) {
    n.dialect ??= n.snsRemotes.length || n.role === 'sgsn' ? 'sns' : n.nsvcs.some((x) => x.nsvci !== undefined) ? 'ipaccess' : 'static-alive';
    if (n.dialect === 'ipaccess' && n.nsvcs.some((x) => x.nsvci === undefined)) throw new NsUsageError(`NSE ${n.nsei}: ipaccess NS-VCs need /NSVCI`);
    if (n.dialect === 'sns' && (n.role ?? 'bss') === 'bss' && n.snsRemotes.length === 0) throw new NsUsageError(`NSE ${n.nsei}: an IP-SNS BSS needs --sns-remote`);
  }
  return c;
}

export interface DummyIo {
  out(line: string): void;
  err(line: string): void;
  isTty?: boolean;
}

/** A running osmo-ns-dummy (also usable in-process by tests). */
export class NsDummy {
  readonly ns: NsInstance;
  readonly ctrl: CtrlServer | null = null;
  readonly stats = { unitdataIn: 0, unitdataOut: 0, bvcResetsAnswered: 0, bvcResetAcks: 0 };
  private statusTimer: NodeJS.Timeout | null = null;

  constructor(readonly cfg: DummyConfig, private readonly io: DummyIo) {
    this.ns = new NsInstance({ timers: cfg.timers });
    for (const b of cfg.binds) this.ns.bind({ ...b, acceptIpaccess: cfg.acceptIpaccess, acceptSns: cfg.acceptSns });
    this.wire();
    if (cfg.ctrl !== null) {
      this.ctrl = new CtrlServer({ tree: nsCtrlTree(this.ns), port: cfg.ctrl, registry: this.ns.registry, name: 'ns-dummy-ctrl' });
      this.ctrl.open();
    }
    this.emit({ event: 'listening', binds: this.ns.binds.map((b) => b.name), ctrl: this.ctrl?.port ?? null },
      `listening on ${this.ns.binds.map((b) => b.name).join(', ')}${this.ctrl ? `, CTRL on 127.0.0.1:${this.ctrl.port}` : ''}`);
    for (const n of cfg.nses) this.createNse(n);
    for (const n of cfg.nses) {
      const nse = this.ns.nse(n.nsei)!;
      if (nse.dialect === 'sns' && nse.role === 'bss') nse.startSns();
    }
    if (!cfg.json && io.isTty) {
      this.statusTimer = setInterval(() => io.err(`\r${this.statusLine()}   `), 1000);
      this.statusTimer.unref();
    }
  }

  private createNse(n: NseConfig): void {
    const nse = this.ns.createNse(n.nsei, { dialect: n.dialect!, role: n.role ?? 'bss' });
    for (const r of n.snsRemotes) nse.addSnsEndpoint(r.address, r.port);
    for (const v of n.nsvcs) {
      const fam = v.address.includes(':') ? 'IPv6' : 'IPv4';
      const bind = this.ns.binds.find((b) => b.local.family === fam);
      if (!bind) throw new NsUsageError(`NS-VC ${v.address}:${v.port}: no ${fam} bind`);
      this.ns.connect(nse, bind, v.address, v.port, v);
    }
  }

  private closed = false;
  private emit(obj: Record<string, unknown>, text: string): void {
    if (this.closed) return;
    this.io.out(this.cfg.json ? JSON.stringify(obj) : text);
  }

  private wire(): void {
    const ns = this.ns;
    ns.on('nsvc', (vc) => {
      if (vc.snsOnly) return;
      this.emit({ event: 'nsvc', nsei: vc.nse.nsei, nsvc: vc.index, remote: endpoint(vc), state: vc.state },
        `NSE ${vc.nse.nsei} NS-VC ${vc.index} ${endpoint(vc)} ${vc.state}`);
    });
    ns.on('nse', (nse) => {
      this.emit({ event: 'nse', nsei: nse.nsei, alive: nse.alive }, `NSE ${nse.nsei} ${nse.alive ? 'alive' : 'dead'}`);
      if (nse.alive) for (const bvci of this.cfg.bvcResets) this.sendBvcReset(nse, bvci);
    });
    ns.on('sns', (nse, st) => this.emit({ event: 'sns', nsei: nse.nsei, state: st }, `NSE ${nse.nsei} SNS ${st}`));
    ns.on('mtu', (nse) => this.emit({ event: 'mtu', nsei: nse.nsei, mtu: nse.mtu }, `NSE ${nse.nsei} MTU ${nse.mtu}`));
    ns.on('unitdata', (u) => {
      this.stats.unitdataIn++;
      const first = u.sdu.length ? `0x${u.sdu[0]!.toString(16).padStart(2, '0')}` : null;
      // the LSP is not on the wire: null on receive
      this.emit({ event: 'unitdata', nsei: u.nsei, bvci: u.bvci, lsp: null, len: u.sdu.length, bssgp: first, nsvc: u.nsvc.index },
        `NSE ${u.nsei} unitdata BVCI ${u.bvci} len ${u.sdu.length} BSSGP ${first ?? '-'}`);
      const b = parseBvcReset(u.sdu);
      if (!b) return;
      if (b.pdu === 'BVC-RESET-ACK') {
        this.stats.bvcResetAcks++;
        this.emit({ event: 'bvc-reset-ack', nsei: u.nsei, bvci: b.bvci }, `NSE ${u.nsei} BVC-RESET-ACK BVCI ${b.bvci}`);
      } else if (this.cfg.bvcResetAck) {
        const rc = ns.sendUnitdata(u.nsei, 0, 0, bvcResetAck(b.bvci));
        if (rc === 0) { this.stats.bvcResetsAnswered++; this.stats.unitdataOut++; }
        this.emit({ event: 'bvc-reset', nsei: u.nsei, bvci: b.bvci, answered: rc === 0 }, `NSE ${u.nsei} BVC-RESET BVCI ${b.bvci} -> BVC-RESET-ACK${rc ? ` failed (${rc})` : ''}`);
      }
    });
  }

  private sendBvcReset(nse: Nse, bvci: number): void {
    const rc = this.ns.sendUnitdata(nse.nsei, 0, 0, bvcReset(bvci));
    if (rc === 0) this.stats.unitdataOut++;
    this.emit({ event: 'bvc-reset-sent', nsei: nse.nsei, bvci, rc }, `NSE ${nse.nsei} BVC-RESET BVCI ${bvci} sent${rc ? ` failed (${rc})` : ''}`);
  }

  statusLine(): string {
    const nses = [...this.ns.nses.values()].map((n) => {
      const vcs = n.nsvcs.filter((v) => !v.snsOnly);
      return `NSE ${n.nsei} ${n.alive ? 'alive' : 'dead'} ${vcs.filter((v) => v.isUnblocked).length}/${vcs.length} unblocked`;
    });
    return `${nses.join(' | ') || 'no NSE'} | unitdata in ${this.stats.unitdataIn} out ${this.stats.unitdataOut}`;
  }

  close(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    const summary = {
      event: 'summary', ...this.stats,
      nses: [...this.ns.nses.values()].map((n) => ({
        nsei: n.nsei, alive: n.alive, sns: n.snsState ?? null,
        nsvcs: n.nsvcs.filter((v) => !v.snsOnly).map((v) => ({ nsvc: v.index, remote: endpoint(v), state: v.state, rx: v.counters.pktsIn.current, tx: v.counters.pktsOut.current })),
      })),
    };
    this.emit(summary, `summary: ${this.statusLine()}`);
    this.closed = true;
    this.ctrl?.close();
    this.ns.close();
  }
}

/** The process entry point: returns the exit code (2 on usage errors); SIGINT/SIGTERM end with 0 after a summary. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const io: DummyIo = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l), isTty: process.stderr.isTTY };
  let cfg: DummyConfig;
  try {
    cfg = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof NsUsageError)) throw e;
    if (e.message) process.stderr.write(`osmo-ns-dummy: ${e.message}\n`);
    process.stderr.write(USAGE + '\n');
    return e.message ? 2 : 0;
  }
  let d: NsDummy;
  try {
    d = new NsDummy(cfg, io);
  } catch (e) {
    process.stderr.write(`osmo-ns-dummy: ${(e as Error).message}\n`);
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const stop = (): void => { d.close(); resolve(0); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
