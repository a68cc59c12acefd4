/** Test helpers: a scripted NS peer on node:dgram (independent of @osmo/io), waiting, short timers. */
import dgram from 'node:dgram';
import { CtrlRegistry } from '@osmo/ctrl';
import { decodeNs, encodeNs, NsInstance, type NsPdu } from '../src/index.js';

import { until } from '../../io/test/loop.js';

export { sleep, until } from '../../io/test/loop.js';

/** timers for tests: 100 ms procedures, tns-test 0.3 s */
export const SHORT = {
  'tns-block': 0.1, 'tns-reset': 0.1, 'tns-test': 0.3, 'tns-alive': 0.1, 'tns-alive-retries': 3, 'tsns-prov': 0.1,
} as const;

export function instance(timers: Record<string, number> = SHORT): NsInstance {
  return new NsInstance({ timers, registry: new CtrlRegistry({ autoTick: false }) });
}

/** A scripted peer: records every datagram it receives (decoded) and sends raw bytes or PDUs. */
export class Peer {
  readonly sock = dgram.createSocket('udp4');
  readonly rx: { pdu: NsPdu | null; raw: Buffer; from: dgram.RemoteInfo }[] = [];
  port = 0;
  /** answer NS-ALIVE with NS-ALIVE-ACK */
  autoAlive = false;
  static async open(address = '127.0.0.1', type: 'udp4' | 'udp6' = 'udp4'): Promise<Peer> {
    const p = new Peer(type);
    await new Promise<void>((r) => p.sock.bind(0, address, r));
    p.port = p.sock.address().port;
    return p;
  }
  private constructor(type: 'udp4' | 'udp6') {
    if (type === 'udp6') (this as { sock: dgram.Socket }).sock = dgram.createSocket('udp6');
    this.sock.on('message', (raw, from) => {
      let pdu: NsPdu | null = null;
      try { pdu = decodeNs(raw); } catch { /* kept raw */ }
      this.rx.push({ pdu, raw, from });
      if (this.autoAlive && pdu?.type === 'NS-ALIVE') this.sock.send(Buffer.from([0x0b]), from.port, from.address);
    });
  }
  send(p: NsPdu | Buffer | string, port: number, address = '127.0.0.1'): void {
    const b = typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : Buffer.isBuffer(p) ? p : encodeNs(p);
    this.sock.send(b, port, address);
  }
  types(): string[] { return this.rx.map((r) => r.pdu?.type ?? `raw:${r.raw.toString('hex')}`); }
  count(type: string): number { return this.rx.filter((r) => r.pdu?.type === type).length; }
  last(type: string): NsPdu | undefined { return [...this.rx].reverse().find((r) => r.pdu?.type === type)?.pdu ?? undefined; }
  async waitFor(type: string, n = 1, ms = 3000): Promise<NsPdu> {
    await until(() => this.count(type) >= n, ms, `${n} x ${type} (got ${this.types().join(',')})`);
    return this.rx.filter((r) => r.pdu?.type === type)[n - 1]!.pdu!;
  }
  clear(): void { this.rx.length = 0; }
  close(): void { this.sock.close(); }
}
