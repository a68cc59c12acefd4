/** @osmo/ipa (over @osmo/io) implementation of transport.ts. */
import { EventEmitter } from 'node:events';
import { getBackend, stats } from '@osmo/io';
import { IpaClient, IpaServer, type IpaServerConn } from '@osmo/ipa';
import type {
  ClientLink, ClientLinkEvents, ClientLinkOptions, ServerConn, ServerLink, ServerLinkEvents, ServerLinkOptions, Transport,
} from './transport.js';

class IpaClientLink extends EventEmitter<ClientLinkEvents> implements ClientLink {
  private readonly cli: IpaClient;
  constructor(o: ClientLinkOptions) {
    super();
    this.cli = new IpaClient({
      address: o.host, port: o.port, name: o.name, reconnectTimeout: o.reconnectMs,
      identity: { unitId: o.unitId, unitName: o.name, swVersion: '0.1.0' },
    });
    this.cli.on('up', () => this.emit('up'));
    this.cli.on('down', (reason) => this.emit('down', reason));
    this.cli.on('message', (msg) => this.emit('frame', msg.proto, msg.payload));
    this.cli.on('connect', () => this.emit('connected'));
    this.cli.on('connectError', (err) => this.emit('connectError', err));
  }
  get isUp(): boolean { return this.cli.isUp; }
  open(): void { this.cli.open(); }
  reconnect(): void { this.cli.reconnect('reconnect requested'); }
  close(): void { this.cli.close(); }
  send(proto: number, payload: Buffer): number { return this.cli.send(proto, payload); }
}

class IpaConn implements ServerConn {
  data: unknown = undefined;
  constructor(readonly c: IpaServerConn) {}
  get unitId(): string | null { return this.c.identity?.unitId ?? null; }
  get name(): string { return this.c.name; }
  send(proto: number, payload: Buffer): number { return this.c.send(proto, payload); }
  close(): void { this.c.close(); }
}

class IpaServerLink extends EventEmitter<ServerLinkEvents> implements ServerLink {
  private readonly srv: IpaServer;
  constructor(o: ServerLinkOptions) {
    super();
    this.srv = new IpaServer({
      address: o.host, port: o.port, name: o.name,
      ...(o.maxFrameLength !== undefined ? { maxFrameLength: o.maxFrameLength } : {}),
      accept: (_c, identity) => identity.unitId !== undefined,
    });
    // the wrapper rides on the connection's user data slot (this transport owns it): a lookup per message
    const wrap = (c: IpaServerConn): IpaConn => {
      if (c.data instanceof IpaConn) return c.data;
      const w = new IpaConn(c);
      c.data = w;
      return w;
    };
    this.srv.on('up', (c) => this.emit('up', wrap(c)));
    this.srv.on('down', (c, reason) => this.emit('down', wrap(c), reason));
    this.srv.on('message', (c, msg) => this.emit('frame', wrap(c), msg.proto, msg.payload));
    this.srv.on('decodeError', (c, err) => { this.emit('garbage', wrap(c), err.message); c.close(); });
    this.srv.on('reject', (c) => this.emit('garbage', wrap(c), 'ID_RESP without unit id'));
  }
  get port(): number { return this.srv.port; }
  open(): void {
    // IpaServer listens (or throws) now; the link's shape reports both after open() returned, as node:net does
    try {
      this.srv.open();
    } catch (e) {
      process.nextTick(() => this.emit('error', e as Error));
      return;
    }
    process.nextTick(() => { if (this.srv.port !== 0) this.emit('listening'); }); // not when closed meanwhile
  }
  close(): void { this.srv.close(); }
}

export function ipaTransport(): Transport {
  return {
    kind: 'osmo-io',
    backend: getBackend(),
    client: (o) => new IpaClientLink(o),
    server: (o) => new IpaServerLink(o),
    stats: () => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(stats())) if (typeof v === 'number') out[k] = v;
      return out;
    },
  };
}
