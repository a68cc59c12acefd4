/**
 * node:net implementation of transport.ts (the baseline backend). Its point is the I/O path a plain Node program
 * takes: socket 'data' chunks reassembled into frames in JS (Deframer) and written with socket.write, so that is
 * all it keeps of its own; frame and CCM encoding/decoding and the protocol numbers are @osmo/ipa's.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { debuglog } from 'node:util';
import {
  ccmIdAckFrame, ccmIdGet, ccmIdResp, ccmPongFrame, decodeCcmPayload, encodeCcmFrame, encodeIpaFrame, idItemsToIdentity,
  IPA_HEADER_LEN, IpaDecodeError, IpaIdTag, IpaProto, type CcmMessage,
} from '@osmo/ipa';
import type {
  ClientLink, ClientLinkEvents, ClientLinkOptions, ServerConn, ServerLink, ServerLinkEvents, ServerLinkOptions, Transport,
} from './transport.js';

const debug = debuglog('osmo-linksim');
const ENOTCONN = osConstants.errno.ENOTCONN;
/** what a server asks for: the 8 tags of upstream servers */
const ID_GET_FRAME = encodeCcmFrame(ccmIdGet());

/**
 * Splits a byte stream into IPA frames; a too-long frame stops it. Kept here on purpose, with the length read inline:
 * this per-chunk JS reassembly is what the baseline measures (what a plain Node program does per frame).
 */
class Deframer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly max: number) {}
  push(chunk: Buffer, onFrame: (proto: number, payload: Buffer) => void): string | null {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let o = 0;
    while (this.buf.length - o >= IPA_HEADER_LEN) {
      const len = this.buf.readUInt16BE(o);
      if (IPA_HEADER_LEN + len > this.max) return `frame of ${IPA_HEADER_LEN + len} bytes exceeds ${this.max}`;
      if (this.buf.length - o < IPA_HEADER_LEN + len) break;
      onFrame(this.buf[o + 2]!, Buffer.from(this.buf.subarray(o + IPA_HEADER_LEN, o + IPA_HEADER_LEN + len)));
      o += IPA_HEADER_LEN + len;
    }
    this.buf = this.buf.subarray(o);
    return null;
  }
}

/** a CCM payload, or null when it does not decode (the baseline ignores such frames, as IpaLink reports them) */
function decodeCcm(payload: Buffer): CcmMessage | null {
  try {
    return decodeCcmPayload(payload);
  } catch (e) {
    if (!(e instanceof IpaDecodeError)) throw e;
    debug('undecodable CCM: %s', e.message);
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
  open(): void {
    if (this.sock) return; // connecting or connected already (as IpaClient)
    this.closed = false;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; } // waiting to reconnect: try now
    this.connect();
  }
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
    if (proto === IpaProto.CCM) {
      const m = decodeCcm(payload);
      if (m?.type === 'ID_GET') {
        // a minimal identity: the unit id only, whatever was asked for
        this.sock?.write(encodeCcmFrame(ccmIdResp({ unitId: this.o.unitId }, [IpaIdTag.UNIT])));
        this.sock?.write(ccmIdAckFrame());
      } else if (m?.type === 'ID_ACK') {
        if (!this.up) { this.up = true; this.emit('up'); }
      } else if (m?.type === 'PING') {
        this.sock?.write(ccmPongFrame());
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
    this.sock.write(encodeIpaFrame(proto, payload));
    return 0;
  }
}

class NetConn implements ServerConn {
  unitId: string | null = null;
  data: unknown = undefined;
  constructor(readonly sock: net.Socket, readonly name: string) {}
  send(proto: number, payload: Buffer): number {
    if (this.sock.destroyed) return -ENOTCONN;
    this.sock.write(encodeIpaFrame(proto, payload)); return 0;
  }
  close(): void { this.sock.destroy(); }
}

class NetServer extends EventEmitter<ServerLinkEvents> implements ServerLink {
  private srv: net.Server | null = null;
  private readonly conns = new Set<net.Socket>();
  private boundPort = 0;
  constructor(private readonly o: ServerLinkOptions) { super(); }
  get port(): number { return this.boundPort; }
  open(): void {
    const srv = net.createServer((s) => this.onAccept(s));
    this.srv = srv;
    srv.once('error', (e) => { if (this.srv === srv) this.srv = null; this.emit('error', e); });
    srv.listen(this.o.port, this.o.host, () => {
      this.boundPort = (srv.address() as net.AddressInfo).port;
      this.emit('listening');
    });
  }
  private onAccept(s: net.Socket): void {
    s.setNoDelay(true);
    this.conns.add(s);
    const conn = new NetConn(s, `${this.o.name}:${s.remotePort ?? '?'}`);
    let up = false;
    const d = new Deframer(this.o.maxFrameLength ?? 0xffff + 3);
    s.write(ID_GET_FRAME);
    const bad = (why: string): void => { this.emit('garbage', conn, why); s.destroy(); };
    s.on('data', (chunk) => {
      const err = d.push(chunk, (proto, payload) => {
        if (s.destroyed) return;
        if (proto === IpaProto.CCM) {
          const m = decodeCcm(payload);
          if (m?.type === 'PING') s.write(ccmPongFrame());
          else if (m?.type === 'ID_ACK') s.write(ccmIdAckFrame());
          else if (m?.type === 'ID_RESP' && !up) {
            conn.unitId = idItemsToIdentity(m.items).unitId ?? null;
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
