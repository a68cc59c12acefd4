/**
 * CtrlServer: the CTRL interface (libosmoctrl control_if.c semantics) over IPA on @osmo/io's StreamServer.
 *
 * - bound to 127.0.0.1 unless told otherwise (upstream default), one IPA frame per CTRL message;
 * - IPA CCM on the CTRL port: PING -> PONG, ID_ACK -> ID_ACK, other CCM ignored;
 * - another IPA protocol, OSMO without the CTRL extension, or a frame longer than 1200 bytes (IPA_ALLOC_SIZE):
 *   the connection is closed (upstream: -EINVAL from the read handler);
 * - a text that does not parse is answered with upstream's ERROR (id "err" where the id is unusable);
 * - GET/SET go through the command tree (deferred replies allowed); TRAPs go to every connection.
 *
 * Every connection gets a rate counter group `ctrl_conn.<n>` (msgs:in, msgs:out, bytes:in, bytes:out, errors:parse)
 * and an FSM instance `fsm.CTRL_CONN.id.conn-<n>` in the registry while it is open (option connStats).
 */
import { EventEmitter } from 'node:events';
import { StreamServer, type SockAddr, type StreamServerConn } from '@osmo/io';
import { ipaSegmentation } from '@osmo/ipa';
import { installBuiltins } from './builtins/index.js';
import { decodeCtrl, type CtrlMessage } from './codec.js';
import { CtrlDeferred, type CtrlReplySink } from './command.js';
import { debug } from './debug.js';
import { CtrlDecodeError } from './errors.js';
import {
  ccmFrame, classifyIpaFrame, ctrlFrameFromText, IPA_MAX_FRAME, IPAC_MSGT_ID_ACK, IPAC_MSGT_PING, IPAC_MSGT_PONG,
} from './frame.js';
import { encodeCtrl } from './codec.js';
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
  /** GET_REPLY/SET_REPLY received from clients go here instead of the default handling */
  replyCb?: (msg: CtrlMessage, conn: CtrlConnection) => void;
}

export const CTRL_CONN_COUNTERS = [
  { name: 'msgs:in', description: 'CTRL messages received' },
  { name: 'msgs:out', description: 'CTRL messages sent' },
  { name: 'bytes:in', description: 'IPA bytes received' },
  { name: 'bytes:out', description: 'IPA bytes sent' },
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
  constructor(readonly server: CtrlServer, readonly stream: StreamServerConn, registry: CtrlRegistry | null) {
    this.nr = connSeq++;
    if (registry) {
      this.counters = registry.rateCounterGroup({ prefix: 'ctrl_conn', idx: this.nr, description: `CTRL connection ${stream.name}`, counters: CTRL_CONN_COUNTERS });
      const fsm: Fsm = registry.findFsm(CTRL_CONN_FSM) ?? registry.fsm({ name: CTRL_CONN_FSM, states: CONN_STATES });
      this.fsm = fsm.alloc({ id: `conn-${this.nr}` });
    } else {
      this.counters = null;
      this.fsm = null;
    }
  }

  get peer(): SockAddr | null { return this.stream.peer; }
  get isClosed(): boolean { return this.#closed; }

  /** Queue a CTRL message to this client; false when dropped (closed, or tx queue full as upstream). */
  sendCtrl(msg: CtrlMessage): boolean {
    return this.sendFrame(ctrlFrameFromText(encodeCtrl(msg)), true);
  }

  /** @internal */
  sendFrame(frame: Buffer, isCtrl: boolean): boolean {
    if (this.#closed) return false;
    const rc = this.stream.send(frame);
    if (rc !== 0) {
      debug('ctrl(%s): send failed (%d), message dropped', this.stream.name, rc);
      return false;
    }
    if (isCtrl) this.counters?.inc('msgs:out');
    this.counters?.inc('bytes:out', frame.length);
    this.updateState();
    return true;
  }

  /** Close the connection (pending deferred commands become zombies). */
  close(): void { this.stream.destroy(); }

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
  readonly #srv: StreamServer;
  readonly #conns = new Set<CtrlConnection>();
  readonly #connStats: boolean;
  readonly #replyCb: CtrlServerOptions['replyCb'];

  constructor(opts: CtrlServerOptions = {}) {
    super();
    this.tree = opts.tree ?? new CtrlTree();
    this.registry = opts.registry ?? defaultRegistry;
    this.name = opts.name ?? 'ctrl';
    this.#connStats = opts.connStats ?? true;
    this.#replyCb = opts.replyCb;
    if ((opts.builtins ?? true) && !treesWithBuiltins.has(this.tree)) {
      installBuiltins(this.tree, this.registry);
      treesWithBuiltins.add(this.tree);
    }
    this.#srv = new StreamServer({
      proto: 'tcp',
      address: opts.address ?? '127.0.0.1',
      port: opts.port ?? 0,
      name: this.name,
      nodelay: true,
      txqueueMaxLength: opts.txqueueMaxLength ?? 4096,
      segmentationCb: ipaSegmentation({ maxLength: IPA_MAX_FRAME }),
      acceptCb: (s) => this.#onAccept(s),
    });
  }

  /** Start listening (throws the socket error, e.g. code EADDRINUSE). */
  open(): this {
    this.#srv.open();
    return this;
  }
  /** Stop listening and close every connection. */
  close(): void {
    this.#srv.close({ destroyConnections: true });
  }
  get port(): number { return this.#srv.port; }
  /** connections destroyed because they did not read what was sent to them (upstream's slow-consumer policy) */
  get slowConsumerDrops(): number { return this.#srv.slowConsumerDrops; }
  get listening(): boolean { return this.#srv.listening; }
  get connections(): ReadonlySet<CtrlConnection> { return this.#conns; }
  ref(): this { this.#srv.ref(); return this; }
  unref(): this { this.#srv.unref(); return this; }

  /** ctrl_cmd_send_trap: `TRAP 0 <variable> <value>` to every connection. Returns how many got it queued. */
  sendTrap(variable: string, value: string | number): number {
    return this.sendToAll({ type: 'TRAP', id: '0', variable, reply: String(value) });
  }
  /** ctrl_cmd_send_to_all: to every connection except `except` */
  sendToAll(msg: CtrlMessage, except?: CtrlConnection | null): number {
    const frame = ctrlFrameFromText(encodeCtrl(msg));
    let n = 0;
    for (const c of this.#conns) if (c !== except && c.sendFrame(frame, true)) n++;
    return n;
  }

  #onAccept(s: StreamServerConn): void {
    const conn = new CtrlConnection(this, s, this.#connStats ? this.registry : null);
    this.#conns.add(conn);
    s.data = conn;
    s.readCb = (_s, res, msg) => this.#onRead(conn, res, msg);
    s.closedCb = () => {
      if (!this.#conns.delete(conn)) return;
      conn.onClosed();
      debug('ctrl(%s): connection closed', s.name);
      this.emit('close', conn);
    };
    debug('ctrl(%s): new connection', s.name);
    this.emit('connection', conn);
  }

  #onRead(conn: CtrlConnection, res: number, frame: Buffer): void {
    if (res === 0) {
      // EOF, maybe a half-close (nc -N): the replies already queued still go out
      debug('ctrl(%s): EOF, closing after the tx queue drained', conn.stream.name);
      conn.stream.setFlushAndDestroy();
      return;
    }
    if (res < 0) {
      // socket error, -EMSGSIZE (frame over 1200 bytes) or another segmentation error: close now
      debug('ctrl(%s): read result %d, closing', conn.stream.name, res);
      conn.close();
      return;
    }
    conn.counters?.inc('bytes:in', frame.length);
    const f = classifyIpaFrame(frame);
    switch (f.kind) {
      case 'empty':
        return;
      case 'invalid':
        debug('ctrl(%s): %s, closing', conn.stream.name, f.reason);
        conn.close();
        return;
      case 'ccm':
        if (f.msgType === IPAC_MSGT_PING) conn.sendFrame(ccmFrame(IPAC_MSGT_PONG), false);
        else if (f.msgType === IPAC_MSGT_ID_ACK) conn.sendFrame(ccmFrame(IPAC_MSGT_ID_ACK), false);
        else debug('ctrl(%s): CCM message 0x%s ignored', conn.stream.name, (f.msgType ?? 0).toString(16));
        return;
      case 'ctrl':
        break;
    }
    conn.counters?.inc('msgs:in');
    let msg: CtrlMessage;
    try {
      msg = decodeCtrl(f.text);
    } catch (e) {
      if (!(e instanceof CtrlDecodeError)) throw e;
      conn.counters?.inc('errors:parse');
      debug('ctrl(%s): parse error: %s', conn.stream.name, e.message);
      conn.sendCtrl({ type: 'ERROR', id: e.id, reply: e.reason });
      return;
    }
    if ((msg.type === 'GET_REPLY' || msg.type === 'SET_REPLY') && this.#replyCb) {
      this.#replyCb(msg, conn);
      return;
    }
    const reply = this.tree.handle(msg, conn);
    if (reply) conn.sendCtrl(reply);
    conn.updateState();
  }
}
