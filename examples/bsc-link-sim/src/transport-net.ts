/** node:net implementation of transport.ts: IPA framing and a minimal CCM handshake (the baseline backend). */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { debuglog } from 'node:util';
import {
  IPA_PROTO_CCM, type ClientLink, type ClientLinkEvents, type ClientLinkOptions, type ServerConn, type ServerLink,
  type ServerLinkEvents, type ServerLinkOptions, type Transport,
} from './transport.js';

const debug = debuglog('osmo-linksim');
const CCM_PING = 0x00, CCM_PONG = 0x01, CCM_ID_GET = 0x04, CCM_ID_RESP = 0x05, CCM_ID_ACK = 0x06;
const TAG_UNIT_ID = 0x08;
const ENOTCONN = 107;

function frame(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(3); h.writeUInt16BE(payload.length, 0); h[2] = proto;
  return Buffer.concat([h, payload]);
}

/** Splits a byte stream into IPA frames; `onFrame` false or a too-long frame stops it. */
class Deframer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly max: number) {}
  push(chunk: Buffer, onFrame: (proto: number, payload: Buffer) => void): string | null {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let o = 0;
    while (this.buf.length - o >= 3) {
      const len = this.buf.readUInt16BE(o);
      if (3 + len > this.max) return `frame of ${3 + len} bytes exceeds ${this.max}`;
      if (this.buf.length - o < 3 + len) break;
      onFrame(this.buf[o + 2]!, Buffer.from(this.buf.subarray(o + 3, o + 3 + len)));
      o += 3 + len;
    }
    this.buf = this.buf.subarray(o);
    return null;
  }
}

class NetClient extends EventEmitter<ClientLinkEvents> implements ClientLink {
  private sock: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private up = false;
  private closed = true;
  constructor(private readonly o: ClientLinkOptions) { super(); }
  get isUp(): boolean { return this.up; }
  open(): void { this.closed = false; this.connect(); }
  private connect(): void {
    const s = net.connect({ host: this.o.host, port: this.o.port });
    s.setNoDelay(true);
    this.sock = s;
    const d = new Deframer(0xffff + 3);
    s.on('data', (chunk) => {
      const err = d.push(chunk, (proto, payload) => this.onFrame(proto, payload));
      if (err) s.destroy(new Error(err));
    });
    let connected = false;
    s.once('connect', () => { connected = true; this.emit('connected'); });
    s.on('error', (e: NodeJS.ErrnoException) => {
      debug('%s: %s', this.o.name, e.message);
      if (!connected) this.emit('connectError', { ...(e.code !== undefined ? { code: e.code } : {}), message: e.message });
    });
    s.on('close', () => {
      if (this.sock !== s) return;
      this.sock = null;
      const was = this.up; this.up = false;
      if (was) this.emit('down', 'connection lost');
      this.schedule();
    });
  }
  private schedule(): void {
    if (this.closed || this.timer || this.o.reconnectMs < 0) return;
    this.timer = setTimeout(() => { this.timer = null; if (!this.closed) this.connect(); }, this.o.reconnectMs);
  }
  private onFrame(proto: number, payload: Buffer): void {
    if (proto === IPA_PROTO_CCM) {
      const t = payload[0];
      if (t === CCM_ID_GET) {
        const v = Buffer.from(`${this.o.unitId}\0`, 'latin1');
        const ie = Buffer.alloc(3 + v.length); ie.writeUInt16BE(v.length + 1, 0); ie[2] = TAG_UNIT_ID; v.copy(ie, 3);
        this.sock?.write(frame(IPA_PROTO_CCM, Buffer.concat([Buffer.of(CCM_ID_RESP), ie])));
        this.sock?.write(frame(IPA_PROTO_CCM, Buffer.of(CCM_ID_ACK)));
      } else if (t === CCM_ID_ACK) {
        if (!this.up) { this.up = true; this.emit('up'); }
      } else if (t === CCM_PING) {
        this.sock?.write(frame(IPA_PROTO_CCM, Buffer.of(CCM_PONG)));
      }
      return;
    }
    if (this.up) this.emit('frame', proto, payload);
  }
  reconnect(): void { this.sock?.destroy(); }
  close(): void {
    this.closed = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const s = this.sock; this.sock = null;
    const was = this.up; this.up = false;
    s?.destroy();
    if (was) this.emit('down', 'closed');
  }
  send(proto: number, payload: Buffer): number {
    if (!this.up || !this.sock) return -ENOTCONN;
    this.sock.write(frame(proto, payload));
    return 0;
  }
}

class NetConn implements ServerConn {
  unitId: string | null = null;
  data: unknown = undefined;
  constructor(readonly sock: net.Socket, readonly name: string) {}
  send(proto: number, payload: Buffer): number {
    if (this.sock.destroyed) return -ENOTCONN;
    this.sock.write(frame(proto, payload)); return 0;
  }
  close(): void { this.sock.destroy(); }
}

class NetServer extends EventEmitter<ServerLinkEvents> implements ServerLink {
  private srv: net.Server | null = null;
  private readonly conns = new Set<net.Socket>();
  private boundPort = 0;
  constructor(private readonly o: ServerLinkOptions) { super(); }
  get port(): number { return this.boundPort; }
  open(): Promise<void> {
    const srv = net.createServer((s) => this.onAccept(s));
    this.srv = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.o.port, this.o.host, () => {
        this.boundPort = (srv.address() as net.AddressInfo).port; resolve();
      });
    });
  }
  private onAccept(s: net.Socket): void {
    s.setNoDelay(true);
    this.conns.add(s);
    const conn = new NetConn(s, `${this.o.name}:${s.remotePort ?? '?'}`);
    let up = false;
    const d = new Deframer(this.o.maxFrameLength ?? 0xffff + 3);
    s.write(frame(IPA_PROTO_CCM, Buffer.from('0401080107010201030104010501010100', 'hex')));
    const bad = (why: string): void => { this.emit('garbage', conn, why); s.destroy(); };
    s.on('data', (chunk) => {
      const err = d.push(chunk, (proto, payload) => {
        if (s.destroyed) return;
        if (proto === IPA_PROTO_CCM) {
          const t = payload[0];
          if (t === CCM_PING) s.write(frame(IPA_PROTO_CCM, Buffer.of(CCM_PONG)));
          else if (t === CCM_ID_ACK) s.write(frame(IPA_PROTO_CCM, Buffer.of(CCM_ID_ACK)));
          else if (t === CCM_ID_RESP && !up) {
            let o = 1;
            while (o + 3 <= payload.length) {
              const l = payload.readUInt16BE(o), tag = payload[o + 2]!;
              if (l < 1 || o + 2 + l > payload.length) break;
              if (tag === TAG_UNIT_ID) conn.unitId = payload.subarray(o + 3, o + 2 + l).toString('latin1').replace(/\0.*$/s, '');
              o += 2 + l;
            }
            if (conn.unitId === null) { bad('ID_RESP without unit id'); return; }
            up = true; this.emit('up', conn);
          }
          return;
        }
        if (!up) { bad(`proto 0x${proto.toString(16)} before identification`); return; }
        this.emit('frame', conn, proto, payload);
      });
      if (err) bad(err);
    });
    s.on('error', (e) => debug('%s: %s', conn.name, e.message));
    s.on('close', () => { this.conns.delete(s); if (up) this.emit('down', conn, 'connection lost'); });
  }
  close(): void {
    this.srv?.close(); this.srv = null;
    for (const s of this.conns) s.destroy();
  }
}

export function netTransport(): Transport {
  return {
    kind: 'node-net', backend: 'node-net',
    client: (o) => new NetClient(o),
    server: (o) => new NetServer(o),
    stats: () => null,
  };
}
