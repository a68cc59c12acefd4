/**
 * The ported CTRL interface server: a CtrlServer with a small command tree, built-ins over its own counters.
 *   name       GET   program name
 *   uptime     GET   seconds since start
 *   greeting   GET/SET  SET verifies printable ASCII, at most 64 characters
 *   deferred   GET   answered after 100 ms through the deferred path
 *   trap-test  SET v replies, then broadcasts `TRAP 0 trap-test v` to every connection
 * plus rate_ctr.* (per connection: ctrl_conn.<n>; server: ctrl_server.0), stat_item.* (ctrl_server.0), counter.*
 * (ctrl_server.traps) and fsm.CTRL_CONN.id.conn-<n>.* for each connection.
 */
import { CtrlRegistry, CtrlServer, CtrlTree, type CtrlServerOptions, type CtrlTimers } from '@osmo/ctrl';
import { systemTimers } from '@osmo/ipa';

export const PROGRAM_NAME = 'osmo-ctrl-server';
export const GREETING_MAX = 64;
export const DEFERRED_DELAY_MS = 100;

export interface ExampleServerOptions {
  port?: number;
  /** default 127.0.0.1 */
  bind?: string;
  /** default: a registry of its own */
  registry?: CtrlRegistry;
  greeting?: string;
  /** options passed to CtrlServer as they are */
  server?: Omit<CtrlServerOptions, 'port' | 'address' | 'tree' | 'registry'>;
  /** where the deferred command's delay runs; default the global timers (tests pass a manual clock) */
  timers?: CtrlTimers;
}

export interface ExampleServer {
  ctrl: CtrlServer;
  registry: CtrlRegistry;
  /** summary numbers for progress lines */
  stats(): { connections: number; accepted: number; closed: number; msgsIn: number; msgsOut: number; traps: number; uptime: number };
  close(): void;
}

/** printable ASCII (0x20..0x7e), 1..64 characters */
export function validGreeting(v: string): boolean {
  return v.length > 0 && v.length <= GREETING_MAX && /^[\x20-\x7e]+$/.test(v);
}

export function createExampleServer(opts: ExampleServerOptions = {}): ExampleServer {
  const registry = opts.registry ?? new CtrlRegistry();
  const timers: CtrlTimers = opts.timers ?? systemTimers;
  const started = performance.now();
  let greeting = opts.greeting ?? 'Hello from osmo-ctrl-server';
  let deferredCount = 0;
  let msgsIn = 0;
  let msgsOut = 0;

  const srvCtrs = registry.rateCounterGroup({
    prefix: 'ctrl_server', idx: registry.nextRateCounterGroupIdx('ctrl_server'), description: 'CTRL server',
    counters: [{ name: 'conn:accepted' }, { name: 'conn:closed' }, { name: 'traps:sent' }],
  });
  const srvItems = registry.statItemGroup({ prefix: 'ctrl_server', idx: srvCtrs.idx, name: 'main', items: [{ name: 'conn:open' }] });
  const trapCounter = registry.counters.get('ctrl_server.traps') ?? registry.counter('ctrl_server.traps', 'TRAP messages broadcast');

  const tree = new CtrlTree();
  const ctrl = new CtrlServer({ ...opts.server, port: opts.port ?? 0, address: opts.bind ?? '127.0.0.1', tree, registry });

  const uptime = (): number => Math.floor((performance.now() - started) / 1000);
  tree.root.command({ name: 'name', readOnly: true, get: () => PROGRAM_NAME });
  tree.root.command({ name: 'uptime', readOnly: true, get: () => uptime() });
  tree.root.command({
    name: 'greeting',
    get: () => greeting,
    verify: (_req, v) => validGreeting(v),
    set: (req) => {
      greeting = req.value!;
      return greeting;
    },
  });
  tree.root.command({
    name: 'deferred',
    get: (req) => {
      const d = req.defer();
      const n = deferredCount++;
      timers.setTimeout(() => d.reply(`deferred reply #${n}`), DEFERRED_DELAY_MS);
    },
  });
  tree.root.command({
    name: 'trap-test',
    set: (req) => {
      const v = req.value!;
      // after this SET_REPLY has been queued
      process.nextTick(() => {
        const n = ctrl.sendTrap('trap-test', v);
        srvCtrs.inc('traps:sent', n);
        trapCounter.inc(n);
      });
      return v;
    },
  });

  ctrl.on('connection', (conn) => {
    srvCtrs.inc('conn:accepted');
    srvItems.set('conn:open', ctrl.connections.size);
    void conn;
  });
  ctrl.on('close', (conn) => {
    srvCtrs.inc('conn:closed');
    srvItems.set('conn:open', ctrl.connections.size);
    msgsIn += conn.counters?.get('msgs:in')?.current ?? 0;
    msgsOut += conn.counters?.get('msgs:out')?.current ?? 0;
  });
  ctrl.open();

  return {
    ctrl,
    registry,
    stats() {
      let liveIn = 0;
      let liveOut = 0;
      for (const c of ctrl.connections) {
        liveIn += c.counters?.get('msgs:in')?.current ?? 0;
        liveOut += c.counters?.get('msgs:out')?.current ?? 0;
      }
      return {
        connections: ctrl.connections.size,
        accepted: srvCtrs.get('conn:accepted')!.current,
        closed: srvCtrs.get('conn:closed')!.current,
        msgsIn: msgsIn + liveIn,
        msgsOut: msgsOut + liveOut,
        traps: srvCtrs.get('traps:sent')!.current,
        uptime: uptime(),
      };
    },
    close() {
      ctrl.close();
      srvCtrs.free();
      srvItems.free();
    },
  };
}
