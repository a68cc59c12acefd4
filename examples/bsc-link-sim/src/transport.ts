/**
 * The link layer the simulator drives: IPA links with the CCM identity handshake, as client (BTS) and server (BSC).
 * Two implementations behind one interface:
 *  - 'osmo-io' (default): @osmo/ipa IpaClient/IpaServer over @osmo/io (poll or io_uring backend);
 *  - 'node-net': node:net sockets with a minimal CCM handshake, the baseline to compare the osmo-io backends with.
 * Protocol numbers (proto) are @osmo/ipa's IpaProto values.
 */
import type { EventEmitter } from 'node:events';
import { ipaTransport } from './transport-ipa.js';
import { netTransport } from './transport-net.js';

export interface ClientLinkEvents {
  up: [];                              // connected and identified (ID_ACK from the server)
  down: [reason: string];
  frame: [proto: number, payload: Buffer];
  /** TCP connected (the identity handshake follows) */
  connected: [];
  /** a connect attempt failed: code 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND' ...; the link retries by itself */
  connectError: [err: { code?: string; message: string }];
}
export interface ClientLink extends EventEmitter<ClientLinkEvents> {
  readonly isUp: boolean;
  open(): void;
  /** drop the connection now; reconnect after the reconnect delay */
  reconnect(): void;
  close(): void;
  /** 0 or a negative errno (-ENOTCONN, -ENOSPC) */
  send(proto: number, payload: Buffer): number;
}
export interface ClientLinkOptions { host: string; port: number; unitId: string; name: string; reconnectMs: number }

export interface ServerConn {
  readonly unitId: string | null;
  readonly name: string;
  send(proto: number, payload: Buffer): number;
  close(): void;
  data: unknown;
}
export interface ServerLinkEvents {
  up: [conn: ServerConn];
  down: [conn: ServerConn, reason: string];
  frame: [conn: ServerConn, proto: number, payload: Buffer];
  /** a frame that could not be decoded or a protocol violation; the connection is closed */
  garbage: [conn: ServerConn, reason: string];
}
export interface ServerLink extends EventEmitter<ServerLinkEvents> {
  open(): Promise<void>;
  close(): void;
  readonly port: number;
}
export interface ServerLinkOptions { host: string; port: number; name: string; maxFrameLength?: number }

export type TransportKind = 'osmo-io' | 'node-net';

export interface Transport {
  readonly kind: TransportKind;
  /** 'poll' | 'io_uring' for osmo-io, 'node-net' otherwise */
  readonly backend: string;
  client(opts: ClientLinkOptions): ClientLink;
  server(opts: ServerLinkOptions): ServerLink;
  /** the I/O core's own counters (@osmo/io stats(): syscalls, reads, writes, wakeups, ...), null where there are none */
  stats(): Record<string, number> | null;
}

/** A transport of the given kind ('osmo-io': the backend OSMO_IO_BACKEND names, or the default). */
export function loadTransport(kind: TransportKind): Transport {
  return kind === 'node-net' ? netTransport() : ipaTransport();
}
