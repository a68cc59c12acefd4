/**
 * The link layer the simulator drives: IPA links with the CCM identity handshake, as client (BTS) and server (BSC).
 * Two implementations behind one interface:
 *  - 'osmo-io' (default): @osmo/ipa IpaClient/IpaServer over @osmo/io (poll or io_uring backend);
 *  - 'node-net': node:net sockets with a minimal CCM handshake, the baseline to compare the osmo-io backends with.
 * Protocol numbers (proto) are @osmo/ipa's IpaProto values.
 *
 * Both links have one shape: `open(): void` starts the work and everything that follows is an event, emitted after
 * open() returned - for a client 'connected' / 'connectError' (retried by itself), for a server 'listening' / 'error'.
 * A server link cannot throw a busy port from open() as @osmo/ipa's IpaServer does: node:net binds only after a
 * lookup, so both implementations report it as 'error' (use {@link listening} to await the outcome).
 */
import { once, type EventEmitter } from 'node:events';
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
  /**
   * start connecting; returns nothing, the outcome is 'connected' or 'connectError' (then retried). Already connecting
   * or connected: nothing happens; waiting to reconnect: a new attempt starts now.
   */
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
  /** open() succeeded: the link listens, `port` is valid */
  listening: [];
  /** open() failed: code 'EADDRINUSE', 'EACCES' ... (the link does not listen) */
  error: [err: Error & { code?: string }];
}
export interface ServerLink extends EventEmitter<ServerLinkEvents> {
  /** start listening; returns nothing, the outcome is 'listening' or 'error' */
  open(): void;
  close(): void;
  /** the bound port once 'listening' was emitted, 0 before */
  readonly port: number;
}

/** Open a server link and wait for the outcome: resolves once it listens, rejects with its 'error'. */
export async function listening(link: ServerLink): Promise<void> {
  const outcome = once(link, 'listening'); // rejects on 'error'
  link.open();
  await outcome;
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
