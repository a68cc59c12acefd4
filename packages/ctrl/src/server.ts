/**
 * CtrlServer: the CTRL interface (libosmoctrl control_if.c semantics) on @osmo/ipa's IpaServer without the
 * identification handshake (the link layer: segmentation, CCM PING -> PONG and ID_ACK -> ID_ACK, half-close flush).
 *
 * - bound to 127.0.0.1 unless told otherwise (upstream default), one IPA frame (OSMO/CTRL) per CTRL message;
 * - other CCM messages and frames that do not decode as IPA (an OSMO frame without extension byte) are ignored;
 * - another IPA protocol, OSMO without the CTRL extension, or a frame longer than 1200 bytes (IPA_ALLOC_SIZE):
 *   the connection is closed (upstream: -EINVAL from the read handler);
 * - a text that does not parse is answered with upstream's ERROR (id "err" where the id is unusable);
 * - GET/SET go through the command tree (deferred replies allowed), GET_REPLY/SET_REPLY to the tree's `replyCb`;
 *   TRAPs go to every connection.
 *
 * Every connection gets a rate counter group `ctrl_conn.<n>` (msgs:in, msgs:out, bytes:in, bytes:out, errors:parse)
 * and an FSM instance `fsm.CTRL_CONN.id.conn-<n>` in the registry while it is open (option connStats).
 */
import { EventEmitter } from 'node:events';
import type { SockAddr } from '@osmo/io';
import { IpaServer, type IpaMessage, type IpaServerConn } from '@osmo/ipa';
import { installBuiltins } from './builtins/index.js';
import { CTRL_MAX_FRAME, decodeCtrl, type CtrlMessage } from './codec.js';
import { encodeCtrlFrame, isCtrlIpaMessage } from './ipa-frame.js';
import { CtrlDeferred, type CtrlReplySink } from './command.js';
import { debug } from './debug.js';
import { CtrlDecodeError } from './errors.js';
import { defaultRegistry, type CtrlRegistry } from './registry/registry.js';
import type { RateCounterGroup } from './registry/rate-ctr.js';
import type { Fsm, FsmInstance } from './registry/fsm.js';
import { CtrlTree } from './tree.js';

export interface CtrlServerOptions {
  /** TCP port (0 = any free port, see `port`); applications pass their OSMO_CTRL_PORT_* default */
  port?: number;
  /** bind address; default "127.0.0.1" as upstream */
  address?: string;
  /** command tree; a new one when omitted */
  tree?: CtrlTree;
  /** registry for the built-ins and the per-connection stats; default `defaultRegistry` */
  registry?: CtrlRegistry;
  /** install rate_ctr/stat_item/counter/fsm built-ins into the tree (once per tree); default true */
  builtins?: boolean;
  /** per-connection rate counters and FSM instance in the registry; default true */
  connStats?: boolean;
  /** name for logs and the StreamServer; default "ctrl" */
  name?: string;
  /**
   * tx queue length per connection; default 4096 (upstream uses 100 and drops replies beyond it; a larger queue
   * lets a client pipeline many commands in one write)
   */
  txqueueMaxLength?: number;
}

export const CTRL_CONN_COUNTERS = [
  { name: 'msgs:in', description: 'CTRL messages received' },
  { name: 'msgs:out', description: 'CTRL messages sent' },
  { name: 'bytes:in', description: 'bytes of CTRL frames received (IPA header included)' },
  { name: 'bytes:out', description: 'bytes of CTRL frames sent (IPA header included)' },
  { name: 'errors:parse', description: 'CTRL messages that did not parse' },
] as const;
export const CTRL_CONN_FSM = 'CTRL_CONN';
const CONN_STATES = ['CONNECTED', 'DEFERRED_PENDING', 'CLOSED'] as const;

let connSeq = 0;
const treesWithBuiltins = new WeakSet<CtrlTree>();

/** One client connection of a CtrlServer (upstream struct ctrl_connection). */
export class CtrlConnection implements CtrlReplySink {
  /** process-unique number; also the index of its rate counter group and the id "conn-<n>" of its FSM instance */
  readonly nr: number;
  readonly deferred = new Set<CtrlDeferred>();
  readonly counters: RateCounterGroup | null;
  readonly fsm: FsmInstance | null;
  data: unknown;
  #closed = false;

  /** @internal */
  constructor(readonly server: CtrlServer, readonly link: IpaServerConn, registry: CtrlRegistry | null) {
    this.nr = connSeq++;
    if (registry) {
      this.counters = registry.rateCounterGroup({ prefix: 'ctrl_conn', idx: this.nr, description: `CTRL connection ${link.name}`, counters: CTRL_CONN_COUNTERS });
      const fsm: Fsm = registry.findFsm(CTRL_CONN_FSM) ?? registry.fsm({ name: CTRL_CONN_FSM, states: CONN_STATES });
      this.fsm = fsm.alloc({ id: `conn-${this.nr}` });
    } else {
      this.counters = null;
      this.fsm = null;
    }
  }

  get peer(): SockAddr | null { return this.link.peer; }
  get isClosed(): boolean { return this.#closed; }

  /** Queue a CTRL message to this client; false when dropped (closed, or tx queue full as upstream). */
  sendCtrl(msg: CtrlMessage): boolean {
    return this.sendFrame(encodeCtrlFrame(msg));
  }

  /** @internal one encoded CTRL frame (shared by every connection for a trap) */
  sendFrame(frame: Buffer): boolean {
    if (this.#closed) return false;
    const rc = this.link.sendFrame(frame);
    if (rc !== 0) {
      debug('ctrl(%s): send failed (%d), message dropped', this.link.name, rc);
      return false;
    }
    this.counters?.inc('msgs:out');
    this.counters?.inc('bytes:out', frame.length);
    this.updateState();
    return true;
  }

  /** Close the connection (pending deferred commands become zombies). */
  close(): void { this.link.close(); }

  /** @internal the stream is gone */
  onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.deferred) d.zombify();
    this.deferred.clear();
    this.counters?.free();
    if (this.fsm) {
      this.fsm.stateChange('CLOSED');
      this.fsm.term();
    }
  }

  /** @internal */
  updateState(): void {
    if (this.fsm && !this.#closed) {
      const want = this.deferred.size > 0 ? 'DEFERRED_PENDING' : 'CONNECTED';
      if (this.fsm.stateName !== want) this.fsm.stateChange(want);
    }
  }
}

export interface CtrlServerEvents {
  connection: [conn: CtrlConnection];
  close: [conn: CtrlConnection];
}

export class CtrlServer extends EventEmitter<CtrlServerEvents> {
  readonly tree: CtrlTree;
  readonly registry: CtrlRegistry;
  readonly name: string;
  readonly #ipa: IpaServer;
  readonly #conns = new Set<CtrlConnection>();
  readonly #connStats: boolean;

  constructor(opts: CtrlServerOptions = {}) {
    super();
    this.tree = opts.tree ?? new CtrlTree();
    this.registry = opts.registry ?? defaultRegistry;
    this.name = opts.name ?? 'ctrl';
    this.#connStats = opts.connStats ?? true;
    if ((opts.builtins ?? true) && !treesWithBuiltins.has(this.tree)) {
      installBuiltins(this.tree, this.registry);
      treesWithBuiltins.add(this.tree);
    }
    this.#ipa = new IpaServer({
      address: opts.address ?? '127.0.0.1',
      port: opts.port ?? 0,
      name: this.name,
      handshake: false,
      maxFrameLength: CTRL_MAX_FRAME,
      txqueueMaxLength: opts.txqueueMaxLength ?? 4096,
    });
    // one listener per event for all connections (the connection is the link's `data`): no closures per link
    this.#ipa.on('connection', (link) => this.#onConnection(link));
    this.#ipa.on('message', (link, msg) => this.#onMessage(link, msg));
    this.#ipa.on('down', (link) => this.#onDown(link));
  }

  /** Start listening now; returns nothing, throws OsmoIoSystemError (code EADDRINUSE ...) when it cannot listen. */
  open(): void {
    this.#ipa.open();
  }
  /** Stop listening and close every connection. */
  close(): void {
    this.#ipa.close();
  }
  get port(): number { return this.#ipa.port; }
  /** connections destroyed because they did not read what was sent to them (upstream's slow-consumer policy) */
  get slowConsumerDrops(): number { return this.#ipa.stream.slowConsumerDrops; }
  get listening(): boolean { return this.#ipa.stream.listening; }
  get connections(): ReadonlySet<CtrlConnection> { return this.#conns; }
  ref(): this { this.#ipa.ref(); return this; }
  unref(): this { this.#ipa.unref(); return this; }

  /** ctrl_cmd_send_trap: `TRAP 0 <variable> <value>` to every connection. Returns how many got it queued. */
  sendTrap(variable: string, value: string | number): number {
    return this.sendToAll({ type: 'TRAP', id: '0', variable, reply: String(value) });
  }
  /** ctrl_cmd_send_to_all: to every connection except `except` */
  sendToAll(msg: CtrlMessage, except?: CtrlConnection | null): number {
    const frame = encodeCtrlFrame(msg);
    let n = 0;
    for (const c of this.#conns) if (c !== except && c.sendFrame(frame)) n++;
    return n;
  }

  #onConnection(link: IpaServerConn): void {
    const conn = new CtrlConnection(this, link, this.#connStats ? this.registry : null);
    this.#conns.add(conn);
    link.data = conn;
    debug('ctrl(%s): new connection', link.name);
    this.emit('connection', conn);
  }

  #onDown(link: IpaServerConn): void {
    const conn = link.data as CtrlConnection;
    if (!this.#conns.delete(conn)) return;
    conn.onClosed();
    debug('ctrl(%s): connection closed', link.name);
    this.emit('close', conn);
  }

  #onMessage(link: IpaServerConn, m: IpaMessage): void {
    const conn = link.data as CtrlConnection;
    if (!isCtrlIpaMessage(m)) {
      // upstream's read handler returns -EINVAL for another protocol or extension: the connection goes
      debug('ctrl(%s): %s frame (ext %s) on the CTRL port, closing', link.name, m.kind, m.ext ?? '-');
      conn.close();
      return;
    }
    conn.counters?.inc('bytes:in', m.payload.length + 4);
    conn.counters?.inc('msgs:in');
    let msg: CtrlMessage;
    try {
      msg = decodeCtrl(m.payload);
    } catch (e) {
      if (!(e instanceof CtrlDecodeError)) throw e;
      conn.counters?.inc('errors:parse');
      debug('ctrl(%s): parse error: %s', link.name, e.message);
      conn.sendCtrl({ type: 'ERROR', id: e.id, reply: e.reason });
      return;
    }
    const reply = this.tree.handle(msg, conn);
    if (reply) conn.sendCtrl(reply);
    conn.updateState();
  }
}
