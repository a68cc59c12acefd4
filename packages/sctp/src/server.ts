/**
 * SctpServer / SctpServerConn: a listening one-to-one SCTP socket (several local addresses = sctp_bindx) with
 * one SctpServerConn per accepted association. Accepted sockets inherit the listener's options (events,
 * SCTP_RECVRCVINFO, INITMSG, nodelay). A connection closes itself on EOF / error and emits 'close'.
 */
import { EventEmitter } from 'node:events';
import { Acceptor, sock } from '@osmo/io';
import { createSocket, type SctpSocketOptions } from './socket.js';
import { SctpSocket } from './sctp-socket.js';
import type { InetEndpoint, SctpAddress } from './addr.js';
import type { SctpEventName } from './sockopt.js';

export interface SctpServerOptions extends Omit<SctpSocketOptions, 'type' | 'listen' | 'remote' | 'local'> {
  local: InetEndpoint[];
  name?: string;
  readSize?: number;
  /** see SctpSocketOpts.closeOnEof (default true) */
  closeOnEof?: boolean;
  acceptCb?: (conn: SctpServerConn) => void;
}

export class SctpServerConn extends SctpSocket {
  constructor(readonly server: SctpServer, fd: number, readonly peer: SctpAddress | null, readSize?: number,
              closeOnEof?: boolean) {
    super(fd, 'stream', { name: `${server.name}[${peer ? `${peer.address}:${peer.port}` : fd}]`, readSize,
                          ...(closeOnEof !== undefined ? { closeOnEof } : {}) });
  }
}

export class SctpServer extends EventEmitter {
  readonly name: string;
  readonly conns = new Set<SctpServerConn>();
  /** notification types in effect on the listener (and so on every connection) */
  readonly events: SctpEventName[];
  #acceptor: Acceptor | null;
  #fd: number;

  /** Bind and listen now; throws SctpError (e.g. EADDRINUSE, EPROTONOSUPPORT). */
  constructor(opts: SctpServerOptions) {
    super();
    this.name = opts.name ?? 'sctp_srv';
    const info = createSocket({ ...opts, type: 'stream', listen: true });
    this.#fd = info.fd;
    this.events = info.events;
    if (opts.acceptCb) this.on('connection', opts.acceptCb);
    this.#acceptor = Acceptor.open(info.fd, this.name, (fd, peer) => {
      let c: SctpServerConn;
      try {
        c = new SctpServerConn(this, fd, peer as SctpAddress | null, opts.readSize, opts.closeOnEof);
      } catch (e) {
        this.emit('acceptError', e);
        return;
      }
      this.conns.add(c);
      c.on('close', () => this.conns.delete(c));
      const close = c.close.bind(c);
      c.close = () => { this.conns.delete(c); close(); };
      this.emit('connection', c);
    }, (res) => this.emit('acceptError', res));
  }

  get fd(): number { return this.#fd; }
  /** the bound address (port chosen by the kernel when 0 was asked for) */
  address(): SctpAddress { return sock.localAddress(this.#fd) as SctpAddress; }
  get port(): number { return this.address().port; }

  /** Stop listening; `all` also closes every connection. */
  close(all = false): void {
    this.#acceptor?.close();
    this.#acceptor = null;
    if (all) for (const c of [...this.conns]) c.close();
  }

  ref(): this { this.#acceptor?.ref(); return this; }
  unref(): this { this.#acceptor?.unref(); return this; }
}

